"""Scores as the AMN papers report them: R² (Q² on held-out data), per target and variance-weighted over several
targets; accuracy, balanced accuracy, ROC AUC and the majority-class rate beside them."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, balanced_accuracy_score, r2_score, roc_auc_score

from amn.dataset.table import Task

#: The metrics of each task, in the order of the tables (``results.csv`` columns).
METRICS: dict[str, tuple[str, ...]] = {
    "regression": ("q2",),
    "classification": ("accuracy", "balanced_accuracy", "roc_auc", "majority_rate"),
}
#: The headline metric of several targets.
VARIANCE_WEIGHTED = "q2_variance_weighted"


def metric_names(task: Task, targets: Sequence[str] | None = None) -> tuple[str, ...]:
    """The metrics of a task: :data:`METRICS`, or for several regression targets ``q2_variance_weighted`` then
    ``q2_<target>`` per target.

    Examples
    --------
    >>> metric_names("regression", ["a", "b"])
    ('q2_variance_weighted', 'q2_a', 'q2_b')
    >>> metric_names("regression", ["a"])
    ('q2',)
    """
    if task == "regression" and targets is not None and len(targets) > 1:
        return (VARIANCE_WEIGHTED, *(f"q2_{t}" for t in targets))
    return METRICS[task]


def variance_weighted_q2(y_true, y_pred) -> float:
    """``1 - sum_targets SSE / sum_targets SST`` of several targets (scikit-learn's ``r2_score``,
    ``multioutput="variance_weighted"``: targets weighted by their variance, constant ones weightless).

    Examples
    --------
    SSE 1 and 2, SST 2 and 8/3: 1 - 3 / (14/3) = 0.357...

    >>> round(variance_weighted_q2([[1.0, 0.0], [2.0, 0.0], [3.0, 2.0]], [[1.0, 0.0], [2.0, 1.0], [4.0, 1.0]]), 4)
    0.3571
    """
    return float(r2_score(np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float),
                          multioutput="variance_weighted"))


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


def scores(y: np.ndarray, prediction: np.ndarray, task: Task, labels: np.ndarray | None = None,
           targets: Sequence[str] | None = None) -> dict[str, float]:
    """Scores of pooled predictions: Q² (per target and variance-weighted for several), or accuracy, balanced
    accuracy, ROC AUC and majority-class rate.

    Parameters
    ----------
    y : array-like
        Measured values (regression; several outputs are pooled) or 0/1 classes.
    prediction : array-like
        Predicted values, or the score of class 1.
    task : {"regression", "classification"}
    labels : array-like, optional
        Predicted classes for the accuracies [default: ``prediction >= 0.5``].
    targets : sequence of str, optional
        Names of the columns of a 2-D ``y`` (several regression targets).

    Returns
    -------
    dict
        ``{"q2": ...}``; several targets: ``q2_variance_weighted`` (:func:`variance_weighted_q2`) and
        ``q2_<target>`` (:func:`r2` of each column, NaN for a constant one); or ``accuracy``, ``balanced_accuracy`` (mean recall of the two classes),
        ``roc_auc`` (NaN when ``y`` holds one class) and ``majority_rate`` (:func:`majority_rate` of ``y``).

    Examples
    --------
    >>> s = scores(np.array([0, 0, 0, 1]), np.array([0.1, 0.2, 0.6, 0.9]), "classification")
    >>> s["accuracy"], s["balanced_accuracy"], s["roc_auc"], s["majority_rate"]
    (0.75, 0.8333333333333333, 1.0, 0.75)
    """
    if task == "regression":
        if targets is None or len(targets) < 2:
            return {"q2": r2(y, prediction)}
        y, prediction = np.asarray(y, dtype=float), np.asarray(prediction, dtype=float)
        out = {VARIANCE_WEIGHTED: variance_weighted_q2(y, prediction)}
        for j, target in enumerate(targets):
            out[f"q2_{target}"] = r2(y[:, j], prediction[:, j])
        return out
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
