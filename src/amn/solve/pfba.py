"""FBA and pFBA labels for media: a fast HiGHS backend and the COBRApy reference.

pFBA (Lewis et al. 2010), as in ``cobra.flux_analysis.pfba``: maximise the
objective, then minimise the total flux ``sum(v)`` with the objective held at
its optimum.  On a unidirectional network every flux is >= 0, so the total
flux is a linear objective and both stages are LPs.

:class:`HighsLabeler` keeps the two LPs in HiGHS and only changes the uptake
bounds from one medium to the next (warm start).  :class:`CobraLabeler` does
the same through COBRApy and is the reference the fast backend is checked
against.  Both return a :class:`Label` for a vector of medium bounds, optionally with
knocked-out columns (bounds 0 for that medium only).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from cobra.flux_analysis import pfba

from amn.errors import MediumError, ParameterError, id_list
from amn.network.matrices import fba_arrays
from amn.solve.highs import HighsLP

METHODS = ("fba", "pfba")


@dataclass
class Label:
    """Growth and fluxes of one medium; ``fluxes`` is None when the LP has no optimum."""

    growth: float
    fluxes: np.ndarray | None
    status: str = "optimal"


@dataclass
class FluxProblem:
    """Everything a worker needs to label media, as plain arrays (cheap to send to Dask workers).

    Every uptake of the model (``uptake_columns``) is closed unless it is one of
    the ``medium_columns``, whose upper bounds each medium gives.  Build it with
    :meth:`from_network`.

    Attributes
    ----------
    S : scipy.sparse.csc_matrix
    lower, upper, c : numpy.ndarray
        As :func:`~amn.network.matrices.fba_arrays` gives them.
    uptake_columns, medium_columns : numpy.ndarray
        Columns of every uptake, and of the medium uptakes.
    maximize : bool
    key : str
        Digest of the arrays.
    """

    S: sp.csc_matrix
    lower: np.ndarray
    upper: np.ndarray
    c: np.ndarray
    uptake_columns: np.ndarray
    medium_columns: np.ndarray
    maximize: bool = True
    key: str = field(default="", compare=False)

    @classmethod
    def from_network(cls, network, medium_ids) -> FluxProblem:
        """The problem of a network whose media open ``medium_ids``.

        Parameters
        ----------
        network : UnidirectionalNetwork
        medium_ids : sequence of str
            Uptake (``<id>_i``) reactions that a medium opens, in the order of the medium bounds.

        Returns
        -------
        FluxProblem
            With ``key``, a digest of its arrays (workers keep one warm labeler per key).

        Raises
        ------
        UnknownReactionError
            An id is not a reaction of the network.
        MediumError
            An id is a reaction but not an uptake.
        """
        medium_columns = network.index(list(medium_ids), "medium reaction")
        not_uptakes = [r for r in medium_ids if r not in set(network.uptake_ids)]
        if not_uptakes:
            raise MediumError(f"model {network.model_id}: {id_list(not_uptakes)} are not uptake (<id>_i) reactions")
        arrays = fba_arrays(network)
        problem = cls(
            S=sp.csc_matrix(arrays.S),
            lower=arrays.lower,
            upper=arrays.upper,
            c=arrays.c,
            uptake_columns=network.index(network.uptake_ids),
            medium_columns=medium_columns,
            maximize=arrays.maximize,
        )
        digest = hashlib.sha256()
        for array in (problem.S.data, problem.S.indices, problem.S.indptr, problem.lower, problem.upper,
                      problem.c, problem.uptake_columns, problem.medium_columns):
            digest.update(np.ascontiguousarray(array).tobytes())
        problem.key = digest.hexdigest()
        return problem

    def __post_init__(self) -> None:
        position = {c: i for i, c in enumerate(self.uptake_columns)}
        missing = [c for c in self.medium_columns if c not in position]
        if missing:
            raise MediumError(f"medium column(s) {id_list(missing)} are not uptake reactions")
        self._medium_slots = np.array([position[c] for c in self.medium_columns], dtype=int)

    def column_bounds(self, medium_bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of the uptake columns for a medium (others closed)."""
        upper = np.zeros(len(self.uptake_columns))
        upper[self._medium_slots] = medium_bounds
        return np.zeros(len(self.uptake_columns)), upper


