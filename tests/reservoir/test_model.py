"""Reservoir: the uptake layer's semantics, and learning bounds that reproduce a growth law."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from amn.dataset import generate
from amn.media import RandomMedia
from amn.media.spec import core_medium
from amn.models import AMNRegressor, save_model
from amn.reservoir import ReservoirRegressor, UptakeLayer


def test_uptake_layer_closes_absent_compounds_and_stays_in_range():
    layer = UptakeLayer(np.array([0, 1, -1]), fixed=np.array([0.0, 0.0, 7.0]), maximum=np.array([2.0, 3.0, 7.0]), n_c=2)
    with torch.no_grad():
        layer.linear.weight.normal_(0, 5.0)
        layer.linear.bias.normal_(0, 5.0)
    C = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    V = layer(C)
    assert torch.all(V[:, 0][C[:, 0] == 0] == 0) and torch.all(V[:, 1][C[:, 1] == 0] == 0)
    assert torch.all(V[:, :2] <= torch.tensor([2.0, 3.0])) and torch.all(V >= 0)
    assert torch.all(V[:, 2] == 7.0)  # no composition column: fixed


@pytest.fixture(scope="module")
def growth_model_dir(tmp_path_factory, textbook_net):
    spec = core_medium(textbook_net)
    path = tmp_path_factory.mktemp("res")
    data = generate(textbook_net, RandomMedia(spec, 400), path / "core.npz", seed=0, progress=False)
    model = AMNRegressor(arch="ann-sv", network=textbook_net, epochs=60, batch_size=16, lr=3e-3).fit(data.X, data.Y)
    save_model(model, path / "model")
    return path / "model", model


def test_reservoir_learns_bounds_that_explain_growth(growth_model_dir, textbook_net):
    directory, model = growth_model_dir
    compounds = ["EX_fru_e_i", "EX_succ_e_i", "EX_pyr_e_i", "EX_ac_e_i"]
    rng = np.random.default_rng(0)
    C = pd.DataFrame(rng.integers(0, 2, size=(40, 4)), columns=compounds)
    base = {r: 10.0 for r in model.medium_}
    base.update({c: 0.0 for c in compounds})
    truth = {"EX_fru_e_i": 7.5, "EX_succ_e_i": 2.5, "EX_pyr_e_i": 5.0, "EX_ac_e_i": 10.0}
    X = pd.DataFrame([{**base, **{c: truth[c] * row[c] for c in compounds}} for _, row in C.iterrows()])
    y = model.predict(X[model.medium_])  # growth law of the frozen model at hidden bounds
    maximum = {c: 10.0 for c in compounds}
    maximum.update({r: 10.0 for r in model.medium_ if r not in compounds})
    reservoir = ReservoirRegressor(growth_model=str(directory), max_bounds=maximum, alpha=1e-4).fit(C, y)
    assert reservoir.score(C, y) > 0.9
    bounds = reservoir.uptake_bounds(C)
    assert (bounds.loc[C["EX_fru_e_i"] == 0, "EX_fru_e_i"] == 0).all()
    assert list(bounds.columns) == list(model.medium_)


def test_experiment_fit_command_writes_bounds_that_fba_reproduces(growth_model_dir, tmp_path):
    from click.testing import CliRunner

    from amn.cli import main

    directory, model = growth_model_dir
    compounds = ["EX_fru_e_i", "EX_succ_e_i", "EX_pyr_e_i"]
    rng = np.random.default_rng(1)
    C = pd.DataFrame(rng.integers(0, 2, size=(30, 3)), columns=compounds)
    C["GR"] = rng.uniform(0.5, 1.0, size=30)
    C.to_csv(tmp_path / "table.csv", index=False)
    out = tmp_path / "bounds.csv"
    result = CliRunner().invoke(main, ["experiment", "fit", "--data", str(tmp_path / "table.csv"), "--target", "GR",
                                       "--growth-model", str(directory), "--out", str(out)])
    assert result.exit_code == 0, result.output
    bounds = pd.read_csv(out, index_col=0)
    assert bounds.shape == (30, len(model.medium_))
    assert "FBA with the learned bounds vs the reservoir: 30 media" in result.output


def test_reservoir_medium_draws_variable_compounds_and_limiting_base(textbook_net, tmp_path):
    from amn.dataset.validation import validate_table
    from amn.errors import MediumError
    from amn.media.spec import MediumSpec
    from amn.reservoir import reservoir_medium

    base = ["EX_nh4_e_i", "EX_pi_e_i", "EX_h2o_e_i", "EX_h_e_i", "EX_o2_e_i", "EX_co2_e_i"]
    carbon = ["EX_glc__D_e_i", "EX_succ_e_i"]
    medium = MediumSpec(tuple(base + carbon), np.r_[np.ones(6), [11.0, 11.0]],
                        np.r_[[1000.0] * 4, 3.0, 1000.0, [10.0, 10.0]], 0.0, source="medium")
    rows = pd.DataFrame([[1, 0], [0, 1], [1, 1]], columns=carbon).assign(**dict.fromkeys(base, 1), GR=[0.3, 0.2, 0.4])
    table = validate_table(rows, target="GR", network=textbook_net)
    widened, limiting = reservoir_medium(textbook_net, table, medium, max_bound=20.0)
    assert limiting == ["EX_o2_e_i"]
    assert set(widened.variable) == {"EX_o2_e_i", *carbon}
    assert all(widened.max_value[widened.reaction_ids.index(r)] == 20.0 for r in widened.variable)
    assert widened.max_value[widened.reaction_ids.index("EX_nh4_e_i")] == 1000.0
    narrow = MediumSpec(tuple(base + carbon[:1]), np.r_[np.ones(6), 11.0], np.r_[[1000.0] * 4, 3.0, 1000.0, 10.0], 0.0,
                        source="narrow.csv")
    with pytest.raises(MediumError, match=r"narrow\.csv.*EX_succ_e_i"):
        reservoir_medium(textbook_net, table, narrow)


def test_reservoir_medium_command_writes_a_medium_file(textbook_net, tmp_path):
    from click.testing import CliRunner

    from amn.cli import main
    from amn.media import read_medium
    from amn.media.spec import core_medium

    core_medium(textbook_net).write(tmp_path / "core.csv")
    table = pd.DataFrame({"EX_fru_e_i": [1, 0, 1], "EX_succ_e_i": [0, 1, 1], "GR": [0.3, 0.2, 0.4]})
    table.to_csv(tmp_path / "table.csv", index=False)
    result = CliRunner().invoke(main, ["experiment", "reservoir-medium", "--data", str(tmp_path / "table.csv"),
                                       "--target", "GR", "--model", "textbook", "--medium", str(tmp_path / "core.csv"),
                                       "--out", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.output
    assert {"EX_fru_e_i", "EX_succ_e_i"} <= set(read_medium(tmp_path / "out.csv").variable)
    bad = CliRunner().invoke(main, ["experiment", "reservoir-medium", "--data", str(tmp_path / "missing.csv"),
                                    "--model", "textbook", "--medium", str(tmp_path / "core.csv"), "--out", str(tmp_path / "o.csv")])
    assert bad.exit_code != 0 and "missing.csv" in bad.output and "Traceback" not in bad.output


def test_reservoir_says_when_it_or_its_growth_model_is_not_fitted():
    from amn.errors import NotFittedError, ParameterError

    C = pd.DataFrame({"EX_fru_e_i": [0, 1]})
    with pytest.raises(NotFittedError, match="ReservoirRegressor is not fitted: call fit first"):
        ReservoirRegressor(growth_model=AMNRegressor()).predict(C)
    with pytest.raises(NotFittedError, match="growth_model must be a fitted AMNRegressor"):
        ReservoirRegressor(growth_model=AMNRegressor()).fit(C, [0.0, 1.0])
    with pytest.raises(ParameterError, match="not object"):
        ReservoirRegressor(growth_model=object()).fit(C, [0.0, 1.0])


@pytest.fixture(scope="module")
def tiny_growth_model(tmp_path_factory, textbook_net):
    """A growth model trained for one epoch: enough for the checks made before the reservoir trains."""
    path = tmp_path_factory.mktemp("tiny")
    data = generate(textbook_net, RandomMedia(core_medium(textbook_net), 20), path / "core.npz", seed=0, progress=False)
    model = AMNRegressor(arch="ann-sv", network=textbook_net, epochs=1, val_fraction=0, hidden=(8,)).fit(data.X, data.Y)
    save_model(model, path / "model")
    return path / "model"


def test_a_composition_column_outside_the_growth_models_medium_is_refused(tiny_growth_model, tmp_path):
    from amn.dataset.reading import read_table
    from amn.errors import DatasetMismatchError, UnknownReactionError

    rows = pd.DataFrame({"EX_fru_e_i": [1, 0, 1, 0], "EX_nothing_e_i": [0, 1, 1, 0], "GR_AVG": [0.3, 0.2, 0.4, 0.1]})
    rows.to_csv(tmp_path / "exp.csv", index=False)
    table = read_table(tmp_path / "exp.csv")  # no model: every 0/1 column is a composition
    reservoir = ReservoirRegressor(str(tiny_growth_model), max_iter=1)
    with pytest.raises(UnknownReactionError, match=r"exp\.csv: column EX_nothing_e_i is not an uptake of the medium "
                                                   r"of growth model .*model$") as info:
        reservoir.fit(table.X, table.y)
    assert "\n" not in str(info.value)
    with pytest.raises(UnknownReactionError, match=r"^compositions: column PGI_for .*another reaction"):
        reservoir.fit(pd.DataFrame({"EX_fru_e_i": [1, 0], "PGI_for": [0, 1]}), [0.1, 0.2])
    with pytest.raises(DatasetMismatchError, match=r"^compositions: no composition column names an uptake"):
        reservoir.fit(pd.DataFrame({"EX_nothing_e_i": [1, 0]}), [0.1, 0.2])
    ok = pd.DataFrame({"EX_fru_e_i": [1, 0, 1, 0], "flag": [1, 0, 0, 1]})  # not reaction-like: left out
    assert reservoir.fit(ok, [0.3, 0.2, 0.4, 0.1]).columns_ == ["EX_fru_e_i"]


def test_experiment_fit_names_the_table_and_the_column(tiny_growth_model, tmp_path):
    from click.testing import CliRunner

    from amn.cli import main

    rows = pd.DataFrame({"EX_fru_e_i": [1, 0, 1, 0], "EX_nothing_e_i": [0, 1, 1, 0], "GR": [0.3, 0.2, 0.4, 0.1]})
    rows.to_csv(tmp_path / "exp.csv", index=False)
    out = tmp_path / "bounds.csv"
    result = CliRunner().invoke(main, ["experiment", "fit", "--data", str(tmp_path / "exp.csv"), "--target", "GR",
                                       "--growth-model", str(tiny_growth_model), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "exp.csv" in result.output and "EX_nothing_e_i" in result.output and "Traceback" not in result.output
    assert not out.exists()
