"""The one method registry: what the command line and the benchmark compare, and XGBoost as an option."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from amn.baselines.registry import XGBOOST_MISSING, methods_for, statistical_methods
from amn.dataset.validation import validate_table
from amn.media.spec import MediumSpec


def salts() -> MediumSpec:
    """The base compounds that the textbook model needs besides the tables' carbon sources."""
    ids = ("EX_nh4_e_i", "EX_pi_e_i", "EX_h2o_e_i", "EX_h_e_i", "EX_o2_e_i", "EX_co2_e_i")
    return MediumSpec(ids, np.ones(6), np.full(6, 1000.0), 0.0, source="salts")


def table(task: str = "regression"):
    rng = np.random.default_rng(0)
    X = pd.DataFrame((rng.random((20, 3)) < 0.5).astype(float), columns=["EX_glc__D_e_i", "EX_fru_e_i", "EX_succ_e_i"])
    y = X.sum(axis=1) + rng.normal(scale=0.1, size=20)
    return validate_table(X.assign(y=(y > y.median()).astype(int) if task == "classification" else y), target="y")


@pytest.mark.parametrize("task", ["regression", "classification"])
def test_xgboost_is_left_out_with_a_warning_when_missing(monkeypatch, task):
    monkeypatch.setitem(sys.modules, "xgboost", None)  # `import xgboost` now raises ImportError
    with pytest.warns(UserWarning, match="xgboost is not installed") as caught:
        names = [m.name for m in statistical_methods(task)]
    assert "XGBoost" not in names and "random forest" in names
    assert [str(w.message) for w in caught] == [XGBOOST_MISSING]  # one line, once


def test_xgboost_is_built_lazily_when_present():
    pytest.importorskip("xgboost")
    (boost,) = [m for m in statistical_methods() if m.name == "XGBoost"]
    assert type(boost.build(None)).__name__ == "XGBRegressor"


def test_methods_for_follows_the_command_line_options(textbook_net):
    names = [m.name for m in methods_for(table())]
    assert names == [m.name for m in statistical_methods()]
    network, medium = textbook_net, salts()
    full = [m.name for m in methods_for(table(), network, medium, exact_route=True, amn_epochs=5,
                                        growth_model="saved", reservoir_fba=True)]
    assert full[len(names):] == [
        "FBA, best single bound", "FBA, best single bound + affine", "FBA, per-compound bounds (L-BFGS-B)",
        "FBA, per-compound bounds (L-BFGS-B) + affine", "FBA, composition-dependent bounds (exact route)",
        "AMN-QP", "reservoir", "FBA with reservoir bounds",
    ]
    with pytest.warns(UserWarning, match="AMN-QP .* skipped: it needs --model"):
        assert "AMN-QP" not in [m.name for m in methods_for(table(), amn_epochs=5)]
    with pytest.warns(UserWarning, match="skipped"):  # AMN-QP predicts growth rates: one line says so
        classification = [m.name for m in methods_for(table("classification"), network, medium, amn_epochs=5,
                                                      growth_model="x")]
    assert classification == [m.name for m in statistical_methods("classification")] + [
        "FBA, table bounds", "FBA, best single bound", "reservoir"]


def test_methods_that_cannot_run_on_a_classification_table_say_why(textbook_net):
    with pytest.warns(UserWarning) as caught:
        methods = methods_for(table("classification"), textbook_net, salts(), exact_route=True, amn_epochs=5,
                              growth_model="x")
    lines = [str(w.message) for w in caught if "skipped" in str(w.message) and "xgboost" not in str(w.message)]
    assert [line.split(" (")[0] for line in lines] == ["exact-FBA route", "AMN-QP"]
    assert all("classification" in line for line in lines)
    from amn.baselines.fba import FBAGrowthClassifier
    from amn.reservoir import ReservoirClassifier

    built = {m.name: m.build(table("classification")) for m in methods}
    assert type(built["reservoir"]) is ReservoirClassifier
    assert type(built["FBA, table bounds"]) is FBAGrowthClassifier and built["FBA, best single bound"].grid


def test_select_methods_by_name_case_insensitive_and_unknown_names():
    from amn.baselines.mechanistic import fba_methods
    from amn.baselines.method import select_methods
    from amn.errors import ParameterError

    methods = statistical_methods() + fba_methods(object())
    chosen = select_methods(methods, "FBA, best single bound + affine,Ridge, random FOREST")
    assert [m.name for m in chosen] == ["ridge", "random forest", "FBA, best single bound + affine"]  # registry order
    assert select_methods(methods, None) == list(methods) and select_methods(methods, ["ridge"])[0].name == "ridge"
    with pytest.raises(ParameterError, match=r"unknown method\(s\) 'lasso'; choices \(some names hold a comma\): ridge; Gaussian process"):
        select_methods(methods, "ridge,lasso")


