"""Scores as the AMN papers report them: R² (Q² on held-out data); accuracy, balanced accuracy, ROC AUC and the
majority-class rate beside them."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.metrics import accuracy_score, balanced_accuracy_score, roc_auc_score

from amn.dataset.table import Task

#: The metrics of each task, in the order of the tables (``results.csv`` columns).
METRICS: dict[str, tuple[str, ...]] = {
    "regression": ("q2",),
    "classification": ("accuracy", "balanced_accuracy", "roc_auc", "majority_rate"),
}


def r2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Coefficient of determination ``1 - SS_res / SS_tot`` over all entries pooled.

    On training data it is the paper's R^2, on held-out data its Q^2.  For a
    matrix of fluxes, entries of every reaction are pooled (the "all-flux"
    score).  The one R² of the package: cross-validation, FBA agreement and the
    benchmarks all use it.

    Parameters
    ----------
    y_true, y_pred : array-like of the same size
        Reference and prediction (any shape; flattened).

    Returns
    -------
    float
        NaN when the reference is constant.

    Examples
    --------
    >>> r2([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
    0.5
    """
    y_true = np.asarray(y_true, dtype=float).ravel()
    y_pred = np.asarray(y_pred, dtype=float).ravel()
    ss_tot = np.sum((y_true - y_true.mean()) ** 2)
    if ss_tot == 0:
        return float("nan")
    return float(1.0 - np.sum((y_true - y_pred) ** 2) / ss_tot)


def majority_rate(y: np.ndarray) -> float:
    """The share of the most frequent class of ``y``: the accuracy of always predicting that class.

    Computed on the pooled values scored (e.g. every validated medium), not per training fold: the
    floor that an accuracy must beat.

    Parameters
    ----------
    y : array-like
        Classes.

    Returns
    -------
    float

    Examples
    --------
    >>> majority_rate([0, 1, 1, 1])
    0.75
    """
    _, counts = np.unique(np.asarray(y).ravel(), return_counts=True)
    return float(counts.max() / counts.sum())


def scores(y: np.ndarray, prediction: np.ndarray, task: Task, labels: np.ndarray | None = None) -> dict[str, float]:
    """Scores of pooled predictions: Q², or accuracy, balanced accuracy, ROC AUC and majority-class rate.

    Parameters
    ----------
    y : array-like
        Measured values (regression; several outputs are pooled) or 0/1 classes.
    prediction : array-like
        Predicted values, or the score of class 1.
    task : {"regression", "classification"}
    labels : array-like, optional
        Predicted classes for the accuracies [default: ``prediction >= 0.5``].

    Returns
    -------
    dict
        ``{"q2": ...}``, or ``accuracy``, ``balanced_accuracy`` (mean recall of the two classes),
        ``roc_auc`` (NaN when ``y`` holds one class) and ``majority_rate`` (:func:`majority_rate` of ``y``).

    Examples
    --------
    >>> s = scores(np.array([0, 0, 0, 1]), np.array([0.1, 0.2, 0.6, 0.9]), "classification")
    >>> s["accuracy"], s["balanced_accuracy"], s["roc_auc"], s["majority_rate"]
    (0.75, 0.8333333333333333, 1.0, 0.75)
    """
    if task == "regression":
        return {"q2": r2(y, prediction)}
    prediction = np.asarray(prediction, dtype=float)
    labels = (prediction >= 0.5).astype(int) if labels is None else labels
    one_class = len(np.unique(y)) < 2
    with warnings.catch_warnings():  # one class in y (a small test table): sklearn warns, the scores stand
        warnings.simplefilter("ignore", UserWarning)
        balanced = float(balanced_accuracy_score(y, labels))
    return {
        "accuracy": float(accuracy_score(y, labels)),
        "balanced_accuracy": balanced,
        "roc_auc": float("nan") if one_class else float(roc_auc_score(y, prediction)),
        "majority_rate": majority_rate(y),
    }


def noise_ceiling(y: np.ndarray, replicate_sd: np.ndarray) -> float:
    """``1 - mean(SD²) / var(y)``: the Q² that the true medium means would reach against one replicate.

    The published ceiling; against means of n replicates the noise is SD²/n and the ceiling higher.

    Parameters
    ----------
    y : array-like
        Measured means per medium.
    replicate_sd : array-like
        SD of the replicates per medium.

    Returns
    -------
    float
    """
    y, sd = np.asarray(y, dtype=float), np.asarray(replicate_sd, dtype=float)
    return float(1.0 - np.mean(sd**2) / np.var(y))