class HighsLabeler:
    """FBA/pFBA of many media on one network, two HiGHS LPs kept warm.

    Parameters
    ----------
    problem : FluxProblem
    method : {"pfba", "fba"}, default "pfba"

    Raises
    ------
    ParameterError
        Another ``method``.
    """

    def __init__(self, problem: FluxProblem, method: str = "pfba") -> None:
        if method not in METHODS:
            raise ParameterError(f"method must be one of {', '.join(METHODS)} (got {method!r})")
        self.problem = problem
        self.method = method
        p = problem
        self.fba = HighsLP(p.S, p.lower, p.upper, p.c, maximize=p.maximize)
        if method == "pfba":
            m = p.S.shape[0]
            A = sp.vstack([p.S, sp.csr_matrix(p.c)], format="csc")
            self.pfba = HighsLP(
                A, p.lower, p.upper, np.ones(len(p.c)), maximize=False,
                row_lower=np.r_[np.zeros(m), -np.inf], row_upper=np.r_[np.zeros(m), np.inf],
            )
            self._objective_row = m

    def restart(self) -> None:
        """Start the next solve cold: results then depend only on the media since the restart."""
        self.fba.clear_basis()
        if self.method == "pfba":
            self.pfba.clear_basis()

    def _set_medium(self, lp: HighsLP, lower: np.ndarray, upper: np.ndarray, knocked: np.ndarray) -> None:
        lp.set_bounds(self.problem.uptake_columns, lower, upper)
        if len(knocked):
            lp.set_bounds(knocked, np.zeros(len(knocked)), np.zeros(len(knocked)))

    def _restore(self, knocked: np.ndarray) -> None:
        """Back to the network's bounds on knocked-out columns (uptakes are set anew by each medium)."""
        if len(knocked):
            for lp in (self.fba, self.pfba) if self.method == "pfba" else (self.fba,):
                lp.reset_bounds(knocked)

    def label(self, medium_bounds: np.ndarray, knocked: np.ndarray | None = None) -> Label:
        """Label one medium; ``knocked``: columns forced to zero (a knockout) for this medium only."""
        knocked = np.asarray(() if knocked is None else knocked, dtype=int)
        try:
            return self._label(medium_bounds, knocked)
        finally:
            self._restore(knocked)

    def _label(self, medium_bounds: np.ndarray, knocked: np.ndarray) -> Label:
        lower, upper = self.problem.column_bounds(medium_bounds)
        self._set_medium(self.fba, lower, upper, knocked)
        fba = self.fba.solve()
        if not fba.optimal:
            return Label(float("nan"), None, fba.status)
        if self.method == "fba":
            return Label(fba.objective, fba.x)
        growth = fba.objective
        self._set_medium(self.pfba, lower, upper, knocked)
        slack = 1e-9 * max(1.0, abs(growth))
        if self.problem.maximize:
            self.pfba.set_row_bounds(self._objective_row, growth - slack, np.inf)
        else:
            self.pfba.set_row_bounds(self._objective_row, -np.inf, growth + slack)
        second = self.pfba.solve()
        if not second.optimal:  # numerically the FBA optimum is always feasible; report if not
            return Label(growth, None, f"pfba {second.status}")
        return Label(growth, second.x)


class CobraLabeler:
    """The reference: COBRApy's ``slim_optimize`` and ``pfba`` on the unidirectional model.

    Parameters
    ----------
    network : UnidirectionalNetwork
    medium_ids : sequence of str
        Uptakes whose upper bounds each medium gives (the others are closed).
    method : {"pfba", "fba"}, default "pfba"

    Raises
    ------
    ParameterError
        Another ``method``.
    """

    def __init__(self, network, medium_ids, method: str = "pfba") -> None:
        if method not in METHODS:
            raise ParameterError(f"method must be one of {', '.join(METHODS)} (got {method!r})")
        self.network = network
        self.medium_ids = list(medium_ids)
        self.method = method
        self.restart()

    def restart(self) -> None:
        """A fresh copy of the model, so that no solver state carries over (reproducible chunks)."""
        self.model = self.network.model.copy()
        self.uptakes = [self.model.reactions.get_by_id(r) for r in self.network.uptake_ids]
        self.medium = [self.model.reactions.get_by_id(r) for r in self.medium_ids]

    def label(self, medium_bounds: np.ndarray, knocked: np.ndarray | None = None) -> Label:
        """Label one medium; ``knocked``: columns forced to zero (a knockout) for this medium only."""
        model = self.model
        with model:
            for r in self.uptakes:
                r.upper_bound = 0.0
            for r, bound in zip(self.medium, medium_bounds):
                r.upper_bound = float(bound)
            for j in () if knocked is None else knocked:
                model.reactions[int(j)].bounds = (0.0, 0.0)
            growth = model.slim_optimize()
            if np.isnan(growth):
                return Label(float("nan"), None, "infeasible")
            if self.method == "fba":
                fluxes = model.optimize().fluxes
            else:
                fluxes = pfba(model).fluxes
        return Label(growth, fluxes[self.network.reaction_ids].to_numpy())
