"""FBA growth of media given as composition rows: the engine of the FBA baselines and the reservoir.

:class:`UptakeModel` builds the LP of a unidirectional network once (HiGHS,
kept warm), opens a medium's uptakes from its composition row and returns the
growth and, from the reduced costs, d growth / d uptake bound.  A composition
is given as presence (0/1), as uptake bounds (mmol/gDW/h) or as concentrations
(mM); each variable compound's bound is its cell times a per-compound parameter
(a bound, a scale on the given bound, or bound per mM), so the parameters are
fitted the same way whatever the table holds.  Knockout columns (a gene or a reaction
per column, 1 = knocked out) close, in their rows, the reactions the knockout removes
(genes through their gene-reaction rules, as COBRApy's ``knock_out``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from amn.errors import DatasetMismatchError, MediumError, ParameterError, id_list
from amn.media.spec import MediumSpec
from amn.network.knockouts import Knockouts, knockout_cells
from amn.solve.highs import HighsLP
from amn.solve.pfba import FluxProblem

#: Media whose growth :class:`UptakeModel` remembers before it forgets them all.
MEMO_SIZE = 200_000
#: What a composition cell may hold.
COMPOSITIONS = ("presence", "bounds", "concentration")
#: Per-compound parameters tried first, by composition: a bound (mmol/gDW/h) for presence, a scale on the
#: table's bounds, mmol/gDW/h per mM for concentrations (spanning the units a user's table may be in).
PARAMETER_GRIDS = {
    "presence": (0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0),
    "bounds": (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0),
    "concentration": (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0),
}
#: The largest per-compound parameter a fit may reach, by composition.
PARAMETER_CAPS = {"presence": 20.0, "bounds": 4.0, "concentration": 100.0}


def _matrix(X, columns: Sequence[str] | None = None) -> np.ndarray:
    """``X`` as a float array; a DataFrame is reordered to ``columns`` when they are given."""
    if isinstance(X, pd.DataFrame) and columns is not None:
        missing = [c for c in columns if c not in X.columns]
        if missing:
            raise DatasetMismatchError(f"composition table lacks column(s) {id_list(missing)}")
        X = X[list(columns)]
    return np.asarray(X, dtype=float)


class UptakeModel:
    """FBA growth of media given as composition rows on one unidirectional network.

    A variable compound (one of ``variable_ids``) with cell ``x`` gets the bound
    ``theta * x`` for its parameter ``theta``: a bound (presence, ``x`` 0/1), a
    scale on the table's bound (bounds), or bound per unit of concentration
    (concentration; with ``half_saturation`` ``K`` the Michaelis-Menten form
    ``theta * x / (K + x)``, ``theta`` then a maximal uptake).  A base compound of
    the medium file gets its file bound where present (presence, concentration)
    or the table's own bound (bounds).  Absent compounds and every uptake
    outside the medium are closed; base uptakes of the medium file that the
    table does not list stay open at their bound.  A row with a knockout column
    at 1 is solved with the reactions that knockout removes closed.  The LP is
    built once and kept warm in HiGHS; copies (``clone``, ``deepcopy``) share it.

    Parameters
    ----------
    network : UnidirectionalNetwork
    composition_ids : sequence of str
        Uptakes named by the composition columns, in their order.
    medium : MediumSpec, optional
        The medium file: bounds of its base (level <= 1) compounds; default: none.
    composition : {"presence", "bounds", "concentration"}, default "presence"
        What the composition cells hold.
    half_saturation : float, optional
        Concentrations only: ``K`` (in the table's unit) of a saturating uptake ``theta * x / (K + x)``;
        default: linear, ``theta * x``.
    knockout_ids : sequence of str, optional
        Knockout columns, each named by a gene or a reaction of the network (0/1, 1 = knocked out).

    Raises
    ------
    MediumError
        Every composition compound is in the base medium (nothing to vary).
    ParameterError
        ``composition`` or ``half_saturation`` outside its domain.
    UnknownReactionError
        The network lacks an uptake of ``medium``.
    UnknownGeneError
        A knockout column names neither a gene nor a reaction of the network.
    """

    def __init__(self, network, composition_ids: Sequence[str], medium: MediumSpec | None = None,
                 composition: str = "presence", half_saturation: float | None = None,
                 knockout_ids: Sequence[str] = ()) -> None:
        if composition not in COMPOSITIONS:
            raise ParameterError(f"composition must be one of {', '.join(COMPOSITIONS)} (got {composition!r})")
        if half_saturation is not None and (composition != "concentration" or not half_saturation > 0):
            raise ParameterError(f"half_saturation must be > 0 and is for concentrations only (got {half_saturation} "
                                 f"with composition {composition!r})")
        self.composition = composition
        self.half_saturation = half_saturation
        self.composition_ids = list(composition_ids)
        self.model_id = network.model_id
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
        self.knockout_ids = list(knockout_ids)
        self._knockouts = Knockouts(network) if self.knockout_ids else None
        for knockout in self.knockout_ids:
            self._knockouts.columns([knockout])  # an unknown id: one line now, not at the first solve
        self._lp: HighsLP | None = None
        self._memo: dict[bytes, float] = {}

    @classmethod
    def from_table(cls, network, table, medium: MediumSpec | None = None,
                   half_saturation: float | None = None) -> UptakeModel:
        """The uptake model of an :class:`~amn.dataset.table.ExperimentTable`'s composition and knockout
        columns, with the table's ``composition`` (presence when the table does not say)."""
        return cls(network, table.composition_ids, medium, getattr(table, "composition", None) or "presence",
                   half_saturation, getattr(table, "knockout_ids", ()))

    @property
    def parameter_grid(self) -> tuple[float, ...]:
        """Per-compound parameters tried first (:data:`PARAMETER_GRIDS`; a Michaelis-Menten maximal uptake
        is a bound, so it takes the presence grid)."""
        return PARAMETER_GRIDS["presence" if self.half_saturation else self.composition]

    @property
    def parameter_cap(self) -> float:
        """The largest per-compound parameter a fit may reach (:data:`PARAMETER_CAPS`)."""
        return PARAMETER_CAPS["presence" if self.half_saturation else self.composition]

    @property
    def table_parameter(self) -> float | None:
        """The parameter at which FBA runs with the table's own values: 1 for bounds, None otherwise."""
        return 1.0 if self.composition == "bounds" else None

    def __deepcopy__(self, memo) -> UptakeModel:
        return self  # immutable apart from the warm LP, which copies may share

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_lp": None, "_memo": {}}  # HiGHS objects do not pickle; rebuilt on demand

    @property
    def medium_ids(self) -> list[str]:
        """Uptakes that a medium may open: the composition ids, then the base uptakes not in the table."""
        return self.composition_ids + self.extra_ids

    def values(self, X) -> np.ndarray:
        """Composition rows as an array in ``composition_ids`` order, checked for the ``composition``.

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
            A column missing, a wrong shape, a presence other than 0 and 1, or a negative or
            non-finite bound or concentration.
        """
        A = _matrix(X, self.composition_ids)
        if not isinstance(X, pd.DataFrame) and self.knockout_ids and A.ndim == 2 \
                and A.shape[1] == len(self.composition_ids) + len(self.knockout_ids):
            A = A[:, :len(self.composition_ids)]  # an array: compositions, then knockouts
        if A.ndim != 2 or A.shape[1] != len(self.composition_ids):
            raise DatasetMismatchError(
                f"expected {len(self.composition_ids)} composition columns ({self.composition_ids[0]}, ...), "
                f"got shape {A.shape}"
            )
        if self.composition == "presence":
            if not np.isin(A, (0.0, 1.0)).all():
                raise DatasetMismatchError("composition values must be 0 or 1")
        elif not (np.isfinite(A) & (A >= 0)).all():
            raise DatasetMismatchError(f"composition values ({self.composition}) must be finite and >= 0")
        return A

    def knocked_out(self, X) -> np.ndarray | None:
        """The ``knockout_ids`` cells of every row (media x knockouts, 1 = knocked out), or None without
        knockout columns.  A DataFrame is read by column name; an array holds the composition columns,
        then the knockout columns.

        Raises
        ------
        DatasetMismatchError
            A knockout column missing, or a cell other than 0 and 1.
        """
        if not self.knockout_ids:
            return None
        if not isinstance(X, pd.DataFrame):
            X = np.asarray(X, dtype=float)
            if X.ndim != 2 or X.shape[1] != len(self.composition_ids) + len(self.knockout_ids):
                raise DatasetMismatchError(f"expected {len(self.composition_ids)} composition and "
                                           f"{len(self.knockout_ids)} knockout columns, got shape {X.shape}")
            X = pd.DataFrame(X[:, len(self.composition_ids):], columns=list(self.knockout_ids))
        return knockout_cells(X, self.knockout_ids)

    def indicators(self, X) -> np.ndarray:
        """Composition rows as a 0/1 presence array in ``composition_ids`` order (cell > 0).

        Raises
        ------
        DatasetMismatchError
            As :meth:`values`.
        """
        return (self.values(X) > 0).astype(float)

    def inputs(self, X) -> np.ndarray:
        """The factor each compound's parameter multiplies: ``d bound / d theta`` of the variable compounds
        (the cell, or ``x / (K + x)`` with ``half_saturation``); media x ``composition_ids``."""
        A = self.values(X)
        return A / (self.half_saturation + A) if self.half_saturation else A

    def medium_bounds(self, X, variable_bounds: np.ndarray) -> np.ndarray:
        """Upper bounds of the ``medium_ids`` for every medium.

        Parameters
        ----------
        X : pandas.DataFrame or array-like
            Composition rows (see :meth:`values`).
        variable_bounds : numpy.ndarray
            The parameters ``theta`` of the ``variable_ids`` (for presence: their bounds when present).

        Returns
        -------
        numpy.ndarray
            Media x ``medium_ids``.
        """
        A = self.inputs(X)
        per_compound = self._fixed.copy()
        if self.composition == "bounds":  # base compounds at the table's own bounds
            per_compound[~np.isnan(self._fixed)] = 1.0
        elif self.composition == "concentration":  # base compounds at their file bound where present
            fixed = ~np.isnan(self._fixed)
            A = A.copy()
            A[:, fixed] = A[:, fixed] > 0
        per_compound[self._variable] = variable_bounds
        return np.hstack([A * per_compound, np.broadcast_to(self._extra, (len(A), len(self._extra)))])

    def limiting(self, X, variable_bounds: np.ndarray) -> np.ndarray:
        """Positions (in ``composition_ids``) of the base uptakes that limit FBA growth in some medium:
        present, with a non-zero reduced cost at the medium-file bound, the variable compounds at
        ``variable_bounds``, each row's knockouts applied.  These are the base bounds worth learning."""
        A = self.indicators(X)
        _, dg = self.growth(self.medium_bounds(X, variable_bounds), gradient=True, knocked_out=self.knocked_out(X))
        fixed = np.flatnonzero(~np.isnan(self._fixed))
        return fixed[(np.abs(dg[:, fixed]) * A[:, fixed] > 1e-9).any(axis=0)]

    def _solver(self) -> HighsLP:
        if self._lp is None:
            p = self.problem
            lower, upper = p.lower.copy(), p.upper.copy()
            lower[p.uptake_columns] = upper[p.uptake_columns] = 0.0  # built closed: what knockouts go back to
            self._lp = HighsLP(p.S, lower, upper, p.c, maximize=p.maximize)
        return self._lp

    def removed(self, knocked_out: np.ndarray) -> np.ndarray:
        """Columns of the network closed by one row of :meth:`knocked_out` (sorted indices)."""
        ids = [k for k, out in zip(self.knockout_ids, knocked_out) if out]
        return self._knockouts.columns(ids) if ids else np.zeros(0, dtype=int)

    def growth(self, bounds: np.ndarray, gradient: bool = False,
               knocked_out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
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
        knocked_out : numpy.ndarray, optional
            Media x ``knockout_ids`` (:meth:`knocked_out`): each row's knockouts, their reactions closed.

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
            removed = np.zeros(0, dtype=int) if knocked_out is None else self.removed(knocked_out[i])
            key = None if gradient else upper.tobytes() + removed.tobytes()
            if key in self._memo:
                growth[i] = self._memo[key]
                continue
            lp.set_bounds(columns, np.zeros(len(columns)), upper)
            if len(removed):
                lp.set_bounds(removed, np.zeros(len(removed)), np.zeros(len(removed)))
            solution = lp.solve()
            if solution.optimal:
                growth[i] = solution.objective
                if grad is not None:
                    grad[i] = lp.duals()[0][columns]
            if len(removed):  # back to the LP's own bounds (medium columns are set again by every row)
                lp.reset_bounds(removed)
            if key is not None:
                self._memo[key] = growth[i]
        return growth, grad


def sole_uptake_growth(network, spec: MediumSpec) -> tuple[float, np.ndarray]:
    """FBA growth of a medium specification's base, and of the base with each variable uptake alone
    at its ``max_value``: which of the drawn compounds the organism can grow on.

    Parameters
    ----------
    network : UnidirectionalNetwork
    spec : MediumSpec

    Returns
    -------
    base_growth : float
        0 where the base alone has no steady state.
    growth : numpy.ndarray
        Per variable uptake (``spec.variable`` order); 0 where there is no steady state.
    """
    variable = spec.variable
    model = UptakeModel(network, variable, spec)  # presence: a present compound at its max_value
    rows = np.vstack([np.zeros(len(variable)), np.eye(len(variable))])  # the base, then each compound alone
    growth, _ = model.growth(model.medium_bounds(rows, spec.max_value[spec.level > 1]))
    return float(growth[0]), growth[1:]
