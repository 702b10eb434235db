"""Method 1 of the AMN paper: an AMN trained directly on measured growth rates.

Each medium's 0/1 composition becomes uptake upper bounds (a present compound
at its bound, an absent one closed), the AMN (dense prior + mechanistic layer)
maps them to every flux of the network, and the loss reads the measured growth
rate plus the mechanistic terms (``||S V||^2``, bound violation, negativity),
so the predicted fluxes stay near a steady state of the network.  Knockout columns
(a gene or a reaction each, 1 = knocked out) become the AMN's ``KO:<id>`` indicator
inputs: the dense prior reads them and the mechanistic layer holds the fluxes they
remove at 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin

from amn.errors import DatasetMismatchError, NotFittedError, id_list
from amn.media.spec import MediumSpec
from amn.models import AMNRegressor
from amn.network.knockouts import indicator_columns, knockout_cells


class CompositionAMN(RegressorMixin, BaseEstimator):
    """Growth from 0/1 compositions through an AMN trained on the measured values.

    Parameters
    ----------
    network : UnidirectionalNetwork or str, optional
        The unidirectional network (a reduced one keeps training fast).
    medium : MediumSpec, optional
        The medium file whose ``max_value`` gives each compound's uptake bound when present.
    arch : str, default "amn-qp"
        One of :data:`~amn.models.ARCHITECTURES`.
    default_bound : float, default 1.0
        The uptake bound of a present compound that ``medium`` does not list.
    knockout_ids : sequence of str, default ()
        The columns of the tables that are knockouts (genes or reactions of ``network``, 0/1,
        1 = knocked out); every other column is a composition.
    hidden, epochs, batch_size, lr, w_sv
        As for :class:`~amn.models.AMNRegressor`.
    random_state : int, optional
        Seeds the AMN (None: seed 0; the experimental protocol sets the repeat's seed).

    Attributes
    ----------
    columns_ : list of str
        The composition columns (uptake ids) seen in ``fit``, then the knockout columns.
    amn_ : AMNRegressor
        The fitted AMN.
    """

    def __init__(
        self,
        network=None,
        medium: MediumSpec | None = None,
        arch: str = "amn-qp",
        default_bound: float = 1.0,
        knockout_ids: Sequence[str] = (),
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
        self.knockout_ids = knockout_ids
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.w_sv = w_sv
        self.random_state = random_state

    def _columns(self, C: pd.DataFrame) -> list[str]:
        """The columns of ``C`` in the AMN's order: the compositions, then the knockouts."""
        knockouts = set(self.knockout_ids)
        return [c for c in C.columns if c not in knockouts] + [c for c in C.columns if c in knockouts]

    def _bounds(self, C, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The AMN's inputs for compositions ``C``: uptake bounds, then ``KO:<id>`` indicators of the knockout
        columns; ``C`` reordered to ``columns`` (the fitted ones) when given."""
        if not isinstance(C, pd.DataFrame):
            raise DatasetMismatchError("compositions must be a table whose columns are uptake reaction ids")
        if columns is not None:
            missing = [c for c in columns if c not in C.columns]
            if missing:
                raise DatasetMismatchError(f"compositions lack column(s) {id_list(missing)}")
        C = C[self._columns(C) if columns is None else list(columns)]
        ids = set(self.knockout_ids)
        knockouts = [c for c in C.columns if c in ids]
        uptakes = C.drop(columns=knockouts).astype(float)
        maximum = dict(zip(self.medium.reaction_ids, self.medium.max_value)) if self.medium is not None else {}
        scale = np.array([maximum.get(c, self.default_bound) for c in uptakes.columns], dtype=float)
        indicators = pd.DataFrame(knockout_cells(C, knockouts), index=C.index, columns=indicator_columns(knockouts))
        return pd.concat([uptakes * scale, indicators], axis=1)

    def __sklearn_is_fitted__(self) -> bool:
        return "amn_" in self.__dict__

    def _check_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            raise NotFittedError(f"this {type(self).__name__} is not fitted: call fit first")

    def fit(self, C, y) -> CompositionAMN:
        """Train the AMN on compositions ``C`` (uptake ids as columns) and measured growth ``y``.

        Returns
        -------
        CompositionAMN
            ``self``, fitted.

        Raises
        ------
        DatasetMismatchError
            ``C`` is not a table of uptake ids.
        ParameterError
            ``arch`` is no architecture.
        """
        bounds = self._bounds(C)
        self.columns_ = self._columns(C)
        self.amn_ = AMNRegressor(
            arch=self.arch, network=self.network, hidden=self.hidden, epochs=self.epochs,
            batch_size=self.batch_size, lr=self.lr, w_sv=self.w_sv, val_fraction=0.0,
            patience=self.epochs + 1, seed=0 if self.random_state is None else int(self.random_state),
        )
        self.amn_.fit(bounds, np.asarray(y, dtype=float).reshape(-1, 1))
        return self

    def predict(self, C) -> np.ndarray:
        """Predicted growth rates (1-D); raises NotFittedError before ``fit``."""
        self._check_fitted()
        return np.asarray(self.amn_.predict(self._bounds(C, self.columns_)), dtype=float).reshape(-1)

    def predict_fluxes(self, C) -> pd.DataFrame:
        """Every flux of the network per medium (reaction ids as columns); raises NotFittedError before ``fit``."""
        self._check_fitted()
        return self.amn_.predict_fluxes(self._bounds(C, self.columns_))
