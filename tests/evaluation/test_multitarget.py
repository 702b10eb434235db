"""Several targets: per-target and variance-weighted Q² (against scikit-learn), leave-one-out, the output tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, RidgeCV
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold, LeaveOneOut, cross_val_predict

from amn.evaluation.holdout import evaluate_on
from amn.evaluation.metrics import scores
from amn.evaluation.report import predictions_table, results_frame, results_notes
from amn.evaluation.splits import check_cv
from amn.evaluation.validation import cross_validate


def _data(n=30, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    Y = pd.DataFrame({"a": X @ [1.0, 0.5, 0.0], "b": 10 * X[:, 1] + rng.normal(scale=3, size=n),
                      "c": rng.normal(size=n)})
    return X, Y


def test_variance_weighted_and_per_target_q2_match_scikit_learn():
    X, Y = _data()
    result = cross_validate(RidgeCV(), X, Y, seeds=(0,), cv="loo", targets=list(Y.columns))
    expected = cross_val_predict(RidgeCV(), X, Y, cv=LeaveOneOut())
    np.testing.assert_allclose(result.predictions[0], expected)
    assert result.metric == "q2_variance_weighted"
    assert result.mean() == pytest.approx(r2_score(Y, expected, multioutput="variance_weighted"))
    for j, target in enumerate(Y.columns):
        assert result.mean(f"q2_{target}") == pytest.approx(r2_score(Y[target], expected[:, j]))
    sse, sst = ((Y.to_numpy() - expected) ** 2).sum(), ((Y - Y.mean()) ** 2).to_numpy().sum()
    assert result.mean() == pytest.approx(1 - sse / sst)  # the definition the report states


def test_several_targets_split_with_a_shuffled_kfold_and_one_target_keeps_the_protocol():
    X, Y = _data()
    result = cross_validate(LinearRegression(), X, Y, seeds=(3,), cv=5, targets=list(Y.columns))
    expected = cross_val_predict(LinearRegression(), X, Y, cv=KFold(5, shuffle=True, random_state=3))
    np.testing.assert_allclose(result.predictions[0], expected)
    assert type(check_cv(10)).__name__ == "StratifiedBinsKFold"
    assert isinstance(check_cv("LOO"), LeaveOneOut)
    pooled = scores(Y.to_numpy(), expected, "regression")  # without names: the pooled all-entries Q², as before
    assert list(pooled) == ["q2"]


def test_output_tables_for_several_targets():
    X, Y = _data()
    results = [cross_validate(RidgeCV(), X, Y, seeds=(0, 1), cv=5, targets=list(Y.columns), name="ridge")]
    frame = results_frame(results)
    assert list(frame.columns) == ["method", "q2_variance_weighted", "q2_variance_weighted_sd",
                                   "q2_variance_weighted_of_mean", "q2_a", "q2_b", "q2_c", "seconds", "note"]
    notes = results_notes(list(frame.columns))
    assert "variance_weighted" in notes and "`q2_<target>` (3 columns)" in notes
    predictions = predictions_table(results, [f"r{i}" for i in range(30)], "experiment")
    assert list(predictions.columns) == ["measured:a", "measured:b", "measured:c", "ridge:a", "ridge:b", "ridge:c"]
    assert predictions.index.name == "experiment"
    np.testing.assert_allclose(predictions["measured:b"], Y["b"])
    held = evaluate_on(RidgeCV(), X[:20], Y[:20], X[20:], Y[20:], targets=list(Y.columns))
    fitted = RidgeCV().fit(X[:20], Y[:20]).predict(X[20:])
    assert held.mean() == pytest.approx(r2_score(Y[20:], fitted, multioutput="variance_weighted"))
