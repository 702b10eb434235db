"""Classification metrics against scikit-learn's, the machine-readable method table, the published column only
for the published table, predictions per medium, and fit-on-one-table, score-on-another."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score, r2_score, roc_auc_score

from amn.data import sha256_of
from amn.errors import DatasetMismatchError
from amn.evaluation.holdout import evaluate_on
from amn.evaluation.metrics import METRICS, majority_rate, scores
from amn.evaluation.report import (
    PUBLISHED,
    PUBLISHED_SHA256,
    method_table,
    metric_notes,
    predictions_table,
    published_for,
    results_frame,
)
from amn.evaluation.validation import cross_validate

PUBLISHED_TABLE = "experimental/ecoli_dh5a_growth/iML1515_EXP.csv"


def classes(n: int = 90, seed: int = 2):
    rng = np.random.default_rng(seed)
    X = (rng.random((n, 5)) < 0.5).astype(float)
    y = (X @ np.array([1.5, -1.0, 0.5, 0.0, 1.0]) + rng.normal(scale=0.7, size=n) > 1.4).astype(float)
    return X, y


def regression(n: int = 60, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = (rng.random((n, 4)) < 0.5).astype(float)
    return X, X @ [1.0, -0.5, 2.0, 0.3] + rng.normal(scale=0.3, size=n)


def test_classification_scores_match_sklearn():
    rng = np.random.default_rng(0)
    y = (rng.random(50) < 0.3).astype(int)
    score = np.clip(y * 0.4 + rng.random(50) * 0.7, 0, 1)
    got = scores(y, score, "classification")
    labels = (score >= 0.5).astype(int)
    assert list(got) == list(METRICS["classification"])
    assert got["accuracy"] == pytest.approx(accuracy_score(y, labels))
    assert got["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y, labels))
    assert got["balanced_accuracy"] != pytest.approx(got["accuracy"])  # the two differ on unbalanced classes
    assert got["roc_auc"] == pytest.approx(roc_auc_score(y, score))
    assert got["majority_rate"] == pytest.approx(max(y.mean(), 1 - y.mean()))
    assert majority_rate([1, 1, 0]) == pytest.approx(2 / 3)
    assert np.isnan(scores(np.ones(4), np.full(4, 0.7), "classification")["roc_auc"])  # one class: no ROC AUC


def test_cross_validated_balanced_accuracy_and_majority_rate():
    X, y = classes()
    result = cross_validate(LogisticRegression(), X, y, task="classification", seeds=(0, 1))
    for r in range(2):
        assert result.scores["balanced_accuracy"][r] == pytest.approx(balanced_accuracy_score(y, result.labels[r]))
        assert result.scores["majority_rate"][r] == pytest.approx(max(y.mean(), 1 - y.mean()))


def test_results_frame_columns_regression_and_classification():
    X, y = regression()
    ridge = cross_validate(LinearRegression(), X, y, seeds=(0, 1), cv=5, name="ols")
    frame = results_frame([ridge], notes={"ols": "plain"})
    assert list(frame.columns) == ["method", "q2", "q2_sd", "q2_of_mean", "seconds", "note"]
    assert frame.loc[0, "q2"] == pytest.approx(ridge.mean()) and frame.loc[0, "note"] == "plain"
    assert frame.loc[0, "q2_of_mean"] == pytest.approx(r2_score(y, ridge.mean_prediction))
    assert pd.api.types.is_float_dtype(frame["q2"]) and pd.api.types.is_float_dtype(frame["q2_sd"])

    Xc, yc = classes()
    logistic = cross_validate(LogisticRegression(), Xc, yc, task="classification", seeds=(0, 1), name="logistic")
    assert list(results_frame([logistic]).columns) == [
        "method", "accuracy", "accuracy_sd", "balanced_accuracy", "balanced_accuracy_sd", "roc_auc", "roc_auc_sd",
        "majority_rate", "seconds", "note"]
    once = cross_validate(LinearRegression(), X, y, seeds=(3,), cv=5)
    assert list(results_frame([once], published={"LinearRegression": "0.5"}).columns) == [
        "method", "q2", "seconds", "note", "published"]  # one repeat: no _sd


def test_human_table_states_its_metrics_and_shows_published_only_when_given():
    Xc, yc = classes()
    logistic = cross_validate(LogisticRegression(), Xc, yc, task="classification", seeds=(0, 1), name="logistic")
    table = method_table([logistic], published={})
    assert list(table.columns) == ["method", "roc_auc (ours)", "roc_auc of mean prediction", "accuracy",
                                   "balanced_accuracy", "majority_rate", "seconds", "note"]
    assert len(table) == 1 and table.loc[0, "accuracy"].startswith(f"{logistic.mean('accuracy'):.3f} ±")
    notes = metric_notes(list(table.columns))
    assert "ROC AUC" in notes and "balanced accuracy" in notes and "majority-class rate" in notes
    X, y = regression()
    ridge = cross_validate(LinearRegression(), X, y, seeds=(0,), cv=5, name="ridge")
    with_published = method_table([ridge])
    assert with_published.loc[0, "published"] == PUBLISHED["ridge"] and "AMN-LP" in set(with_published["method"])
    assert "published" not in method_table([ridge], published={}).columns


def test_published_figures_only_for_the_published_table(tmp_path):
    from amn.data import locate
    from amn.errors import DataError

    try:
        source = locate(PUBLISHED_TABLE)
    except DataError:
        pytest.skip("the published table is not in a data directory")
    assert sha256_of(source) == PUBLISHED_SHA256  # the pin is the file's
    copy = tmp_path / "any_name.csv"
    shutil.copyfile(source, copy)
    assert published_for(copy) == PUBLISHED  # by content, not by name
    assert published_for(copy, target="GR_STD") == {}
    edited = tmp_path / "edited.csv"
    edited.write_bytes(source.read_bytes().replace(b"0.169588466", b"0.169588467", 1))
    assert published_for(edited) == {}
    assert published_for(tmp_path / "missing.csv") == {}


def test_predictions_table_and_evaluate_on():
    X, y = regression(80)
    index = pd.Index([f"m{i}" for i in range(20)])
    result = evaluate_on(LinearRegression(), X[:60], y[:60], X[60:], y[60:], name="ols")
    expected = LinearRegression().fit(X[:60], y[:60]).predict(X[60:])
    np.testing.assert_allclose(result.predictions[0], expected)
    assert result.mean() == pytest.approx(r2_score(y[60:], expected)) and result.seeds == (0,)
    frame = predictions_table([result], index)
    assert list(frame.columns) == ["measured", "ols"] and list(frame.index) == list(index)
    assert frame.index.name == "medium"
    np.testing.assert_allclose(frame["measured"], y[60:])

    Xc, yc = classes(120)
    clf = evaluate_on(LogisticRegression(), Xc[:90], yc[:90], Xc[90:], yc[90:], "classification", name="logistic")
    model = LogisticRegression().fit(Xc[:90], yc[:90])
    assert clf.mean("accuracy") == pytest.approx(accuracy_score(yc[90:], model.predict(Xc[90:])))
    assert clf.mean("roc_auc") == pytest.approx(roc_auc_score(yc[90:], model.predict_proba(Xc[90:])[:, 1]))
    np.testing.assert_allclose(predictions_table([clf])["logistic"], model.predict_proba(Xc[90:])[:, 1])

    columns = pd.DataFrame(X, columns=list("abcd"))
    with pytest.raises(DatasetMismatchError, match="columns"):
        evaluate_on(LinearRegression(), columns[:60], y[:60], columns[60:][list("dcba")], y[60:])
