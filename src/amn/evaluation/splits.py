"""Cross-validation splitters, as objects (scikit-learn's model_selection API).

The experimental protocol splits with :class:`StratifiedBinsKFold` (folds
stratified on quantile bins of a continuous target) or scikit-learn's
``StratifiedKFold`` (on the classes of a 0/1 target); flux datasets with
scikit-learn's ``KFold``.  :func:`check_cv` turns a number of folds into the
protocol's splitter (``"loo"``: leave one row out) and :func:`seeded` gives a splitter the seed of one repeat.
"""

from __future__ import annotations

import copy

import numpy as np
from scipy.stats import rankdata
from sklearn.model_selection import KFold, LeaveOneOut, StratifiedKFold

from amn.dataset.table import Task
from amn.errors import ParameterError

SEEDS = (0, 1, 2)
N_SPLITS = 10


def stratification_bins(y: np.ndarray, n_splits: int = N_SPLITS, n_bins: int | None = None) -> np.ndarray:
    """Quantile bin of every value: equal-count bins of the ranks (ties broken by order).

    Parameters
    ----------
    y : array of shape (n_samples,)
        Continuous target.
    n_splits : int, default 10
        Number of folds the bins are for.
    n_bins : int, optional
        Number of bins; default ``min(10, n // n_splits)`` (at least 1), which
        gives every bin at least one member per fold.

    Returns
    -------
    numpy.ndarray of int
        The bin (``0 .. n_bins - 1``) of every value; bin ``b`` holds smaller values than bin ``b + 1``.

    Examples
    --------
    >>> stratification_bins([0.3, 0.1, 0.2, 0.4], n_splits=2).tolist()
    [1, 0, 0, 1]
    """
    y = np.asarray(y, dtype=float)
    if n_bins is None:
        n_bins = max(1, min(10, len(y) // n_splits))
    ranks = rankdata(y, method="ordinal") - 1
    return (ranks * n_bins // len(y)).astype(int)


class StratifiedBinsKFold(StratifiedKFold):
    """K-fold stratified on quantile bins of a continuous target (:func:`stratification_bins`).

    The splitter of the experimental protocol for regression targets: every
    fold receives media across the whole range of growth rates.

    Parameters
    ----------
    n_splits : int, default 10
        Number of folds.
    shuffle : bool, default True
        Shuffle each bin before splitting (with ``random_state``).
    random_state : int, optional
        Seed of the shuffle.
    n_bins : int, optional
        Number of quantile bins; see :func:`stratification_bins`.

    Examples
    --------
    >>> import numpy as np
    >>> splitter = StratifiedBinsKFold(n_splits=2, random_state=0)
    >>> [len(valid) for _, valid in splitter.split(np.zeros((6, 1)), np.arange(6.0))]
    [3, 3]
    """

    def __init__(self, n_splits: int = N_SPLITS, *, shuffle: bool = True, random_state: int | None = None,
                 n_bins: int | None = None) -> None:
        super().__init__(n_splits=n_splits, shuffle=shuffle, random_state=random_state)
        self.n_bins = n_bins

    def split(self, X, y, groups=None):
        """Train and validation indices of every fold, stratified on the bins of ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Only its length is used.
        y : array-like of shape (n_samples,)
            Continuous target.
        groups : ignored

        Yields
        ------
        train, valid : numpy.ndarray
            Indices of the training and of the validation samples.
        """
        return super().split(X, stratification_bins(y, self.n_splits, self.n_bins), groups)


def check_cv(cv, task: Task = "regression", multioutput: bool = False):
    """The splitter for ``cv``: a number of folds becomes the protocol's splitter, a splitter is returned as is.

    Parameters
    ----------
    cv : int, "loo" or splitter
        Number of folds; ``"loo"`` (leave one row out: scikit-learn's ``LeaveOneOut``, e.g. one
        condition per row); or an object with ``split(X, y)`` and ``get_n_splits()``
        (scikit-learn's ``KFold``, :class:`StratifiedBinsKFold`, ...).
    task : {"regression", "classification"}
        For a number: quantile-bin stratification (regression) or class stratification.
    multioutput : bool, default False
        Several targets: a number gives a shuffled ``KFold`` (there is no one target to stratify on).

    Returns
    -------
    splitter

    Raises
    ------
    ParameterError
        If ``cv`` is a number below 2 or neither a number, ``"loo"`` nor a splitter.

    Examples
    --------
    >>> type(check_cv(10)).__name__, type(check_cv(10, multioutput=True)).__name__, type(check_cv("loo")).__name__
    ('StratifiedBinsKFold', 'KFold', 'LeaveOneOut')
    """
    if isinstance(cv, str) and cv.strip().lower() == "loo":
        return LeaveOneOut()
    if isinstance(cv, (int, np.integer)) and not isinstance(cv, bool):
        if cv < 2:
            raise ParameterError(f"cross-validation needs at least 2 folds, got {cv}")
        if task == "classification":
            return StratifiedKFold(n_splits=int(cv), shuffle=True)
        if multioutput:
            return KFold(n_splits=int(cv), shuffle=True)
        return StratifiedBinsKFold(n_splits=int(cv))
    if not (hasattr(cv, "split") and hasattr(cv, "get_n_splits")):
        raise ParameterError(f"cv must be a number of folds, 'loo' or a splitter with split() and get_n_splits(), "
                             f"got {cv!r}")
    return cv


def seeded(splitter, seed: int):
    """A copy of ``splitter`` whose shuffle uses ``seed`` (the splitter itself when it does not shuffle).

    Parameters
    ----------
    splitter
        A scikit-learn style splitter with ``shuffle`` and ``random_state`` attributes.
    seed : int
        Seed of one repeat.

    Returns
    -------
    splitter
    """
    if not getattr(splitter, "shuffle", False) or not hasattr(splitter, "random_state"):
        return splitter
    out = copy.copy(splitter)
    out.random_state = int(seed)
    return out


def fold_labels(splitter, X, y) -> np.ndarray:
    """Validation fold of every sample under ``splitter`` (-1 for samples no fold validates).

    Parameters
    ----------
    splitter
        Object with ``split(X, y)``.
    X, y : array-like
        Samples and target, as ``split`` takes them.

    Returns
    -------
    numpy.ndarray of int, shape (n_samples,)
    """
    folds = np.full(len(X), -1, dtype=int)
    for k, (_, valid) in enumerate(splitter.split(X, y)):
        folds[valid] = k
    return folds


def cv_folds(y: np.ndarray, n_splits: int = N_SPLITS, seed: int = 0, task: Task = "regression") -> np.ndarray:
    """Validation fold of every sample in the protocol: stratified on binned ``y`` (or its classes), seeded.

    Parameters
    ----------
    y : array of shape (n_samples,)
        Target (growth rates, or 0/1 classes).
    n_splits : int, default 10
        Number of folds.
    seed : int, default 0
        Seed of the shuffle.
    task : {"regression", "classification"}

    Returns
    -------
    numpy.ndarray of int
        The fold (``0 .. n_splits - 1``) of every sample.
    """
    y = np.asarray(y)
    return fold_labels(seeded(check_cv(n_splits, task), seed), np.zeros(len(y)), y)
