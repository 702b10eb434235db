"""Fit on one table, score on another: simulated -> measured, one lab's media -> another's.

:func:`evaluate_on` fits a fresh copy of an estimator on every training row and predicts the test rows
once; the result is a :class:`~amn.evaluation.validation.CVResult` with a single repeat whose one
"fold" is the whole test set, so that the method table, ``results.csv`` and ``predictions.csv`` are
written the same way as for cross-validation.
"""

from __future__ import annotations

import time

import numpy as np

from amn.dataset.table import Task
from amn.errors import DatasetMismatchError
from amn.evaluation.folds import fit, fresh, predict
from amn.evaluation.validation import CVResult


def evaluate_on(
    estimator,
    X_train,
    y_train,
    X_test,
    y_test,
    task: Task = "regression",
    seed: int = 0,
    *,
    name: str | None = None,
    targets=None,
) -> CVResult:
    """Fit ``estimator`` (a fresh copy) on all of ``X_train`` and score its predictions of ``X_test``.

    Parameters
    ----------
    estimator
        Any object with ``fit(X, y)`` and ``predict(X)`` (``predict_proba`` or ``decision_function`` for
        ROC AUC); a ``random_state`` left at None is set to ``seed``.
    X_train, y_train
        Training rows and targets.
    X_test, y_test
        Test rows (the same columns, in the same order) and the values they are scored against.
    task : {"regression", "classification"}, default "regression"
    seed : int, default 0
        The seed of the one repeat.
    name : str, optional
        The method's name [default: the estimator's class name].
    targets : sequence of str, optional
        Names of the columns of a 2-D ``y`` (several targets: scored each and variance-weighted).

    Returns
    -------
    CVResult
        One repeat: ``y`` is ``y_test``, ``predictions`` has shape (1, n_test), every test row is in fold 0;
        ``seconds`` is the time to fit and predict.

    Raises
    ------
    DatasetMismatchError
        When the test rows have other columns than the training rows (DataFrames), or their numbers differ.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> X = np.arange(40.0).reshape(20, 2); y = X @ [1.0, 2.0]
    >>> evaluate_on(LinearRegression(), X[:15], y[:15], X[15:], y[15:]).summary()["q2"]
    1.0
    """
    train_columns, test_columns = getattr(X_train, "columns", None), getattr(X_test, "columns", None)
    if train_columns is not None and test_columns is not None and list(train_columns) != list(test_columns):
        raise DatasetMismatchError("the test rows must have the training rows' columns, in the same order")
    y_test = np.asarray(y_test, dtype=float)
    if len(X_test) != len(y_test):
        raise DatasetMismatchError(f"{len(X_test)} test rows but {len(y_test)} test targets")
    start = time.perf_counter()
    model = fresh(estimator, seed)
    fit(model, X_train, np.asarray(y_train, dtype=float), None)
    prediction, labels = predict(model, X_test, task)
    return CVResult(
        name=name or type(estimator).__name__,
        task=task,
        y=y_test,
        predictions=prediction[None],
        folds=np.zeros((1, len(y_test)), dtype=int),
        seeds=(int(seed),),
        labels=None if labels is None else labels[None],
        seconds=time.perf_counter() - start,
        targets=None if targets is None or len(targets) < 2 else tuple(map(str, targets)),
    )
