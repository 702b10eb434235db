"""The reservoir for growth / no-growth tables: the uptake layer, a frozen growth model and a logistic head."""

from __future__ import annotations

import numpy as np
import torch
from scipy.special import expit
from sklearn.base import ClassifierMixin
from torch import nn

from amn.errors import DatasetMismatchError
from amn.reservoir.model import _Reservoir


class ReservoirClassifier(ClassifierMixin, _Reservoir):
    """Grows / does not grow from medium composition through a frozen growth model.

    The :class:`ReservoirRegressor`'s uptake layer and frozen growth model,
    followed by a logistic head ``P(grows) = sigmoid(a * (growth - t))``; the
    layer and ``a``, ``t`` are trained together by full-batch L-BFGS on the
    mean logistic loss (binary cross-entropy) plus ``alpha * ||W||^2``.  ``t``
    starts at the threshold with the best balanced accuracy on the training rows
    at the initial bounds; ``a = a_max * sigmoid(z)`` with ``a_max`` 100 / (largest
    initial growth), starting at a tenth of it: on separable training rows the
    logistic loss would otherwise drive ``a`` to infinity.  The growth
    model must have seen media that do not grow: generate its training set with
    ``keep_no_growth=True`` (``amn generate --keep-no-growth``).

    Parameters
    ----------
    growth_model, max_bounds, alpha, max_iter, learn_base, composition, max_scale, knockout_ids
        As for :class:`ReservoirRegressor`.

    Attributes
    ----------
    growth_model_, columns_, layer_, growth_index_
        As for :class:`ReservoirRegressor`.
    slope_, threshold_ : float
        The head's ``a`` and ``t``.
    classes_ : numpy.ndarray
        ``[0, 1]``.
    """

    def fit(self, C, y) -> ReservoirClassifier:
        """Train the uptake layer and the head on compositions ``C`` and 0/1 classes ``y``.

        Raises
        ------
        DatasetMismatchError
            ``y`` is not 0/1; otherwise as :meth:`ReservoirRegressor.fit`.
        """
        from amn.baselines.fba import best_threshold

        y = np.asarray(y, dtype=float).reshape(-1)
        if not np.isin(y, (0.0, 1.0)).all():
            raise DatasetMismatchError("ReservoirClassifier: the target must be 0 or 1")
        Ct, Kt = self._prepare(C)
        with torch.no_grad():
            g0 = self._growth(Ct, Kt).double().numpy()
        slope_cap = 100.0 / max(float(g0.max()), 1e-3)
        head = torch.tensor([-np.log(9.0), best_threshold(g0, y.astype(int))], dtype=torch.float64,
                            requires_grad=True)  # sigmoid(-log 9) = 0.1
        yt = torch.as_tensor(y, dtype=torch.float64)
        loss = nn.BCEWithLogitsLoss()

        def logit() -> torch.Tensor:
            slope = slope_cap * torch.sigmoid(head[0])
            return slope * (self._growth(Ct, Kt).to(torch.float64) - head[1])

        self._minimise(lambda: loss(logit(), yt), [*self.layer_.parameters(), head])
        head = head.detach()
        self.slope_, self.threshold_ = slope_cap * float(torch.sigmoid(head[0])), float(head[1])
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, C) -> np.ndarray:
        """``[P(no growth), P(grows)]`` per medium (n x 2)."""
        p = expit(self.slope_ * (self.growth(C) - self.threshold_))
        return np.column_stack([1.0 - p, p])

    def predict(self, C) -> np.ndarray:
        """1 where the growth model's growth exceeds the head's threshold (P(grows) > 0.5)."""
        return (self.growth(C) > self.threshold_).astype(int)
