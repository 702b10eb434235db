"""One fold of a cross-validation: fit a fresh clone on the training rows, predict the rest.

:func:`run_fold` returns a JSON-ready record (predictions, targets, labels,
scores), so that a fold can run anywhere (:mod:`amn.evaluation.executors`)
and be written to disk as soon as it is done (:func:`load_record` reads it
back when a cross-validation resumes).
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import cobra
import numpy as np
import pandas as pd
from sklearn.base import clone

from amn.dataset.table import Task
from amn.evaluation.scorers import Fold
from amn.network import UnidirectionalNetwork


def _rows(X, index: np.ndarray):
    return X.iloc[index] if isinstance(X, (pd.DataFrame, pd.Series)) else np.asarray(X)[index]


def _shared(value) -> bool:
    """Parameters every clone shares instead of copying: networks and COBRApy models, read-only during ``fit``."""
    return isinstance(value, (UnidirectionalNetwork, cobra.Model))


def fresh(estimator, seed: int):
    """An unfitted copy; a ``random_state`` left at None is set to the repeat's seed (determinism).

    Like :func:`sklearn.base.clone`, except that a network parameter is passed
    to the copy as it is: deep-copying a COBRApy model re-parses every gene
    rule (seconds at genome scale), and CPython 3.11's parser fails when two
    threads of a process parse at once (a Dask worker unpickling the next job
    while this one copies).
    """
    if hasattr(estimator, "get_params"):
        params = estimator.get_params(deep=False)
        model = type(estimator)(**{name: value if _shared(value) else clone(value, safe=False)
                                   for name, value in params.items()})
    else:
        model = clone(estimator, safe=False)  # estimators without get_params are deep-copied
    if hasattr(model, "get_params") and model.get_params(deep=False).get("random_state", 0) is None:
        model.set_params(random_state=seed)
    return model


def fit(model, X, y, checkpoint_dir: Path | None) -> None:
    """``model.fit``, with ``checkpoint_dir`` for estimators whose ``fit`` takes it (resumable training)."""
    if checkpoint_dir is not None and "checkpoint_dir" in inspect.signature(model.fit).parameters:
        model.fit(X, y, checkpoint_dir=checkpoint_dir)
    else:
        model.fit(X, y)


def predict(model, X, task: Task) -> tuple[np.ndarray, np.ndarray | None]:
    if task == "regression":
        prediction = np.asarray(model.predict(X), dtype=float)
        return (prediction[:, 0] if prediction.ndim == 2 and prediction.shape[1] == 1 else prediction), None
    labels = np.asarray(model.predict(X)).astype(int).ravel()
    if hasattr(model, "predict_proba"):
        return np.asarray(model.predict_proba(X))[:, 1], labels
    if hasattr(model, "decision_function"):
        return np.asarray(model.decision_function(X), dtype=float).ravel(), labels
    return labels.astype(float), labels


def _target(scorer, model, y, shape: tuple[int, ...]) -> np.ndarray:
    values = scorer.target(model, y) if hasattr(scorer, "target") else y
    return np.asarray(values, dtype=float).reshape(shape)


def array(values) -> np.ndarray | None:
    return None if values is None else np.asarray(values, dtype=float)


def load_record(path: Path | None, valid: np.ndarray, needs_test: bool) -> dict | None:
    """The record of a finished fold, unless missing, unreadable or for another split."""
    if path is None or not path.exists():
        return None
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("valid") != valid.tolist() or "prediction" not in record:
        return None
    if needs_test and record.get("test_prediction") is None:
        return None
    return record


def run_fold(estimator, X, y, train, valid, seed, k, task, scorer, X_test, y_test, checkpoint_dir) -> dict:
    """Fit one fold and record its predictions, targets and scores (JSON-ready)."""
    model = fresh(estimator, seed)
    X_train, y_train, X_val, y_val = _rows(X, train), _rows(y, train), _rows(X, valid), _rows(y, valid)
    fit(model, X_train, y_train, checkpoint_dir)
    prediction, labels = predict(model, X_val, task)
    record = {"valid": valid.tolist(), "prediction": prediction.tolist(),
              "target": _target(scorer, model, y_val, prediction.shape).tolist(),
              "labels": None if labels is None else labels.tolist(), "test_prediction": None, "test_target": None}
    test_prediction = None
    if X_test is not None:
        test_prediction, _ = predict(model, X_test, task)
        record["test_prediction"] = test_prediction.tolist()
        if y_test is not None:
            record["test_target"] = _target(scorer, model, y_test, test_prediction.shape).tolist()
    fold = Fold(seed, k, X_train, y_train, X_val, y_val, prediction, X_test, y_test, test_prediction)
    record["scores"] = {} if scorer is None else {name: float(v) for name, v in scorer(model, fold).items()}
    return record
