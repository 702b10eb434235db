"""The one method registry: what the command line and the benchmark compare, and XGBoost as an option."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from amn.baselines.registry import XGBOOST_MISSING, methods_for, statistical_methods
from amn.dataset.table import validate_table


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


def test_methods_for_follows_the_command_line_options():
    names = [m.name for m in methods_for(table())]
    assert names == [m.name for m in statistical_methods()]
    network = object()  # the FBA models are built on first use, not here
    full = [m.name for m in methods_for(table(), network, exact_route=True, amn_epochs=5, growth_model="saved",
                                        reservoir_fba=True)]
    assert full[len(names):] == [
        "FBA, best single bound", "FBA, best single bound + affine", "FBA, per-compound bounds (L-BFGS-B)",
        "FBA, per-compound bounds (L-BFGS-B) + affine", "FBA, composition-dependent bounds (exact route)",
        "AMN-QP", "reservoir", "FBA with reservoir bounds",
    ]
    assert "AMN-QP" not in [m.name for m in methods_for(table(), amn_epochs=5)]  # AMN-QP needs a network
    with pytest.warns(UserWarning, match="skipped"):  # one line per mechanistic method asked for
        classification = [m.name for m in methods_for(table("classification"), network, amn_epochs=5,
                                                      growth_model="x")]
    assert classification == [m.name for m in statistical_methods("classification")]  # growth methods: regression only


def test_mechanistic_methods_on_a_classification_table_say_why_they_are_skipped():
    with pytest.warns(UserWarning) as caught:
        methods_for(table("classification"), object(), exact_route=True, amn_epochs=5, growth_model="x")
    lines = [str(w.message) for w in caught if "skipped" in str(w.message) and "xgboost" not in str(w.message)]
    assert [line.split(" (")[0] for line in lines] == ["FBA baselines", "exact-FBA route", "AMN-QP", "reservoir"]
    assert all("classification" in line for line in lines)


def test_select_methods_by_name_case_insensitive_and_unknown_names():
    from amn.baselines.registry import fba_methods, select_methods
    from amn.errors import ParameterError

    methods = statistical_methods() + fba_methods(object())
    chosen = select_methods(methods, "FBA, best single bound + affine,Ridge, random FOREST")
    assert [m.name for m in chosen] == ["ridge", "random forest", "FBA, best single bound + affine"]  # registry order
    assert select_methods(methods, None) == list(methods) and select_methods(methods, ["ridge"])[0].name == "ridge"
    with pytest.raises(ParameterError, match=r"unknown method\(s\) 'lasso'; choices: ridge, Gaussian process"):
        select_methods(methods, "ridge,lasso")


def test_run_methods_on_fits_all_rows_and_scores_the_test_table():
    from sklearn.linear_model import RidgeCV

    from amn.baselines.registry import Method, run_methods_on
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
