"""The reservoir on tables with knockout columns: each row's knockouts reach the frozen growth model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from amn.errors import ParameterError, UnknownGeneError, UnknownReactionError
from amn.models import AMNRegressor, save_model
from amn.network.knockouts import RandomKnockouts
from amn.reservoir import ReservoirClassifier, ReservoirFBA, ReservoirRegressor
from tests.reservoir.test_classifier import screen_draws

GENES = ["b4025", "b1723"]  # pgi (glucose into glycolysis), pck (gluconeogenesis from succinate)


def _table(variable, n: int, seed: int) -> pd.DataFrame:
    """Random media of the variable compounds (ammonium always there) and random pgi / pck / PFK knockouts."""
    rng = np.random.default_rng(seed)
    C = pd.DataFrame((rng.random((n, len(variable))) < 0.4).astype(float), columns=variable)
    C["EX_nh4_e_i"] = 1.0
    C["EX_glc__D_e_i"] = (rng.random(n) < 0.5).astype(float)
    for k in [*GENES, "PFK"]:
        C[k] = (rng.random(n) < 0.3).astype(float)
    return C


def _cobra_growth(network, bounds: pd.DataFrame, C: pd.DataFrame) -> np.ndarray:
    """COBRApy FBA on the unidirectional model: the given uptake bounds, other uptakes closed, the row's
    genes knocked out with ``Gene.knock_out`` and its reactions with ``Reaction.knock_out``."""
    model, growth = network.model, []
    for (_, row), (_, ko) in zip(bounds.iterrows(), C.iterrows()):
        with model:
            for r in network.uptake_ids:
                model.reactions.get_by_id(r).upper_bound = float(row.get(r, 0.0))
            for k in [*GENES, "PFK"]:
                if ko[k]:
                    if k in GENES:
                        model.genes.get_by_id(k).knock_out()
                    else:
                        model.reactions.get_by_id(k).knock_out()
            growth.append(model.slim_optimize(error_value=0.0))
    return np.array(growth)


@pytest.fixture(scope="module")
def exact_growth_model(tmp_path_factory, textbook_net):
    """AMN-exact with its input scales at 1: pFBA itself, an exact reference for what the reservoir computes."""
    path = tmp_path_factory.mktemp("exact")
    data, variable = screen_draws(textbook_net, 40, path / "core.npz")
    model = AMNRegressor(arch="amn-exact", network=textbook_net, epochs=1, val_fraction=0.0).fit(data.X, data.Y)
    with torch.no_grad():
        model.module_.log_scale.zero_()
    save_model(model, path / "model")
    return path / "model", variable


def test_the_reservoir_applies_each_rows_knockouts_as_cobrapy(exact_growth_model, textbook_net):
    directory, variable = exact_growth_model
    C = _table(variable, 24, seed=3)
    network = AMNRegressor.load(directory).network_
    reservoir = ReservoirRegressor(str(directory), knockout_ids=[*GENES, "PFK"], max_iter=3)
    reservoir.fit(C, np.linspace(0.1, 0.8, len(C)))
    bounds = reservoir.uptake_bounds(C)
    reference = _cobra_growth(network, bounds, C)
    np.testing.assert_allclose(reservoir.predict(C), reference, atol=1e-5)
    wild_type = reservoir.predict(C.assign(**{k: 0.0 for k in [*GENES, "PFK"]}))
    knocked = C[[*GENES, "PFK"]].sum(axis=1).to_numpy() > 0
    assert (reference[knocked] < wild_type[knocked] - 1e-3).sum() >= 3  # the knockouts matter here
    np.testing.assert_allclose(wild_type[~knocked], reference[~knocked], atol=1e-5)
    fba = ReservoirFBA(str(directory), knockout_ids=[*GENES, "PFK"], max_iter=3, network=textbook_net).fit(
        C, np.linspace(0.1, 0.8, len(C)))
    np.testing.assert_allclose(fba.predict(C), reference, atol=1e-5)


def test_a_growth_model_trained_with_knockouts_reads_their_indicators(tmp_path, textbook_net):
    """A dense growth model trained on knockout draws: the reservoir gives it the knockout indicators (before,
    it got the medium only and failed), and refuses a gene it has no indicator for."""
    knockouts = RandomKnockouts.from_network(textbook_net, GENES, wild_type=0.4)
    data, variable = screen_draws(textbook_net, 200, tmp_path / "ko.npz", knockouts=knockouts)
    model = AMNRegressor(arch="ann-sv", network=textbook_net, epochs=5, val_fraction=0.0).fit(data.X, data.Y)
    C = _table(variable, 20, seed=5).drop(columns=["PFK"])
    reservoir = ReservoirRegressor(model, knockout_ids=GENES, max_iter=2).fit(C, np.linspace(0.1, 0.8, len(C)))
    with_ko, wild_type = reservoir.predict(C), reservoir.predict(C.assign(**{g: 0.0 for g in GENES}))
    knocked = C[GENES].sum(axis=1).to_numpy() > 0
    assert not np.allclose(with_ko[knocked], wild_type[knocked]) and np.allclose(with_ko[~knocked], wild_type[~knocked])
    wild = ReservoirRegressor(model, max_iter=2).fit(C.drop(columns=GENES), np.linspace(0.1, 0.8, len(C)))
    assert np.isfinite(wild.predict(C.drop(columns=GENES))).all()
    with pytest.raises(ParameterError, match="without a knockout input for PFK"):
        ReservoirRegressor(model, knockout_ids=["PFK"]).fit(C.assign(PFK=0.0), np.ones(len(C)))


def test_knockout_columns_are_checked(exact_growth_model):
    directory, variable = exact_growth_model
    C = _table(variable, 6, seed=1).drop(columns=["PFK"])
    with pytest.raises(UnknownGeneError, match="nope"):
        ReservoirClassifier(str(directory), knockout_ids=["nope"], max_iter=1).fit(C.assign(nope=1.0), np.ones(6))
    with pytest.raises(ValueError, match="0 or 1"):
        ReservoirRegressor(str(directory), knockout_ids=["PFK"], max_iter=1).fit(C.assign(PFK=2.0), np.ones(6))
    with pytest.raises(UnknownReactionError, match="column PFK is not an uptake"):  # a knockout not named as one
        ReservoirRegressor(str(directory), max_iter=1).fit(C.assign(PFK=1.0), np.ones(6))
    with pytest.raises(ValueError, match="lacks knockout column"):
        ReservoirRegressor(str(directory), knockout_ids=["PGK"], max_iter=1).fit(C, np.ones(6))


def test_experiment_fit_reads_knockout_columns_and_fba_reproduces_the_reservoir(exact_growth_model, tmp_path):
    """`amn experiment fit` on a table with a gene column named by gene name (pgi, 0 = knocked out): the column
    is classified as a knockout, the reservoir applies it, and FBA with the learned bounds and each row's
    knockouts (COBRApy) gives the reservoir's growth (an exact growth model: equal up to the solver)."""
    from click.testing import CliRunner

    from amn.cli import main

    directory, variable = exact_growth_model
    C = _table(variable, 16, seed=7).drop(columns=["b1723", "PFK"])
    C["pgi"] = 1 - C.pop("b4025")
    C["GR"] = np.linspace(0.0, 0.6, len(C))
    C.to_csv(tmp_path / "ko.csv", index=False)
    out = tmp_path / "bounds.csv"
    result = CliRunner().invoke(main, ["experiment", "fit", "--data", str(tmp_path / "ko.csv"), "--target", "GR",
                                       "--growth-model", str(directory), "--knockout-value", "0",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "knockout (1): pgi -> b4025" in result.output
    line = next(x for x in result.output.splitlines() if x.startswith("FBA with the learned bounds and knockouts"))
    assert "max |FBA - predicted| = " in line and float(line.split("= ")[1].split(",")[0]) < 1e-5
    assert pd.read_csv(out, index_col=0).shape[0] == len(C)
