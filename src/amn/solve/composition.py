"""FBA growth of media given as 0/1 composition rows: the engine of the FBA baselines and the reservoir.

:class:`UptakeModel` builds the LP of a unidirectional network once (HiGHS,
kept warm), opens a medium's uptakes from its composition row and returns the
growth and, from the reduced costs, d growth / d uptake bound.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from amn.errors import DatasetMismatchError, MediumError, id_list
from amn.media.spec import MediumSpec
from amn.solve.highs import HighsLP
from amn.solve.pfba import FluxProblem

#: Media whose growth :class:`UptakeModel` remembers before it forgets them all.
MEMO_SIZE = 200_000


def _matrix(X, columns: Sequence[str] | None = None) -> np.ndarray:
    """``X`` as a float array; a DataFrame is reordered to ``columns`` when they are given."""
    if isinstance(X, pd.DataFrame) and columns is not None:
        missing = [c for c in columns if c not in X.columns]
        if missing:
            raise DatasetMismatchError(f"composition table lacks column(s) {id_list(missing)}")
        X = X[list(columns)]
    return np.asarray(X, dtype=float)


class UptakeModel:
    """FBA growth of media given as 0/1 composition rows on one unidirectional network.

    A present composition compound gets its bound (the medium-file bound for
    base compounds, a learned bound for the ``variable_ids``); absent ones and
    every uptake outside the medium are closed; base uptakes of the medium file
    that the table does not list stay open at their bound.  The LP is built
    once and kept warm in HiGHS; copies (``clone``, ``deepcopy``) share it.

    Parameters
    ----------
    network : UnidirectionalNetwork
    composition_ids : sequence of str
        Uptakes named by the composition columns, in their order.
    medium : MediumSpec, optional
        The medium file: bounds of its base (level <= 1) compounds; default: none.

    Raises
    ------
    MediumError
        Every composition compound is in the base medium (nothing to vary).
    UnknownReactionError
        The network lacks an uptake of ``medium``.
    """

    def __init__(self, network, composition_ids: Sequence[str], medium: MediumSpec | None = None) -> None:
        self.composition_ids = list(composition_ids)
        self.model_id = network.model.id
        fixed = {} if medium is None else dict(zip(medium.minimal, medium.max_value[np.asarray(medium.level) <= 1]))
        if medium is not None:
            medium.check(network)
        self.variable_ids = [r for r in self.composition_ids if r not in fixed]
        if not self.variable_ids:
            raise MediumError(f"model {self.model_id}: every composition compound is in the base medium")
        self.extra_ids = [r for r in fixed if r not in set(self.composition_ids)]
        self.problem = FluxProblem.from_network(network, self.composition_ids + self.extra_ids)
        self._fixed = np.array([fixed.get(r, np.nan) for r in self.composition_ids])
        self._extra = np.array([fixed[r] for r in self.extra_ids])
        self._variable = np.flatnonzero(np.isnan(self._fixed))
        self._lp: HighsLP | None = None
        self._memo: dict[bytes, float] = {}

    @classmethod
    def from_table(cls, network, table, medium: MediumSpec | None = None) -> UptakeModel:
        """The uptake model of an :class:`~amn.dataset.table.ExperimentTable`'s composition columns."""
        return cls(network, table.composition_ids, medium)

    def __deepcopy__(self, memo) -> UptakeModel:
        return self  # immutable apart from the warm LP, which copies may share

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_lp": None, "_memo": {}}  # HiGHS objects do not pickle; rebuilt on demand

    @property
    def medium_ids(self) -> list[str]:
        """Uptakes that a medium may open: the composition ids, then the base uptakes not in the table."""
        return self.composition_ids + self.extra_ids

    def indicators(self, X) -> np.ndarray:
        """Composition rows as a 0/1 array in ``composition_ids`` order.

        Parameters
        ----------
        X : pandas.DataFrame or array-like
            Media x compositions (a DataFrame is reordered by column name).

        Returns
        -------
        numpy.ndarray

        Raises
        ------
        DatasetMismatchError
            A column missing, a wrong shape, or a value other than 0 and 1.
        """
        A = _matrix(X, self.composition_ids)
        if A.ndim != 2 or A.shape[1] != len(self.composition_ids):
            raise DatasetMismatchError(
                f"expected {len(self.composition_ids)} composition columns ({self.composition_ids[0]}, ...), "
                f"got shape {A.shape}"
            )
        if not np.isin(A, (0.0, 1.0)).all():
            raise DatasetMismatchError("composition values must be 0 or 1")
        return A

    def medium_bounds(self, X, variable_bounds: np.ndarray) -> np.ndarray:
        """Upper bounds of the ``medium_ids`` for every medium.

        Parameters
        ----------
        X : pandas.DataFrame or array-like
            Composition rows (see :meth:`indicators`).
        variable_bounds : numpy.ndarray
            Bounds of the ``variable_ids``, when present.

        Returns
        -------
        numpy.ndarray
            Media x ``medium_ids``.
        """
        A = self.indicators(X)
        per_compound = self._fixed.copy()
        per_compound[self._variable] = variable_bounds
        return np.hstack([A * per_compound, np.broadcast_to(self._extra, (len(A), len(self._extra)))])

    def limiting(self, X, variable_bounds: np.ndarray) -> np.ndarray:
        """Positions (in ``composition_ids``) of the base uptakes that limit FBA growth in some medium:
        present, with a non-zero reduced cost at the medium-file bound, the variable compounds at
        ``variable_bounds``.  These are the base bounds worth learning."""
        A = self.indicators(X)
        _, dg = self.growth(self.medium_bounds(A, variable_bounds), gradient=True)
        fixed = np.flatnonzero(~np.isnan(self._fixed))
        return fixed[(np.abs(dg[:, fixed]) * A[:, fixed] > 1e-9).any(axis=0)]

    def _solver(self) -> HighsLP:
        if self._lp is None:
            p = self.problem
            self._lp = HighsLP(p.S, p.lower, p.upper, p.c, maximize=p.maximize)
            closed = np.zeros(len(p.uptake_columns))
            self._lp.set_bounds(p.uptake_columns, closed, closed)
        return self._lp

    def growth(self, bounds: np.ndarray, gradient: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """FBA growth of every row of ``bounds`` (media x ``medium_ids``), 0 where no steady state exists,
        and optionally d growth / d bound (media x ``medium_ids``, from the reduced costs).

        Growth values are memoised by medium (the optimum is unique, whatever the
        basis), so grids re-used across folds cost nothing.  Reduced costs are not
        unique at degenerate optima: a gradient call restarts the solver cold, so it
        depends only on its own rows.

        Parameters
        ----------
        bounds : numpy.ndarray
            Media x ``medium_ids`` upper bounds (see :meth:`medium_bounds`).
        gradient : bool, default False
            Also return d growth / d bound.

        Returns
        -------
        growth : numpy.ndarray
            Per medium.
        gradient : numpy.ndarray or None
            Media x ``medium_ids``, or None without ``gradient``.
        """
        lp = self._solver()
        columns = self.problem.medium_columns
        growth = np.zeros(len(bounds))
        grad = np.zeros_like(bounds) if gradient else None
        if gradient:
            lp.clear_basis()
        elif len(self._memo) > MEMO_SIZE:
            self._memo.clear()
        for i, upper in enumerate(bounds):
            key = None if gradient else upper.tobytes()
            if key in self._memo:
                growth[i] = self._memo[key]
                continue
            lp.set_bounds(columns, np.zeros(len(columns)), upper)
            solution = lp.solve()
            if solution.optimal:
                growth[i] = solution.objective
                if grad is not None:
                    grad[i] = lp.duals()[0][columns]
            if key is not None:
                self._memo[key] = growth[i]
        return growth, grad
