"""Per-fold scorers of :func:`amn.evaluation.validation.cross_validate`.

The loop pools every repeat's validation predictions and scores them (Q², or
accuracy and ROC AUC); a scorer adds metrics per fitted fold, as rows of
:attr:`CVResult.fold_scores <amn.evaluation.validation.CVResult.fold_scores>`,
and says which values the predictions estimate (:meth:`FoldScorer.target`).
:class:`AMNFoldScorer` gives the scores of the AMN papers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from amn.evaluation.metrics import r2


@dataclass(frozen=True)
class Fold:
    """One fitted fold as a scorer sees it.

    Attributes
    ----------
    seed, index : int
        The repeat's seed and the fold's number in it.
    X_train, y_train, X_val, y_val
        The fold's training and validation rows, as given to ``cross_validate``.
    prediction : numpy.ndarray
        The model's prediction of ``X_val`` (regression: values; classification: the score of class 1).
    X_test, y_test
        The independent test set, or None.
    test_prediction : numpy.ndarray or None
        The model's prediction of ``X_test``.
    """

    seed: int
    index: int
    X_train: Any
    y_train: Any
    X_val: Any
    y_val: Any
    prediction: np.ndarray
    X_test: Any = None
    y_test: Any = None
    test_prediction: np.ndarray | None = None


class FoldScorer:
    """Base class of per-fold scorers: no metrics, predictions compared with ``y`` itself.

    Subclasses override :meth:`__call__` (metrics of one fold) and, when the
    estimator predicts only part of ``y``, :meth:`target`.  A plain function
    ``scorer(model, fold) -> dict`` works as well.
    """

    def target(self, model, y):
        """The values that ``model.predict`` estimates, for the rows ``y`` (default: ``y``).

        Parameters
        ----------
        model
            The fitted model of the fold.
        y
            Rows of the ``y`` given to ``cross_validate``.

        Returns
        -------
        array-like
        """
        return y

    def __call__(self, model, fold: Fold) -> Mapping[str, float]:
        """Metrics of one fitted fold (column name -> value).

        Parameters
        ----------
        model
            The fitted model of the fold.
        fold : Fold

        Returns
        -------
        dict of str to float
        """
        return {}


def _flux_scores(model, X, Y: pd.DataFrame, prefix: str, prediction=None) -> dict[str, float]:
    if prediction is None:
        prediction = model.predict(X)
    measured = Y[model.measured_].to_numpy()
    scores = {f"{prefix}_measured": r2(measured, np.asarray(prediction).reshape(measured.shape))}
    if model.predicts_fluxes:
        fluxes = model.predict_fluxes(X)
        scores[f"{prefix}_fluxes"] = r2(Y[fluxes.columns].to_numpy(), fluxes.to_numpy())
    return scores


class AMNFoldScorer(FoldScorer):
    """The per-fold scores of the AMN papers, for :class:`~amn.models.AMNRegressor` on a flux table.

    ``y`` is the full flux table (samples x reactions); the predictions are
    compared with its measured columns (``model.measured_``).  Per fold:

    - ``r2_train_measured``, ``q2_val_measured`` (and ``q2_test_measured``):
      R² on the training fold, Q² on the validation fold (and the test set) of
      the measured fluxes;
    - ``r2_train_fluxes``, ``q2_val_fluxes``, ``q2_test_fluxes``: the same for
      all fluxes pooled, for models that predict every flux
      (``model.predicts_fluxes``);
    - ``val_<term>``: the unweighted loss terms on the validation fold;
    - ``seconds_per_epoch``, ``epochs``, ``n_params``.

    Examples
    --------
    >>> from sklearn.model_selection import KFold
    >>> from amn.evaluation import AMNFoldScorer, cross_validate
    >>> result = cross_validate(estimator, data.X, data.Y, cv=KFold(5, shuffle=True), seeds=(0,),
    ...                         scorer=AMNFoldScorer())  # doctest: +SKIP
    >>> result.summary()["q2_val_measured_mean"]  # doctest: +SKIP
    """

    def target(self, model, y):
        """The measured fluxes of the rows ``y`` (a flux table with the reaction ids as columns)."""
        return y[model.measured_].to_numpy() if isinstance(y, pd.DataFrame) else y

    def __call__(self, model, fold: Fold) -> dict[str, float]:
        """R²/Q² of the measured and of all fluxes, validation loss terms, time per epoch and size of one fold."""
        row = _flux_scores(model, fold.X_train, fold.y_train, "r2_train")
        row.update(_flux_scores(model, fold.X_val, fold.y_val, "q2_val", fold.prediction))
        row.update({f"val_{name}": value for name, value in model.loss_terms(fold.X_val, fold.y_val).items()})
        row.update(seconds_per_epoch=model.seconds_per_epoch_, epochs=len(model.history_), n_params=model.n_params_)
        if fold.X_test is not None and fold.y_test is not None:
            row.update(_flux_scores(model, fold.X_test, fold.y_test, "q2_test", fold.test_prediction))
        return row
