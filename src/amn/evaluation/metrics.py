"""Scores as the AMN papers report them: R² (Q² on held-out data), accuracy, ROC AUC."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, r2_score, roc_auc_score

from amn.dataset.table import Task

METRICS: dict[str, tuple[str, ...]] = {"regression": ("q2",), "classification": ("accuracy", "roc_auc")}


def r2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Coefficient of determination ``1 - SS_res / SS_tot`` over all entries pooled.

    On training data it is the paper's R^2, on held-out data its Q^2.  For a
    matrix of fluxes, entries of every reaction are pooled (the "all-flux"
    score); NaN when the truth is constant.
    """
    y_true = np.asarray(y_true, dtype=float).ravel()
    y_pred = np.asarray(y_pred, dtype=float).ravel()
    ss_tot = np.sum((y_true - y_true.mean()) ** 2)
    if ss_tot == 0:
        return float("nan")
    return float(1.0 - np.sum((y_true - y_pred) ** 2) / ss_tot)


def scores(y: np.ndarray, prediction: np.ndarray, task: Task, labels: np.ndarray | None = None) -> dict[str, float]:
    """Scores of pooled predictions: Q², or accuracy (of ``labels``, default score >= 0.5) and ROC AUC."""
    if task == "regression":
        return {"q2": float(r2_score(y, prediction))}
    labels = (prediction >= 0.5).astype(int) if labels is None else labels
    return {"accuracy": float(accuracy_score(y, labels)), "roc_auc": float(roc_auc_score(y, prediction))}


def noise_ceiling(y: np.ndarray, replicate_sd: np.ndarray) -> float:
    """``1 - mean(SD²) / var(y)``: the Q² that the true medium means would reach against one replicate
    (the published ceiling); against means of n replicates the noise is SD²/n and the ceiling higher."""
    y, sd = np.asarray(y, dtype=float), np.asarray(replicate_sd, dtype=float)
    return float(1.0 - np.mean(sd**2) / np.var(y))
