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
    classification = [m.name for m in methods_for(table("classification"), network, amn_epochs=5, growth_model="x")]
    assert classification == [m.name for m in statistical_methods("classification")]  # growth methods: regression only
