"""Method 1 of the AMN paper: an AMN trained directly on measured growth rates.

Each medium's 0/1 composition becomes uptake upper bounds (a present compound
at its bound, an absent one closed), the AMN (dense prior + mechanistic layer)
maps them to every flux of the network, and the loss reads the measured growth
rate plus the mechanistic terms (``||S V||^2``, bound violation, negativity),
so the predicted fluxes stay near a steady state of the network.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin

from amn.errors import DatasetMismatchError
from amn.media.spec import MediumSpec
from amn.models import AMNRegressor


class CompositionAMN(RegressorMixin, BaseEstimator):
    """Growth from 0/1 compositions through an AMN trained on the measured values.

    ``network``: the unidirectional network (a reduced one keeps training
    fast); ``medium``: the medium file whose ``max_value`` gives each
    compound's uptake bound when present (compounds it does not list get
    ``default_bound``).  The other parameters are those of
    :class:`~amn.models.AMNRegressor`; ``random_state`` seeds it (None: the
    experimental protocol sets the repeat's seed).
    """

    def __init__(
        self,
        network=None,
        medium: MediumSpec | None = None,
        arch: str = "amn-qp",
        default_bound: float = 1.0,
        hidden: Sequence[int] = (50,),
        epochs: int = 200,
        batch_size: int = 10,
        lr: float = 1e-3,
        w_sv: float = 1.0,
        random_state: int | None = None,
    ) -> None:
        self.network = network
        self.medium = medium
        self.arch = arch
        self.default_bound = default_bound
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.w_sv = w_sv
        self.random_state = random_state

    def _bounds(self, C, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Uptake bounds of compositions ``C``, reordered to ``columns`` (the fitted ones) when given."""
        if not isinstance(C, pd.DataFrame):
            raise DatasetMismatchError("compositions must be a table whose columns are uptake reaction ids")
        if columns is not None:
            missing = [c for c in columns if c not in C.columns]
            if missing:
                raise DatasetMismatchError(f"compositions lack column(s) {', '.join(missing[:5])}")
            C = C[columns]
        maximum = dict(zip(self.medium.reaction_ids, self.medium.max_value)) if self.medium is not None else {}
        scale = np.array([maximum.get(c, self.default_bound) for c in C.columns], dtype=float)
        return C.astype(float) * scale

    def fit(self, C, y) -> "CompositionAMN":
        """Train the AMN on compositions ``C`` (uptake ids as columns) and measured growth ``y``."""
        bounds = self._bounds(C)
        self.columns_ = list(bounds.columns)
        self.amn_ = AMNRegressor(
            arch=self.arch, network=self.network, hidden=self.hidden, epochs=self.epochs,
            batch_size=self.batch_size, lr=self.lr, w_sv=self.w_sv, val_fraction=0.0,
            patience=self.epochs + 1, seed=0 if self.random_state is None else int(self.random_state),
        )
        self.amn_.fit(bounds, np.asarray(y, dtype=float).reshape(-1, 1))
        return self

    def predict(self, C) -> np.ndarray:
        """Predicted growth rates."""
        return np.asarray(self.amn_.predict(self._bounds(C, self.columns_)), dtype=float).reshape(-1)

    def predict_fluxes(self, C) -> pd.DataFrame:
        """Every flux of the network per medium (reaction ids as columns)."""
        return self.amn_.predict_fluxes(self._bounds(C, self.columns_))
