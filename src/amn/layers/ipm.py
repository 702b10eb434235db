"""A primal-dual interior-point layer (Mehrotra predictor-corrector) for the pFBA-like problem, unrolled.

Per sample it solves the problem of :mod:`amn.layers.pdhg`,

    min_V  (-c + eps 1).V + (proximal / 2) ||V - V0||^2
    s.t.   S_r V = 0,   lo <= V <= up,

on the independent rows ``S_r`` of ``S`` (so ``S_r D S_r^T`` is positive
definite), with ``lo``/``up`` from the medium inputs (``UB``/``EB``) and the
knockout mask.  One iteration = one Newton step on the perturbed KKT
conditions, with Mehrotra's predictor-corrector: the affine (``mu = 0``)
direction and the centred, second-order corrected one share one Cholesky
factorisation of the normal matrix ``S_r D S_r^T``
(``D = 1 / (proximal + gamma + z_l / s_l + z_u / s_u)``): batched and dense for
small networks (and on GPUs), or sparse per sample for genome-scale ones
(``linear_solver``): the pattern of ``S_r D S_r^T`` is the same for every sample
and iteration, so the fill-reducing ordering and the map from ``D`` to the
matrix's non-zeros are computed once per network (:class:`NormalPattern`);
iML1515's normal matrix (1,845 rows) has 31,025 non-zeros and its factor about
27,000, against 3.4 million entries dense.  Backward goes through the same
factorisations (:class:`_NormalSolve`).  Step lengths go to a
fraction 0.995 of the distance to the boundary (separate primal and dual
steps for the LP, a common one for the QP).

Bounds: every non-fixed flux has a lower slack pair ``(V - lo, z_l)`` and,
when ``up`` is finite, an upper one ``(up - V, z_u)``.  Fixed fluxes
(``(up - lo) / scale <= fixed_tol``: closed uptakes, ``EB`` uptakes,
knockouts) are eliminated: they stay at ``lo`` (``D = 0``, no barrier term),
so a knocked-out flux is exactly 0.

Regularisation, and why: the centring target is floored at ``mu_min``
(relative to the problem's scales), so the iterates converge to the
central-path point ``V(mu_min)``, not to the LP optimum itself.  That point
is within ``O(mu_min)`` of the optimum (the barrier makes it unique even on
the degenerate optimal faces of metabolic LPs: the analytic centre of the
optimal face as ``mu_min -> 0``) and is a smooth function of the inputs; it
keeps ``D`` and the normal matrix bounded, so backward stays finite however
many iterations are unrolled, and once converged the unrolled gradient is
that of ``V(mu_min)`` (a Newton map has zero Jacobian at its fixed point).
A dual regularisation relaxes the equality to ``S_r V + delta y = 0``
(``delta = 1e-10``): metabolic LPs have implicit equalities (fluxes forced
to a bound by ``S V = 0``), so their strict interior is empty and an exact
IPM would drive those slacks to 0 and their duals to infinity; with
``delta`` the barrier problem has an interior, and ``S_r D S_r^T + delta I``
stays positive definite when fixing fluxes makes rows of ``S_r`` dependent.
``gamma`` (a proximal-point term on each Newton step, zero at the fixed
point) bounds ``D``.  No proximal term is needed for uniqueness.  The normal
matrix is Jacobi-scaled (unit diagonal) before the factorisation; a sample
whose factorisation still fails by rounding gets a tiny diagonal shift.  Step lengths and the centring parameter are control
decisions and are detached.

Scaling: fluxes are divided per sample by the largest input (``|inputs|``,
the medium's flux scale) and the objective by its largest entry, so that
``mu_min`` and the starting point (``V - lo = min(1, (up - lo) / 2)``,
``z = 1``, ``y = 0``) suit networks of any unit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from amn.errors import ParameterError
from amn.layers.base import SparseMatrix, State, is_dense, spmm
from amn.layers.pdhg import _PFBAProblem
from amn.network.matrices import NetworkMatrices, independent_rows

_F64 = torch.float64


def _max_step(v: Tensor, dv: Tensor, active: Tensor) -> Tensor:
    """Largest ``alpha`` (per sample, batch x 1) with ``v + alpha dv >= 0`` on the active entries."""
    ratio = torch.where(active & (dv < 0), -v / dv.clamp_max(-1e-300), torch.full_like(v, float("inf")))
    return ratio.amin(dim=1, keepdim=True)


def _cholesky(M: Tensor) -> Tensor:
    """Batched Cholesky factor of unit-diagonal SPD matrices; a sample whose factorisation fails
    (rounding on a nearly singular matrix) is retried with a growing diagonal shift (1e-14, 1e-12, ...)."""
    L, info = torch.linalg.cholesky_ex(M)
    shift = 1e-14
    eye = torch.eye(M.shape[-1], dtype=M.dtype, device=M.device)
    while bool((info > 0).any()) and shift < 1:
        failed = (info > 0).view(-1, 1, 1)
        L_shift, info_shift = torch.linalg.cholesky_ex(M + shift * eye)
        L, info = torch.where(failed, L_shift, L), torch.where(info > 0, info_shift, info)
        shift *= 100
    return L


class NormalPattern:
    """The symbolic analysis of the normal matrices ``M(D) = A diag(D) A^T + delta I``, once per network.

    Every sample and iteration has the same pattern (that of ``A A^T`` plus the diagonal), so the
    fill-reducing ordering (SuperLU's minimum degree on ``M + M^T``) is computed once, and the map
    from ``D`` to the non-zeros of the permuted ``M`` is one sparse matrix ``T`` (``data = D T^T``
    for the whole batch).  Each sample's numeric factorisation is then SuperLU with that ordering,
    no pivoting and symmetric mode: a Cholesky ``L diag(p) L^T`` of the Jacobi-scaled matrix
    (unit diagonal, as the dense path), whose pivots ``p`` show whether it is positive definite.

    Parameters
    ----------
    A : scipy.sparse matrix
        m x n, independent rows.
    delta : float
        The dual regularisation on the diagonal.
    """

    def __init__(self, A: sp.spmatrix, delta: float) -> None:
        A = sp.csc_matrix(A, dtype=float)
        m, n = A.shape
        self.shape, self.delta = (m, n), float(delta)
        pattern = sp.csc_matrix(abs(A) @ abs(A).T + sp.eye(m))  # positive definite, the pattern of every M(D)
        probe = spla.splu(pattern, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0, options={"SymmetricMode": True})
        order = np.argsort(probe.perm_c)  # row/column i of the permuted matrix is order[i] of M
        pattern.data = np.arange(1, pattern.nnz + 1, dtype=float)
        permuted = sp.csc_matrix(pattern[order][:, order])
        permuted.sort_indices()
        rows = permuted.indices.astype(np.int64)
        cols = np.repeat(np.arange(m), np.diff(permuted.indptr))
        self.order, self.indptr, self.indices = order, permuted.indptr, permuted.indices
        self.diagonal = np.flatnonzero(rows == cols)  # the diagonal's positions in the permuted data, column order
        # T[e, k] = A_ik A_jk for the permuted entry e = (i, j): the non-zeros of M(D) are T @ D
        inverse = np.empty(m, dtype=np.int64)
        inverse[order] = np.arange(m)
        position = sp.csr_matrix((np.arange(len(rows)) + 1.0, (rows, cols)), shape=(m, m))
        triples_e, triples_k, triples_v = [], [], []
        for k in range(n):
            i, v = A.indices[A.indptr[k]:A.indptr[k + 1]], A.data[A.indptr[k]:A.indptr[k + 1]]
            if not len(i):
                continue
            pi = inverse[i]
            e = np.asarray(position[np.repeat(pi, len(pi)), np.tile(pi, len(pi))]).ravel().astype(np.int64) - 1
            triples_e.append(e)
            triples_k.append(np.full(len(e), k))
            triples_v.append(np.outer(v, v).ravel())
        self.T = sp.csr_matrix((np.concatenate(triples_v), (np.concatenate(triples_e), np.concatenate(triples_k))),
                               shape=(len(rows), n))
        self._row_of, self._col_of = rows, cols

    @property
    def nnz(self) -> int:
        """Non-zeros of each normal matrix (both triangles)."""
        return len(self.indices)

    def factor(self, D: np.ndarray) -> NormalFactors:
        """The factorisations of ``M(D_b)`` for a batch ``D`` (batch x n, float64)."""
        data = (self.T @ D.T).T  # batch x nnz
        data[:, self.diagonal] += self.delta
        w = 1.0 / np.sqrt(data[:, self.diagonal])  # Jacobi scaling, permuted order
        data *= w[:, self._row_of] * w[:, self._col_of]
        factors = []
        for b in range(len(D)):
            factors.append(self._factor_one(data[b]))
        return NormalFactors(self, factors, w)

    def _factor_one(self, data: np.ndarray):
        """SuperLU of one scaled matrix; a failed (not positive definite) one retried with a growing shift."""
        shift = 0.0
        while True:
            shifted = data.copy()
            shifted[self.diagonal] += shift
            matrix = sp.csc_matrix((shifted, self.indices, self.indptr), shape=(self.shape[0],) * 2)
            try:
                lu = spla.splu(matrix, permc_spec="NATURAL", diag_pivot_thresh=0,
                               options={"SymmetricMode": True, "Equil": False})
                ok = bool(np.all(lu.U.diagonal() > 0))
            except RuntimeError:  # an exactly singular pivot
                lu, ok = None, False
            if ok or shift >= 1:
                return lu
            shift = 1e-14 if shift == 0 else shift * 100


class NormalFactors:
    """The factorised normal matrices of one batch (see :class:`NormalPattern`); ``solve`` applies ``M_b^-1``."""

    def __init__(self, pattern: NormalPattern, factors: list, w: np.ndarray) -> None:
        self.pattern, self.factors, self.w = pattern, factors, w

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """``M_b^-1 rhs_b`` for each sample (batch x m, float64)."""
        order = self.pattern.order
        scaled = rhs[:, order] * self.w
        out = np.empty_like(rhs)
        for b, lu in enumerate(self.factors):
            out[b, order] = lu.solve(scaled[b]) * self.w[b] if lu is not None else np.nan
        return out


class _NormalSolve(torch.autograd.Function):
    """``dy = M(D)^-1 rhs`` per sample with the factorisations of ``factors``; differentiable in ``D`` and ``rhs``.

    Backward uses the same factorisations: ``lambda = M^-1 g``, ``d rhs = lambda`` and
    ``dD = -(A^T lambda) * (A^T dy)`` (``M`` is symmetric and linear in ``D``).
    """

    @staticmethod
    def forward(ctx, D: Tensor, rhs: Tensor, factors: NormalFactors, A: SparseMatrix) -> Tensor:
        dy = torch.from_numpy(factors.solve(rhs.detach().cpu().numpy())).to(rhs.device)
        ctx.factors, ctx.A = factors, A
        ctx.save_for_backward(dy)
        return dy

    @staticmethod
    @once_differentiable
    def backward(ctx, g: Tensor):
        (dy,) = ctx.saved_tensors
        lam = torch.from_numpy(ctx.factors.solve(g.detach().cpu().numpy())).to(g.device)
        dD = -spmm(ctx.A, lam, transpose=True) * spmm(ctx.A, dy, transpose=True) if ctx.needs_input_grad[0] else None
        return dD, lam, None, None


#: ``linear_solver`` choices of :class:`InteriorPoint`.
SOLVERS = ("auto", "dense", "sparse")


class InteriorPoint(_PFBAProblem):
    """Mehrotra predictor-corrector interior-point method, one Newton step per iteration (see :mod:`amn.layers.ipm`).

    Computes in float64 whatever the module's dtype (the output has the
    module's dtype): the normal equations near the optimum are too
    ill-conditioned for float32.  State: ``(x, y, z_l, z_u, x0)``, float64,
    scaled (warm start with ``state0``).

    Parameters
    ----------
    matrices : NetworkMatrices or UnidirectionalNetwork
        The network (with its medium, or a network plus ``medium``).
    medium : sequence of str, optional
        Medium uptake ids, when ``matrices`` is a network.
    bound : {"UB", "EB"}
        Inputs are uptake upper bounds or exact uptakes.
    objective : bool or array_like
        True: the model's objective (growth); None/False: none (learning mode: with the
        default ``proximal = 1`` the layer then projects ``V0`` onto the steady-state
        polytope, a QP); or a length-n ``c``.
    eps : float
        Weight of the total flux (pFBA's second objective).
    proximal : float, optional
        Weight of ``||V - V0||^2 / 2`` (default 0 with an objective, 1 without).
    iterations : int
        Newton steps of ``forward``.
    mu_min : float, optional
        Centring floor, in scaled units: default 1e-12 with an objective (pFBA's optimum
        to ~1e-9); 1e-4 without, a smoothed projection whose gradient does not vanish at
        the bounds it meets (else an untrained prior whose fluxes sit on bounds gets no
        gradient).
    delta : float
        Dual regularisation (relaxation of the equality).
    gamma : float
        Primal proximal-point regularisation of the Newton step.
    eta : float
        Fraction to the boundary, in ``(0, 1)``.
    fixed_tol : float
        Fluxes whose scaled bounds are closer than this are fixed.
    linear_solver : {"auto", "dense", "sparse"}
        How the normal equations are solved.  ``"dense"``: one batched dense Cholesky (fast for
        small networks, and on GPUs); ``"sparse"``: a sparse Cholesky per sample (SuperLU with one
        fill-reducing ordering per network, :class:`NormalPattern`; on the CPU whatever the
        module's device), with backward through the same factorisations (:class:`_NormalSolve`);
        ``"auto"``: sparse on the CPU when ``A`` has more than ``DENSE_LIMIT`` entries
        (genome-scale networks), dense otherwise.
    checkpoint_every : int, optional
        Gradient-checkpointing block length.

    Raises
    ------
    ParameterError
        If a parameter is outside its domain.

    Examples
    --------
    >>> import torch, amn
    >>> from amn.layers import InteriorPoint
    >>> net = amn.make_unidirectional("textbook")
    >>> layer = InteriorPoint(net.matrices(medium=["EX_glc__D_e_i", "EX_o2_e_i"]))
    >>> u = torch.tensor([[10.0, 20.0]], dtype=torch.float64, requires_grad=True)
    >>> growth = layer(u) @ layer.c
    >>> round(growth.item(), 4)
    0.8326
    >>> growth.sum().backward()
    >>> u.grad.numpy().round(3)  # growth per unit of glucose and of oxygen
    array([[0.046, 0.023]])
    """

    def __init__(
        self,
        matrices: NetworkMatrices,
        medium: Sequence[str] | None = None,
        *,
        bound: str = "UB",
        objective=True,
        eps: float = 1e-6,
        proximal: float | None = None,
        iterations: int = 30,
        mu_min: float | None = None,
        delta: float = 1e-10,
        gamma: float = 1e-10,
        eta: float = 0.995,
        fixed_tol: float = 1e-12,
        linear_solver: str = "auto",
        checkpoint_every: int | None = None,
    ) -> None:
        super().__init__(matrices, medium, bound, objective, eps, proximal, iterations, checkpoint_every)
        if linear_solver not in SOLVERS:
            raise ParameterError(f"InteriorPoint: linear_solver must be one of {', '.join(SOLVERS)}, got {linear_solver!r}")
        mu_min = mu_min if mu_min is not None else (1e-12 if bool(self.c.any()) else 1e-4)
        if mu_min <= 0 or delta <= 0 or gamma < 0 or not 0 < eta < 1 or fixed_tol < 0:
            raise ParameterError(
                "InteriorPoint: need mu_min > 0, delta > 0, gamma >= 0, 0 < eta < 1 and fixed_tol >= 0, "
                f"got {mu_min}, {delta}, {gamma}, {eta}, {fixed_tol}"
            )
        self.mu_min, self.delta, self.gamma = float(mu_min), float(delta), float(gamma)
        self.eta, self.fixed_tol = float(eta), float(fixed_tol)
        self.linear_solver = linear_solver
        S = sp.csr_matrix(self._S)
        A = S[independent_rows(S)]
        if linear_solver == "dense" or (linear_solver == "auto" and is_dense(A.shape)):
            self.register_buffer("A", torch.as_tensor(A.toarray()))
            self._pattern = None
        else:
            self.A = SparseMatrix(A)
            self._pattern = NormalPattern(A, self.delta)

    def _sparse(self, device: torch.device) -> bool:
        """Whether this step solves the normal equations sparsely (see ``linear_solver``)."""
        return self._pattern is not None and (self.linear_solver == "sparse" or device.type == "cpu")

    def _dense_A(self, device: torch.device) -> Tensor:
        return self.A.to(_F64) if isinstance(self.A, Tensor) else self.A.to_dense().to(device, _F64)

    def _normal_solver(self, D: Tensor) -> tuple[Callable[[Tensor], Tensor], Tensor | SparseMatrix]:
        """``rhs -> M(D)^-1 rhs`` for this step's ``D`` (one factorisation, used by both directions), and ``A``."""
        if self._sparse(D.device):
            factors = self._pattern.factor(D.detach().cpu().numpy())
            return (lambda rhs: _NormalSolve.apply(D, rhs, factors, self.A)), self.A
        A = self._dense_A(D.device)
        M = (A * D.unsqueeze(1)) @ A.T + self.delta * torch.eye(A.shape[0], dtype=D.dtype, device=D.device)
        w = torch.diagonal(M, dim1=1, dim2=2).rsqrt()
        L = _cholesky(M * w.unsqueeze(2) * w.unsqueeze(1))
        return (lambda rhs: torch.cholesky_solve((rhs * w).unsqueeze(2), L).squeeze(2) * w), A

    # -- per-batch constants ----------------------------------------------------------------
    def _prepare(self, inputs: Tensor, keep: Tensor | None) -> State:
        lo, up = (b.to(_F64) for b in self.bounds(inputs, keep))
        scale = inputs.to(_F64).abs().amax(dim=1, keepdim=True)
        scale = torch.where(scale > 0, scale, torch.ones_like(scale))
        lo, up = lo / scale, up / scale
        free = (up - lo > self.fixed_tol).to(_F64)
        upper = free * torch.isfinite(up).to(_F64)
        up = torch.where(upper > 0, up, lo + 1)  # placeholder where there is no upper pair
        f = self.f.to(_F64)
        rho = self.proximal * scale
        obj = torch.maximum(f.abs().amax().expand_as(rho), rho)
        obj = torch.where(obj > 0, obj, torch.ones_like(obj))
        return lo, up, free, upper, scale, f / obj, rho / obj

    def _init_state(self, ctx, inputs, V0, state0) -> State:
        lo, up, free, upper, scale = ctx[:5]
        anchor = torch.zeros_like(lo) if V0 is None else V0.to(_F64) / scale
        if state0 is not None:
            return (*state0[:4], anchor)
        x = lo + free * torch.clamp((up - lo) / 2, max=1.0)
        y = torch.zeros(lo.shape[0], self.A.shape[0], dtype=_F64, device=lo.device)
        return x, y, free.clone(), upper.clone(), anchor

    # -- one Newton step ------------------------------------------------------------------------
    def _step(self, ctx, state, t) -> State:
        lo, up, free, upper, _, q, rho = ctx
        x, y, zl, zu, anchor = state
        sl = torch.where(free > 0, x - lo, torch.ones_like(x))
        su = torch.where(upper > 0, up - x, torch.ones_like(x))
        pairs = (free.sum(1, keepdim=True) + upper.sum(1, keepdim=True)).clamp_min(1)
        mu = ((sl * zl).sum(1, keepdim=True) + (su * zu).sum(1, keepdim=True)) / pairs
        D = free / (rho + self.gamma + zl / sl + zu / su + (1 - free))
        solve, A = self._normal_solver(D)
        r_d = q + rho * (x - anchor) - spmm(A, y, transpose=True) - zl + zu
        r_p = spmm(A, x) + self.delta * y

        def direction(r_cl: Tensor, r_cu: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
            h = -r_d + r_cl / sl - r_cu / su
            dy = solve(-r_p - spmm(A, D * h))
            dx = D * (h + spmm(A, dy, transpose=True))
            return dx, dy, (r_cl - zl * dx) / sl, (r_cu + zu * dx) / su

        on_l, on_u = free > 0, upper > 0
        dx, dy, dzl, dzu = direction(-sl * zl, -su * zu)
        with torch.no_grad():
            a_p = _max_step(sl, dx, on_l).minimum(_max_step(su, -dx, on_u)).clamp_max(1.0)
            a_d = _max_step(zl, dzl, on_l).minimum(_max_step(zu, dzu, on_u)).clamp_max(1.0)
            mu_aff = (((sl + a_p * dx) * (zl + a_d * dzl)).sum(1, keepdim=True)
                      + ((su - a_p * dx) * (zu + a_d * dzu) * upper).sum(1, keepdim=True)) / pairs
            target = torch.clamp((mu_aff / mu.clamp_min(1e-300)) ** 3 * mu, min=self.mu_min)
        dx, dy, dzl, dzu = direction(free * (target - sl * zl - dx * dzl), upper * (target - su * zu + dx * dzu))
        with torch.no_grad():
            a_p = (self.eta * _max_step(sl, dx, on_l).minimum(_max_step(su, -dx, on_u))).clamp_max(1.0)
            a_d = (self.eta * _max_step(zl, dzl, on_l).minimum(_max_step(zu, dzu, on_u))).clamp_max(1.0)
            if self.proximal > 0:
                a_p = a_d = torch.minimum(a_p, a_d)
        return x + a_p * dx, y + a_d * dy, zl + a_d * dzl, zu + a_d * dzu, anchor

    def _fluxes(self, ctx, state) -> Tensor:
        return (state[0] * ctx[4]).to(self.lower.dtype)
