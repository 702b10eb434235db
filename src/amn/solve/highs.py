"""A network LP kept alive in HiGHS, re-solved warm as bounds change.

FBA is ``max c.v  s.t.  S v = 0,  lb <= v <= ub``; extra rows (pFBA's
``c.v >= growth``) have their own bounds.  Building the LP once and
changing only column bounds between solves lets HiGHS start from the previous
basis, which is what makes screens (essential uptakes) and training-set
generation fast.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from amn.errors import SolverError
from amn.network.matrices import fba_arrays


@contextmanager
def _stdout_silenced():
    """Mute C-level stdout: HiGHS prints a banner when the first instance is built."""
    fd = os.dup(1)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 1)
        yield
    finally:
        os.dup2(fd, 1)
        os.close(fd)


@dataclass
class LPSolution:
    """Outcome of one solve: ``optimal`` is False for infeasible or unbounded LPs."""

    optimal: bool
    status: str
    objective: float
    x: np.ndarray


class HighsLP:
    """``max`` (or ``min``) ``c.v`` subject to ``row_lower <= A v <= row_upper`` and column
    bounds, in one HiGHS instance (rows default to ``A v = 0``).

    Parameters
    ----------
    S : scipy.sparse matrix
        The constraint matrix ``A`` (m x n), e.g. the stoichiometry.
    lower, upper : numpy.ndarray
        Column bounds (n); :meth:`reset_bounds` returns to them.
    c : numpy.ndarray
        Objective coefficients (n).
    maximize : bool, default True
    row_lower, row_upper : numpy.ndarray, optional
        Row bounds (m); default 0 (``A v = 0``).
    """

    def __init__(
        self,
        S: sp.spmatrix,
        lower: np.ndarray,
        upper: np.ndarray,
        c: np.ndarray,
        maximize: bool = True,
        row_lower: np.ndarray | None = None,
        row_upper: np.ndarray | None = None,
    ) -> None:
        S = sp.csc_matrix(S, dtype=float)
        m, n = S.shape
        self.n = n
        self.lower0 = np.asarray(lower, dtype=float).copy()
        self.upper0 = np.asarray(upper, dtype=float).copy()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, m
        lp.col_cost_ = np.asarray(c, dtype=float)
        lp.col_lower_ = self.lower0
        lp.col_upper_ = self.upper0
        lp.row_lower_ = np.zeros(m) if row_lower is None else np.asarray(row_lower, dtype=float)
        lp.row_upper_ = np.zeros(m) if row_upper is None else np.asarray(row_upper, dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = S.indptr.astype(np.int32)
        lp.a_matrix_.index_ = S.indices.astype(np.int32)
        lp.a_matrix_.value_ = S.data
        lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
        with _stdout_silenced():
            self._highs = highspy.Highs()
        self._highs.setOptionValue("output_flag", False)
        self._highs.setOptionValue("threads", 1)  # serial simplex; no idle threads beside Dask's workers
        self._highs.passModel(lp)

    @classmethod
    def from_network(cls, network) -> HighsLP:
        """FBA of a network: its stoichiometry, bounds and objective (:func:`~amn.network.matrices.fba_arrays`).

        Parameters
        ----------
        network : UnidirectionalNetwork or cobra.Model

        Returns
        -------
        HighsLP
        """
        arrays = fba_arrays(network)
        return cls(arrays.S, arrays.lower, arrays.upper, arrays.c, maximize=arrays.maximize)

    def set_bounds(self, columns: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Change the bounds of some columns (the basis is kept for a warm start)."""
        columns = np.asarray(columns, dtype=np.int32)
        self._highs.changeColsBounds(
            len(columns), columns, np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
        )

    def set_row_bounds(self, row: int, lower: float, upper: float) -> None:
        """Change the bounds of one row."""
        self._highs.changeRowBounds(int(row), float(lower), float(upper))

    def clear_basis(self) -> None:
        """Forget the previous solution, so that the next solve starts cold (reproducibly)."""
        self._highs.clearSolver()

    def reset_bounds(self, columns: np.ndarray | None = None) -> None:
        """Back to the bounds the LP was built with, on ``columns`` (default: every column)."""
        columns = np.arange(self.n) if columns is None else np.asarray(columns, dtype=int)
        self.set_bounds(columns, self.lower0[columns], self.upper0[columns])

    def basis(self) -> tuple[np.ndarray, np.ndarray]:
        """Status of each column and row in the last optimal basis, as ``int8`` codes of
        ``highspy.HighsBasisStatus`` (0 at lower, 1 basic, 2 at upper): what sensitivities need."""
        basis = self._highs.getBasis()
        col = np.array([int(s) for s in basis.col_status], dtype=np.int8)
        row = np.array([int(s) for s in basis.row_status], dtype=np.int8)
        return col, row

    def duals(self) -> tuple[np.ndarray, np.ndarray]:
        """Reduced costs of the columns and duals of the rows of the last solve (HiGHS's signs)."""
        solution = self._highs.getSolution()
        return np.asarray(solution.col_dual, dtype=float), np.asarray(solution.row_dual, dtype=float)

    def solve(self) -> LPSolution:
        """Solve from the current basis (warm).

        Returns
        -------
        LPSolution
            ``optimal`` False (objective and ``x`` NaN) when infeasible or unbounded.

        Raises
        ------
        SolverError
            HiGHS returned without solving (status "Not Set"): read as "no steady state", it would
            silently turn every medium into zero growth.
        """
        self._highs.run()
        status = self._highs.getModelStatus()
        if status == highspy.HighsModelStatus.kNotset and self._highs.getOptionValue("threads")[1] != 0:
            # HiGHS's thread scheduler is global to the process: when another instance started it with another
            # thread count, run() refuses ours; 0 takes the scheduler as it is
            self._highs.setOptionValue("threads", 0)
            self._highs.run()
            status = self._highs.getModelStatus()
        if status == highspy.HighsModelStatus.kNotset:
            raise SolverError(f"HiGHS did not solve the LP of {self.n} columns (model status "
                              f"{self._highs.modelStatusToString(status)!r}): it refused an option or the model")
        optimal = status == highspy.HighsModelStatus.kOptimal
        if not optimal:
            return LPSolution(False, self._highs.modelStatusToString(status), float("nan"), np.full(self.n, np.nan))
        value = self._highs.getInfo().objective_function_value
        x = np.asarray(self._highs.getSolution().col_value, dtype=float)
        return LPSolution(True, "optimal", float(value), x)
