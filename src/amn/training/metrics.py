"""Regression scores as the AMN papers report them."""

from __future__ import annotations

import numpy as np


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
