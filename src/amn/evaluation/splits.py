"""Cross-validation folds of the experimental protocol: stratified on the binned target, seeded."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata
from sklearn.model_selection import StratifiedKFold

from amn.dataset.table import Task

SEEDS = (0, 1, 2)
N_SPLITS = 10


def stratification_bins(y: np.ndarray, n_splits: int = N_SPLITS, n_bins: int | None = None) -> np.ndarray:
    """Quantile bin (0..n_bins-1) of every value: equal-count bins of the ranks (ties broken by order).

    The default number of bins, ``min(10, n // n_splits)``, gives every bin at
    least one member per fold.
    """
    y = np.asarray(y, dtype=float)
    if n_bins is None:
        n_bins = max(1, min(10, len(y) // n_splits))
    ranks = rankdata(y, method="ordinal") - 1
    return (ranks * n_bins // len(y)).astype(int)


def cv_folds(y: np.ndarray, n_splits: int = N_SPLITS, seed: int = 0, task: Task = "regression") -> np.ndarray:
    """Validation fold (0..n_splits-1) of every sample, stratified on binned ``y`` (or its classes)."""
    y = np.asarray(y)
    strata = y.astype(int) if task == "classification" else stratification_bins(y, n_splits)
    folds = np.empty(len(y), dtype=int)
    splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    for k, (_, valid) in enumerate(splitter.split(np.zeros(len(y)), strata)):
        folds[valid] = k
    return folds
