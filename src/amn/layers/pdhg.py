"""First-order primal-dual solvers (PDHG family) for the pFBA-like problem, unrollable in PyTorch.

Both layers solve, per sample,

    min_V  -c.V + eps * sum(V) + (proximal / 2) ||V - V0||^2
    s.t.   S V = 0,   lo <= V <= up,

where ``lo``/``up`` are the network's bounds with the medium columns set
from the input (``UB``: ``0 <= uptake <= input``; ``EB``: ``uptake = input``).
With ``eps`` small (default 1e-4, below the exact-penalty threshold of
e_coli_core media, measured near 1.5e-4) this LP has the same optimum as
pFBA: maximal growth first, then minimal total flux; pFBA's fluxes are the
min-total-flux optimum, which a plain FBA LP would not single out.  With no
objective (learning mode) the default problem is the projection of ``V0``
onto the steady-state polytope (``proximal = 1``).

- :class:`ProjectedPDHG` (the fast one): PDHG with ``K = I`` in which the
  primal proximal step also projects exactly onto ``{S V = 0}`` (a
  precomputed ``Q = S_r^T (S_r S_r^T)^-1`` on independent rows ``S_r``);
  with ``tau * sigma = 1`` this is over-relaxed Douglas-Rachford / ADMM
  (Chambolle & Pock 2011, section 4.3).  The step ratio ``sigma`` is adapted
  per sample every ``adapt_every`` iterations by balancing the relative
  primal and dual residuals.  Outputs satisfy ``S V = 0`` to round-off.
- :class:`PDHG`: PDLP-style PDHG on ``K = S`` with Ruiz + Pock-Chambolle
  diagonal preconditioning, reflected Halpern iterations with adaptive
  restarts on the fixed-point residual (Lu & Yang 2024) and primal-weight
  updates at restarts (Applegate et al. 2021).  Only sparse mat-vecs, so it
  scales to genome-scale networks without any factorisation, but it needs
  several times more iterations than :class:`ProjectedPDHG` here.

Control decisions (restarts, primal-weight and ``sigma`` updates) use
detached values: gradients flow through the iterations and the initial step
sizes, not through the adaptive schedule.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import torch
from torch import Tensor

from amn.errors import ParameterError
from amn.layers.base import State, UnrolledLayer, spectral_norm, spmm
from amn.layers.inputs import as_matrices, check_bound, objective_vector
from amn.network.matrices import NetworkMatrices, independent_rows

_TINY = 1e-30


def _rownorm(X: Tensor) -> Tensor:
    return torch.linalg.vector_norm(X, dim=1, keepdim=True)


def _clip(X: Tensor, lo: Tensor, up: Tensor) -> Tensor:
    return torch.minimum(torch.maximum(X, lo), up)


class _PFBAProblem(UnrolledLayer):
    """Shared problem data: ``f = -c + eps``, bounds from the inputs, the proximal anchor."""

    def __init__(self, matrices, medium, bound, objective, eps, proximal, iterations, checkpoint_every) -> None:
        matrices = as_matrices(matrices, medium)
        super().__init__(matrices, iterations, checkpoint_every)
        self.bound = check_bound(bound)
        if eps < 0:
            raise ParameterError(f"eps must be >= 0, got {eps}")
        self.eps = float(eps)
        c = objective_vector(matrices, objective)
        self.proximal = float(proximal if proximal is not None else (0.0 if np.any(c) else 1.0))
        if self.proximal < 0:
            raise ParameterError(f"proximal must be >= 0, got {proximal}")
        self.register_buffer("c", torch.as_tensor(c))
        self.register_buffer("f", torch.as_tensor(-c + self.eps))
        self._S = matrices.S


class ProjectedPDHG(_PFBAProblem):
    """PDHG / over-relaxed Douglas-Rachford with an exact steady-state projection (see :mod:`amn.layers.pdhg`).

    Iteration, per sample (``Pi`` = orthogonal projector onto ``{S V = 0}``,
    ``rho`` = ``proximal``, ``alpha`` = ``relaxation``)::

        x  = Pi((sigma (z - u) - f + rho V0) / (sigma + rho))
        xr = alpha x + (1 - alpha) z
        z  = clip(xr + u, lo, up)
        u  = u + xr - z

    Every ``adapt_every`` iterations ``sigma <- sigma sqrt(r_p / r_d)`` with
    the relative residuals ``r_p = |x - z| / max(|x|, |z|)`` and
    ``r_d = sigma |z - z_prev| / max(|sigma u|, |f|)`` (``u`` rescaled to keep
    the dual ``sigma u``).  ``sigma`` starts at ``sigma * |f| / |inputs|``
    per sample (objective over flux scale, so the default suits networks of
    any flux unit).  The output is ``x`` (``S V = 0`` to round-off;
    the bounds hold at convergence).  State: ``(z, u, sigma, V0)``.

    Parameters
    ----------
    matrices : NetworkMatrices or UnidirectionalNetwork
        The network (with its medium, or a network plus ``medium``).
    medium : sequence of str, optional
        Medium uptake ids, when ``matrices`` is a network.
    bound : {"UB", "EB"}
        Inputs are uptake upper bounds or exact uptakes.
    objective : bool or array_like
        True: the model's objective; None/False: none (learning mode); or a length-n ``c``.
    eps : float
        Weight of the total flux (pFBA's second objective).
    proximal : float, optional
        ``rho``, the weight of ``||V - V0||^2`` (default 0 with an objective, 1 without).
    iterations : int
        Steps of ``forward``.
    sigma : float
        Initial step ratio, relative to ``|f| / |inputs|``.
    relaxation : float
        ``alpha``, in ``(0, 2)``.
    adapt_every : int
        Iterations between ``sigma`` updates (0: never).
    checkpoint_every : int, optional
        Gradient-checkpointing block length.

    Raises
    ------
    ParameterError
        If a parameter is outside its domain.

    Examples
    --------
    >>> import torch, amn
    >>> from amn.layers import ProjectedPDHG
    >>> net = amn.make_unidirectional("textbook")
    >>> layer = ProjectedPDHG(net.matrices(medium=["EX_glc__D_e_i", "EX_o2_e_i"]), iterations=2000)
    >>> u = torch.tensor([[10.0, 20.0], [10.0, 0.0]], dtype=torch.float64)  # aerobic, anaerobic
    >>> V = layer(u)
    >>> (V @ layer.c).numpy().round(3)  # growth, as pFBA gives it
    array([0.833, 0.212])
    """

    def __init__(
        self,
        matrices: NetworkMatrices,
        medium: Sequence[str] | None = None,
        *,
        bound: str = "UB",
        objective=True,
        eps: float = 1e-4,
        proximal: float | None = None,
        iterations: int = 1000,
        sigma: float = 0.3,
        relaxation: float = 1.8,
        adapt_every: int = 100,
        checkpoint_every: int | None = None,
    ) -> None:
        super().__init__(matrices, medium, bound, objective, eps, proximal, iterations, checkpoint_every)
        if sigma <= 0 or not 0 < relaxation < 2 or adapt_every < 0:
            raise ParameterError(
                f"ProjectedPDHG: need sigma > 0, 0 < relaxation < 2 and adapt_every >= 0, "
                f"got {sigma}, {relaxation}, {adapt_every}"
            )
        self.sigma, self.relaxation, self.adapt_every = float(sigma), float(relaxation), int(adapt_every)
        S = sp.csr_matrix(self._S)
        S_r = S[independent_rows(S)]
        dense = S_r.toarray()
        Q = scipy.linalg.solve(dense @ dense.T, dense, assume_a="pos").T if len(dense) else np.zeros((self.n, 0))
        self.register_matrix("S_r", S_r)
        self.register_buffer("QT", torch.as_tensor(np.ascontiguousarray(Q.T)))

    def project(self, X: Tensor) -> Tensor:
        """Orthogonal projection of a batch (batch x n) onto ``{S V = 0}``."""
        return X - spmm(self.S_r, X) @ self.QT

    def _prepare(self, inputs: Tensor, keep: Tensor | None) -> State:
        return self.bounds(inputs, keep)

    def _init_state(self, ctx, inputs, V0, state0) -> State:
        lo, up = ctx
        anchor = torch.zeros_like(lo) if V0 is None else V0.to(lo)
        if state0 is not None:
            z, u, s = state0[:3]
            return z, u, s.detach(), anchor
        scale = (torch.linalg.vector_norm(self.f) + self.proximal) / _rownorm(inputs).clamp_min(1e-12)
        return _clip(anchor, lo, up), torch.zeros_like(lo), self.sigma * scale, anchor

    def _primal(self, z: Tensor, u: Tensor, s: Tensor, anchor: Tensor) -> Tensor:
        rho = self.proximal
        return self.project((s * (z - u) - self.f + rho * anchor) / (s + rho))

    def _step(self, ctx, state, t) -> State:
        lo, up = ctx
        z, u, s, anchor = state
        x = self._primal(z, u, s, anchor)
        xr = self.relaxation * x + (1 - self.relaxation) * z
        z_new = _clip(xr + u, lo, up)
        u = u + xr - z_new
        if self.adapt_every and (t + 1) % self.adapt_every == 0:
            with torch.no_grad():
                r_p = _rownorm(x - z_new) / torch.maximum(_rownorm(x), _rownorm(z_new)).clamp_min(_TINY)
                r_d = s * _rownorm(z_new - z) / torch.maximum(_rownorm(s * u), torch.linalg.vector_norm(self.f)).clamp_min(_TINY)
                ratio = torch.where((r_p > 0) & (r_d > 0), torch.sqrt(r_p / r_d.clamp_min(_TINY)), torch.ones_like(s))
            s_new = s * ratio.clamp(1e-3, 1e3)
            u = u * (s / s_new)
            s = s_new
        return z_new, u, s, anchor

    def _fluxes(self, ctx, state) -> Tensor:
        z, u, s, anchor = state
        return self._primal(z, u, s, anchor)


def _ruiz(K: sp.csr_matrix, iterations: int) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Ruiz inf-norm equilibration then Pock-Chambolle (alpha = 1): ``K_s = diag(dr) K diag(dc)``."""
    K = sp.csr_matrix(K, dtype=float)
    dr, dc = np.ones(K.shape[0]), np.ones(K.shape[1])

    def rescale(K, r, c):
        r[r == 0], c[c == 0] = 1.0, 1.0
        return sp.diags(1 / r) @ K @ sp.diags(1 / c), r, c

    for _ in range(iterations):
        A = abs(K)
        K, r, c = rescale(K, np.sqrt(A.max(axis=1).toarray().ravel()), np.sqrt(A.max(axis=0).toarray().ravel()))
        dr, dc = dr / r, dc / c
    A = abs(K)
    K, r, c = rescale(K, np.sqrt(np.asarray(A.sum(axis=1)).ravel()), np.sqrt(np.asarray(A.sum(axis=0)).ravel()))
    return sp.csr_matrix(K), dr / r, dc / c


class PDHG(_PFBAProblem):
    """PDLP-style restarted Halpern PDHG on ``K = S`` (see :mod:`amn.layers.pdhg`).

    In the preconditioned variables ``x = V / dc`` (``K = diag(dr) S diag(dc)``)
    one PDHG step ``T`` with ``tau = eta / w``, ``sigma = eta w``,
    ``eta = 0.99 / ||K||``, primal weight ``w``::

        x' = clip((x - tau (f - K^T y) + tau rho V0) / (1 + tau rho), lo, up)
        y' = y - sigma K (2 x' - x)

    and the reflected Halpern update ``z <- (k+1)/(k+2) (2 T(z) - z) + z_0 / (k+2)``.
    Restart (``z_0 <- T(z)``, ``k <- 0``) when the fixed-point residual
    ``r = |T(z) - z|_w`` falls below ``beta[0] r_0``, or below ``beta[1] r_0``
    while rising, or when ``k >= beta[2] t``; at a restart
    ``w <- exp(theta log(|dy| / |dx|) + (1 - theta) log w)``.
    ``w`` starts at ``primal_weight * |f| / |inputs|`` in the scaled
    variables (PDLP's ``|c| / |b|``; here ``b = 0`` and the scale of the
    fluxes comes from the medium).
    State: ``(x, y, x0, y0, xr, yr, k, r0, r_prev, w, V0)``.

    Parameters
    ----------
    matrices : NetworkMatrices or UnidirectionalNetwork
        The network (with its medium, or a network plus ``medium``).
    medium : sequence of str, optional
        Medium uptake ids, when ``matrices`` is a network.
    bound : {"UB", "EB"}
        Inputs are uptake upper bounds or exact uptakes.
    objective : bool or array_like
        True: the model's objective; None/False: none (learning mode); or a length-n ``c``.
    eps : float
        Weight of the total flux (pFBA's second objective).
    proximal : float, optional
        ``rho``, the weight of ``||V - V0||^2`` (default 0 with an objective, 1 without).
    iterations : int
        Steps of ``forward``.
    primal_weight : float
        Initial primal weight, relative to ``|f| / |inputs|``.
    theta : float
        Smoothing of the primal-weight updates, in ``[0, 1]``.
    restart : tuple of float
        ``beta``: the sufficient, necessary and artificial restart criteria.
    ruiz_iterations : int
        Ruiz equilibration passes.
    checkpoint_every : int, optional
        Gradient-checkpointing block length.

    Raises
    ------
    ParameterError
        If a parameter is outside its domain.

    Examples
    --------
    >>> import torch, amn
    >>> from amn.layers import PDHG
    >>> net = amn.make_unidirectional("textbook")
    >>> layer = PDHG(net.matrices(medium=["EX_glc__D_e_i", "EX_o2_e_i"]), iterations=1500)
    >>> V = layer(torch.tensor([[10.0, 20.0]], dtype=torch.float64))
    >>> round(float(V[0] @ layer.c), 2)  # pFBA: 0.833; PDHG needs more iterations than ProjectedPDHG
    0.83
    """

    def __init__(
        self,
        matrices: NetworkMatrices,
        medium: Sequence[str] | None = None,
        *,
        bound: str = "UB",
        objective=True,
        eps: float = 1e-4,
        proximal: float | None = None,
        iterations: int = 1000,
        primal_weight: float = 2.0,
        theta: float = 0.2,
        restart: tuple[float, float, float] = (0.2, 0.8, 0.1),
        ruiz_iterations: int = 10,
        checkpoint_every: int | None = None,
    ) -> None:
        super().__init__(matrices, medium, bound, objective, eps, proximal, iterations, checkpoint_every)
        if primal_weight <= 0 or not 0 <= theta <= 1 or len(restart) != 3:
            raise ParameterError(
                f"PDHG: need primal_weight > 0, 0 <= theta <= 1 and three restart parameters, "
                f"got {primal_weight}, {theta}, {restart}"
            )
        self.primal_weight, self.theta, self.restart = float(primal_weight), float(theta), tuple(map(float, restart))
        self.ruiz_iterations = int(ruiz_iterations)
        K, _, dc = _ruiz(self._S, self.ruiz_iterations)
        self.eta = 0.99 / max(spectral_norm(K), _TINY)
        self.register_matrix("K", K)
        self.register_matrix("Kt", K.T)
        self.register_buffer("dc", torch.as_tensor(dc))

    def _prepare(self, inputs: Tensor, keep: Tensor | None) -> State:
        lo, up = self.bounds(inputs, keep)
        return lo / self.dc, up / self.dc

    def _operator(self, ctx, x, y, w, anchor) -> tuple[Tensor, Tensor]:
        lo, up = ctx
        tau, sig, rho = self.eta / w, self.eta * w, self.proximal
        g = self.f * self.dc - spmm(self.Kt, y)
        x_new = _clip((x - tau * g + tau * rho * anchor) / (1 + tau * rho), lo, up)
        return x_new, y - sig * spmm(self.K, 2 * x_new - x)

    @staticmethod
    def _residual(x, y, x_new, y_new, w) -> Tensor:
        return torch.sqrt(w * _rownorm(x_new - x) ** 2 + _rownorm(y_new - y) ** 2 / w).detach()

    def _init_state(self, ctx, inputs, V0, state0) -> State:
        lo, up = ctx
        anchor = torch.zeros_like(lo) if V0 is None else V0.to(lo) / self.dc
        if state0 is not None:
            return tuple(state0[:10]) + (anchor,)
        x = _clip(anchor, lo, up)
        y = torch.zeros(lo.shape[0], self.K.shape[0], dtype=lo.dtype, device=lo.device)
        scale = torch.linalg.vector_norm(self.f * self.dc) + self.proximal
        w = self.primal_weight * scale / _rownorm(inputs / self.dc[self.medium_index]).clamp_min(1e-12)
        x1, y1 = self._operator(ctx, x, y, w, anchor)
        r0 = self._residual(x, y, x1, y1, w)
        k = torch.zeros_like(w)
        return x, y, x, y, x, y, k, r0, r0, w, anchor

    def _step(self, ctx, state, t) -> State:
        x, y, x0, y0, xr, yr, k, r0, r_prev, w, anchor = state
        beta1, beta2, beta3 = self.restart
        xn, yn = self._operator(ctx, x, y, w, anchor)
        r = self._residual(x, y, xn, yn, w)
        restart = (r <= beta1 * r0) | ((r <= beta2 * r0) & (r > r_prev)) | (k >= beta3 * (t + 1))
        xh = (k + 1) / (k + 2) * (2 * xn - x) + x0 / (k + 2)
        yh = (k + 1) / (k + 2) * (2 * yn - y) + y0 / (k + 2)
        with torch.no_grad():
            dx, dy = _rownorm(xn - xr), _rownorm(yn - yr)
            ok = restart & (dx > 1e-10) & (dy > 1e-10)
            log_step = self.theta * (torch.log(dy / dx.clamp_min(_TINY)) - torch.log(w))
            factor = torch.where(ok, torch.exp(log_step), torch.ones_like(w))
        w_new = w * factor
        x, y = torch.where(restart, xn, xh), torch.where(restart, yn, yh)
        x0, y0 = torch.where(restart, xn, x0), torch.where(restart, yn, y0)
        xr, yr = torch.where(restart, xn, xr), torch.where(restart, yn, yr)
        k = torch.where(restart, torch.zeros_like(k), k + 1)
        if bool(restart.any()):
            x1, y1 = self._operator(ctx, x, y, w_new, anchor)
            r_restart = self._residual(x, y, x1, y1, w_new)
            r0 = torch.where(restart, r_restart, r0)
            r = torch.where(restart, r_restart, r)
        return x, y, x0, y0, xr, yr, k, r0, r, w_new, anchor

    def _fluxes(self, ctx, state) -> Tensor:
        return state[0] * self.dc