def test_run_methods_on_fits_all_rows_and_scores_the_test_table():
    from sklearn.linear_model import RidgeCV

    from amn.baselines.method import Method, run_methods_on
    from amn.errors import DatasetMismatchError

    train, test = table(), validate_table(table().X.assign(y=np.arange(20.0))[["EX_succ_e_i", "EX_glc__D_e_i",
                                                                                "EX_fru_e_i", "y"]], target="y")
    (result,) = run_methods_on([Method("ridge", lambda t: RidgeCV())], train, test)
    expected = RidgeCV().fit(train.X, train.y).predict(test.X[train.composition_ids])
    np.testing.assert_allclose(result.predictions[0], expected)  # test columns put in the training order
    assert result.name == "ridge" and result.y.tolist() == list(range(20))
    other = validate_table(table().X.drop(columns="EX_fru_e_i").assign(y=np.arange(20.0)), target="y")
    with pytest.raises(DatasetMismatchError, match="missing EX_fru_e_i"):
        run_methods_on([Method("ridge", lambda t: RidgeCV())], train, other)


def _fluxes(textbook_net):
    rng = np.random.default_rng(1)
    n = 24
    glucose = rng.uniform(1, 10, n)
    pgi = next(g.name for g in textbook_net.model.genes if g.name == "pgi")
    knocked = (rng.random(n) < 0.3).astype(int)
    rows = pd.DataFrame({"EX_glc__D_e_i": glucose, pgi: 1 - knocked,  # 0 = knocked out
                         "R_PGI_fwd": 0.8 * glucose * (1 - knocked) + rng.normal(scale=0.1, size=n),
                         "R_GND": 0.2 * glucose + knocked * glucose * 0.7 + rng.normal(scale=0.1, size=n)})
    return validate_table(rows, "all-remaining", textbook_net, knockout_value=0)


def test_every_statistical_baseline_predicts_several_targets(textbook_net):
    from sklearn.linear_model import RidgeCV
    from sklearn.metrics import r2_score
    from sklearn.model_selection import KFold, cross_val_predict

    from amn.baselines.method import run_methods

    flux = _fluxes(textbook_net)
    methods = [m for m in statistical_methods("regression", 2) if m.name != "Gaussian process (ARD)"]
    results = run_methods(methods, flux, seeds=(0,), n_splits=4)
    assert all(r.predictions.shape == (1, 24, 2) and np.isfinite(r.mean()) for r in results)
    (ridge,) = [r for r in results if r.name == "ridge"]
    expected = cross_val_predict(RidgeCV(alphas=np.logspace(-3, 3, 25), alpha_per_target=True), flux.X, flux.Y,
                                 cv=KFold(4, shuffle=True, random_state=0))
    assert ridge.mean() == pytest.approx(r2_score(flux.Y, expected, multioutput="variance_weighted"))
    uptake_only = cross_val_predict(RidgeCV(alphas=np.logspace(-3, 3, 25), alpha_per_target=True),
                                    flux.X[["EX_glc__D_e_i"]], flux.Y, cv=KFold(4, shuffle=True, random_state=0))
    # the knockout mask is an input too: the statistical baselines see every role
    assert ridge.mean() > r2_score(flux.Y, uptake_only, multioutput="variance_weighted") + 0.1


def test_growth_rate_methods_are_skipped_with_one_line_each(textbook_net):
    flux = _fluxes(textbook_net)
    with pytest.warns(UserWarning) as caught:
        names = [m.name for m in methods_for(flux, textbook_net, amn_epochs=3, growth_model="model")]
    messages = [str(w.message) for w in caught if "xgboost" not in str(w.message)]
    assert messages == ["FBA baselines (--model) skipped: FBA predicts one growth rate and this table has 2 targets",
                        "AMN-QP (--amn) skipped: it predicts one growth rate and this table has 2 targets",
                        "reservoir (--growth-model) skipped: it predicts one growth rate and this table has 2 targets"]
    assert "AMN-QP" not in names and "ridge" in names
    bounds = validate_table(pd.DataFrame({"EX_glc__D_e_i": [1.0, 5.0, 2.0, 8.0], "GR": [0.1, 0.4, 0.2, 0.6]}), "GR",
                            textbook_net)
    with pytest.warns(UserWarning, match="AMN-QP \\(--amn\\) skipped: it reads 0/1 compositions and this "
                                         "table's uptake columns are bounds"):
        names = [m.name for m in methods_for(bounds, textbook_net, salts(), amn_epochs=3)]
    assert names[-5:] == ["FBA, table bounds", "FBA, best single bound", "FBA, best single bound + affine",
                          "FBA, per-compound bounds (L-BFGS-B)", "FBA, per-compound bounds (L-BFGS-B) + affine"]


