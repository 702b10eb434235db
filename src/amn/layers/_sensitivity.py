"""Linear algebra of :class:`~amn.layers.exact.ExactFBA`'s backward pass: basis sensitivities of an LP,
and the primal active-set method (with its KKT sensitivities) of the regularised pFBA QP."""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg as spla

#: HiGHS basis status codes used here.
BASIC, AT_UPPER = 1, 2


def _basis_vjp(A: sp.csc_matrix, col: np.ndarray, row: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``d(g.x)/d`` (value of each nonbasic column, activity of each nonbasic row) at an optimal basis.

    With ``z = (x, r)`` and ``[A, -I] z = 0``, the basic part is ``z_B = -B^-1 N z_N``;
    one transposed solve ``B^T y = g_B`` gives ``g_N - N^T y``.  Basic entries are zero.
    """
    m = A.shape[0]
    basic_cols, basic_rows = np.flatnonzero(col == BASIC), np.flatnonzero(row == BASIC)
    B = sp.hstack([A[:, basic_cols], -sp.identity(m, format="csc")[:, basic_rows]], format="csc")
    y = spla.splu(B).solve(np.r_[g[basic_cols], np.zeros(len(basic_rows))], trans="T")
    g_col = g - A.T @ y
    g_col[basic_cols] = 0.0
    y[basic_rows] = 0.0
    return g_col, y


class _RowSpace:
    """A pivoted QR of ``A_F^T`` (dense): least-norm solutions of ``A_F d = r`` and projections onto
    ``A_F p = 0`` that stay exact when ``A_F`` has dependent rows (conserved moieties, fixed columns)."""

    def __init__(self, AF: np.ndarray) -> None:
        Q, R, self.perm = scipy.linalg.qr(AF.T, mode="economic", pivoting=True)
        diag = np.abs(np.diag(R))
        self.rank = int(np.sum(diag > 1e-10 * diag[0])) if len(diag) and diag[0] > 0 else 0
        self.Q, self.R = Q[:, : self.rank], R[: self.rank, : self.rank]

    def least_norm(self, r: np.ndarray) -> np.ndarray:
        """``d = A_F^+ r`` (for ``r`` in the range of ``A_F``)."""
        return self.Q @ scipy.linalg.solve_triangular(self.R, r[self.perm[: self.rank]], trans="T")

    def null_part(self, g: np.ndarray) -> np.ndarray:
        """``g`` minus its component in the row space of ``A_F``."""
        return g - self.Q @ (self.Q.T @ g)

    def transpose(self, g: np.ndarray, m: int) -> np.ndarray:
        """``s`` with ``s.r = g.(A_F^+ r)`` for every ``r`` in the range of ``A_F`` (m-vector)."""
        s = np.zeros(m)
        s[self.perm[: self.rank]] = scipy.linalg.solve_triangular(self.R, self.Q.T @ g)
        return s


class _RegularisedPFBA:
    """``min q.v + (gamma/2)||v||^2  s.t.  A v = b,  lo <= v <= up`` by a primal active-set method.

    Started at the pFBA vertex (the LP optimum, feasible): each step moves the free columns
    F along ``-(grad f)`` projected onto ``A_F p = 0`` until a bound blocks; at a stationary
    point the multipliers of the fixed bounds are checked and the worst one released.  Few
    steps are needed, since the QP optimum lies on the pFBA optimal face for small gamma.
    Dense linear algebra: meant for core-sized networks.
    """

    def __init__(self, A: sp.spmatrix, q: np.ndarray, gamma: float) -> None:
        self.A = sp.csr_matrix(A).toarray()
        self.q, self.gamma = q, gamma

    def solve(self, v0: np.ndarray, b: np.ndarray, lo: np.ndarray, up: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The optimum ``v``, the free mask and the multipliers of the bounds, or None if the
        iteration limit is hit (degenerate cycling)."""
        tol = 1e-9 * max(1.0, np.abs(v0).max())
        fixed = lo == up
        at_lo = (v0 <= lo + tol) | fixed
        at_up = (v0 >= up - tol) & ~at_lo
        v = np.where(at_lo, lo, np.where(at_up, up, v0))
        for _ in range(10 * len(v) + 10):
            free = ~(at_lo | at_up)
            rows = _RowSpace(self.A[:, free])
            v[free] += rows.least_norm(b - self.A @ v)  # stay on A v = b despite rounding
            g = self.q + self.gamma * v
            p = np.zeros_like(v)
            p[free] = -rows.null_part(g[free]) / self.gamma
            if np.abs(p).max() <= tol:
                lam = g - self.A.T @ rows.transpose(g[free], len(b))
                worst = np.where(at_lo & ~fixed, -lam, np.where(at_up, lam, 0.0))
                j = int(np.argmax(worst))
                if worst[j] <= 1e-9:
                    return v, free, np.where(free, 0.0, lam)
                at_lo[j] = at_up[j] = False
                continue
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(p < 0, (lo - v) / p, np.where(p > 0, (up - v) / p, np.inf))
            ratio[~free] = np.inf
            j = int(np.argmin(ratio))
            alpha = min(1.0, max(ratio[j], 0.0))
            v = v + alpha * p
            if alpha < 1.0:
                at_lo[j], at_up[j] = p[j] < 0, p[j] > 0
                v[j] = lo[j] if p[j] < 0 else up[j]
        return None

    def vjp(self, free: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``d(g.v)/d`` (value of each non-free column, right-hand side ``b``) on the active set,
        where ``v_F = A_F^+ (b - A_N v_N) + const``."""
        s = _RowSpace(self.A[:, free]).transpose(g[free], self.A.shape[0])
        g_col = g - self.A.T @ s
        g_col[free] = 0.0
        return g_col, s
