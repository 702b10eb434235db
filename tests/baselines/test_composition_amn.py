"""Method 1: an AMN trained directly on measured growth rates, against COBRApy FBA as the truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from amn.baselines.composition_amn import CompositionAMN
from amn.media.spec import core_medium

BASE = ["EX_co2_e_i", "EX_h_e_i", "EX_h2o_e_i", "EX_nh4_e_i", "EX_o2_e_i", "EX_pi_e_i"]
CARBON = ["EX_fru_e_i", "EX_succ_e_i", "EX_pyr_e_i", "EX_ac_e_i", "EX_mal__L_e_i", "EX_akg_e_i"]


@pytest.fixture(scope="module")
def fba_table(textbook, textbook_net):
    """Random carbon-source combinations on a glucose-free core medium, labelled by COBRApy FBA."""
    spec = core_medium(textbook_net)
    maximum = dict(zip(spec.reaction_ids, spec.max_value))
    rng = np.random.default_rng(0)
    rows = []
    while len(rows) < 120:
        present = rng.integers(0, 2, size=len(CARBON))
        if present.any():
            rows.append(dict(zip(CARBON, present)))
    C = pd.concat([pd.DataFrame(1, index=range(len(rows)), columns=BASE), pd.DataFrame(rows)], axis=1)
    growth = []
    for _, row in C.iterrows():
        with textbook:
            for rxn in textbook.exchanges:
                rxn.lower_bound = 0.0
            for uptake, present in row.items():
                textbook.reactions.get_by_id(uptake.removesuffix("_i")).lower_bound = -maximum[uptake] * present
            growth.append(textbook.slim_optimize(error_value=0.0))
    return C, np.array(growth), spec


def test_composition_amn_predicts_held_out_fba_growth(fba_table, textbook_net):
    C, y, spec = fba_table
    model = CompositionAMN(textbook_net, spec, epochs=150, random_state=0).fit(C.iloc[:90], y[:90])
    q2 = model.score(C.iloc[90:], y[90:])
    assert q2 > 0.8, q2
    fluxes = model.predict_fluxes(C.iloc[90:])
    assert list(fluxes.columns) == textbook_net.reaction_ids
    S = textbook_net.matrices().S

    def residual(F: pd.DataFrame) -> float:
        return float(np.linalg.norm(S @ F.to_numpy().T) / np.linalg.norm(F.to_numpy()))

    # the mechanistic loss keeps the fluxes near a steady state; without it they drift far from one
    unconstrained = CompositionAMN(textbook_net, spec, epochs=150, w_sv=0.0, random_state=0).fit(C.iloc[:90], y[:90])
    assert residual(fluxes) < 0.25 * residual(unconstrained.predict_fluxes(C.iloc[90:]))


def test_composition_amn_is_deterministic_and_checks_columns(fba_table, textbook_net):
    from amn.errors import DatasetMismatchError

    C, y, spec = fba_table
    a = CompositionAMN(textbook_net, spec, epochs=5, random_state=3).fit(C, y).predict(C)
    b = CompositionAMN(textbook_net, spec, epochs=5, random_state=3).fit(C, y).predict(C)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(DatasetMismatchError, match="EX_fru_e_i"):
        CompositionAMN(textbook_net, spec, epochs=1).fit(C, y).predict(C.drop(columns="EX_fru_e_i"))
    # a refit forgets the columns of the previous fit
    model = CompositionAMN(textbook_net, spec, epochs=1).fit(C, y)
    assert model.fit(C.drop(columns="EX_fru_e_i"), y).columns_ == [c for c in C.columns if c != "EX_fru_e_i"]


def test_experiment_cv_command_runs_every_method_on_the_same_folds(fba_table, tmp_path):
    from click.testing import CliRunner

    from amn.cli import main

    C, y, _ = fba_table
    C.assign(GR=y).iloc[:60].to_csv(tmp_path / "table.csv", index=False)
    result = CliRunner().invoke(main, ["experiment", "cv", "--data", str(tmp_path / "table.csv"), "--target", "GR",
                                       "--model", "textbook", "--amn", "3", "--exact-route", "--seeds", "0", "--out", str(tmp_path / "cv")])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "cv" / "results.csv")  # one row per method run, numeric scores
    expected = {"ridge", "FBA, best single bound", "FBA, composition-dependent bounds (exact route)", "AMN-QP"}
    assert expected <= set(table["method"]), table["method"].tolist()
    assert table["q2"].notna().all() and "published" not in table.columns
    predictions = pd.read_csv(tmp_path / "cv" / "predictions.csv", index_col=0)
    assert list(predictions.columns) == ["measured", *table["method"]] and len(predictions) == 60
    assert (tmp_path / "cv" / "report.md").exists()


def test_knockout_columns_reach_the_prior_and_the_mechanistic_layer(fba_table, textbook_net):
    from amn.errors import DatasetMismatchError
    from amn.network import Knockouts

    C, y, spec = fba_table
    rng = np.random.default_rng(1)
    knocked = pd.DataFrame({"b2779": rng.integers(0, 2, len(C)), "PFK": rng.integers(0, 2, len(C))})  # eno, a reaction
    table = pd.concat([knocked, C], axis=1)  # knockout columns first: the fitted order puts them last
    model = CompositionAMN(textbook_net, spec, knockout_ids=["b2779", "PFK"], epochs=5, random_state=0).fit(table, y)
    assert model.columns_ == [*C.columns, "b2779", "PFK"] and model.amn_.knockout_genes_ == ["b2779", "PFK"]
    fluxes = model.predict_fluxes(table)
    removed = Knockouts(textbook_net).mask([[k for k in ("b2779", "PFK") if row[k]] for _, row in knocked.iterrows()])
    assert removed.any() and (fluxes.to_numpy()[removed] == 0.0).all()  # the layer holds what they remove at 0
    assert (np.abs(fluxes.to_numpy()[~removed]) > 0).any()
    blind = CompositionAMN(textbook_net, spec, epochs=5, random_state=0).fit(C, y).predict_fluxes(C)
    assert not np.allclose(blind.to_numpy()[removed], 0.0)
    with pytest.raises(DatasetMismatchError, match="values must be 0 or 1"):
        model.predict(table.assign(PFK=2))