def test_fba_methods_are_skipped_when_the_model_grows_in_no_medium_of_the_table(textbook_net):
    """Without the salts every FBA prediction would be 0 (textbook needs phosphate): one line naming the
    closed essential uptake, instead of a column of zeros scored as a method."""
    import cobra

    grows = table()
    with pytest.warns(UserWarning) as caught:
        names = [m.name for m in methods_for(grows, textbook_net, amn_epochs=3)]
    lines = [str(w.message) for w in caught if "xgboost" not in str(w.message)]
    assert [line.split(" skipped")[0] for line in lines] == ["FBA baselines (--model)", "AMN-QP (--amn)"]
    assert all("grows in no medium of the table" in line and "essential uptakes closed: EX_pi_e_i" in line
               and "--medium" in line for line in lines)
    assert names == [m.name for m in statistical_methods()]
    model = cobra.io.load_model("textbook")  # the reference: COBRApy
    carbon = {"EX_glc__D_e": 1000.0, "EX_fru_e": 1000.0, "EX_succ_e": 1000.0}
    model.medium = carbon  # the table's uptakes open, all else closed
    assert model.slim_optimize(error_value=0.0) < 1e-9
    model.medium = {r.id: 1000.0 for r in model.exchanges if r.id != "EX_pi_e"}  # phosphate is essential
    assert model.slim_optimize(error_value=0.0) < 1e-9
    model.medium = {**carbon, **{f"{r[:-2]}": 1000.0 for r in salts().minimal}}
    assert model.slim_optimize() > 1.0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names = [m.name for m in methods_for(grows, textbook_net, salts())]
    assert "FBA, best single bound" in names and not [w for w in caught if "grows in no medium" in str(w.message)]


def test_a_growth_table_with_knockouts_gets_methods_that_apply_them(textbook_net, tmp_path):
    rng = np.random.default_rng(4)
    n = 16
    rows = pd.DataFrame({"EX_glc__D_e_i": (rng.random(n) < 0.5).astype(float), "EX_succ_e_i": 1.0 - (rng.random(n) < 0.3),
                         "pgi": (rng.random(n) < 0.7).astype(int), "GR": rng.uniform(0.1, 0.9, n)})  # pgi 0 = knocked out
    growth = validate_table(rows, "GR", textbook_net, knockout_value=0)
    salts = ("EX_nh4_e_i", "EX_pi_e_i", "EX_h2o_e_i", "EX_h_e_i", "EX_o2_e_i", "EX_co2_e_i")
    medium = MediumSpec(salts, np.ones(6), np.full(6, 1000.0), 0.0, source="salts")
    with pytest.warns(UserWarning, match="flux AMNs"):  # the target names no reaction: one line, not flux AMNs
        methods = methods_for(growth, textbook_net, medium, exact_route=True, amn_epochs=3, growth_model="model",
                              reservoir_fba=True)
    for name in ("reservoir", "FBA with reservoir bounds"):
        (reservoir,) = [m for m in methods if m.name == name]
        assert reservoir.build(growth).knockout_ids == ["b4025"] and "b4025" in reservoir.inputs(growth).columns
    dense = tmp_path / "dense"  # what the listing reads of a saved growth model: its model.json
    dense.mkdir()
    (dense / "model.json").write_text('{"arch": "ann-sv", "knockout_genes": ["b1723"]}')
    with pytest.warns(UserWarning) as caught:
        methods_for(growth, textbook_net, medium, growth_model=dense)
    lines = [str(w.message) for w in caught if str(w.message).startswith("reservoir")]
    assert lines == [(f"reservoir (--growth-model) skipped: growth model {dense} is a dense network (ann-sv) "
                      "without a knockout input for b4025")]
    (dense / "model.json").write_text('{"arch": "ann-sv", "knockout_genes": ["b4025"]}')
    with pytest.warns(UserWarning, match="flux AMNs"):
        assert "reservoir" in [m.name for m in methods_for(growth, textbook_net, medium, growth_model=dense)]
    (amn_qp,) = [m for m in methods if m.name == "AMN-QP"]
    assert amn_qp.build(growth).knockout_ids == ["b4025"] and "b4025" in amn_qp.inputs(growth).columns
    fba = [m for m in methods if m.name.startswith("FBA") and "reservoir" not in m.name]
    assert [m.name for m in fba] == [
        "FBA, best single bound", "FBA, best single bound + affine", "FBA, per-compound bounds (L-BFGS-B)",
        "FBA, per-compound bounds (L-BFGS-B) + affine", "FBA, composition-dependent bounds (exact route)"]
    assert all(list(m.inputs(growth).columns) == ["EX_glc__D_e_i", "EX_succ_e_i", "b4025"] for m in fba)
    assert "uptake and knockout columns" not in fba[0].note  # the table has no other input
    estimator = fba[0].build(growth)
    assert estimator.uptake_model.knockout_ids == ["b4025"]
    knocked = growth.X["b4025"] == 1
    estimator.fit(fba[0].inputs(growth), growth.y)
    with_ko = estimator.fba_growth(fba[0].inputs(growth))
    without = estimator.fba_growth(fba[0].inputs(growth).assign(b4025=0.0))
    assert knocked.any() and (with_ko[knocked] < without[knocked] - 1e-3).all()
    assert np.allclose(with_ko[~knocked], without[~knocked])
