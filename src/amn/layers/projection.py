"""Weighted projection onto the steady-state flux polytope, exact and differentiable.

Net fluxes ``v`` of the original reactions of a network (one per reaction, either sign, the orientation
of the model: what 13C-MFA tables report) solve, per sample,

    min_v  1/2 v' H v - q' v   s.t.   S v = 0,   l <= v <= u

with ``H = diag(h)`` positive and per-sample bounds ``l``, ``u`` (``l = u`` fixes a flux: a measured input,
or 0 for a knocked-out reaction).  With ``q = H p`` it is the ``H``-weighted projection of a prior ``p``
onto the polytope.  The solution is found in two steps:

1. batched semismooth Newton on the dual (no gradient): ``v(mu) = clip(H^-1 (q - S' mu), l, u)``, one
   ``r x r`` solve per iteration and sample; it identifies the active bounds;
2. polish (differentiable): on that active set, the equality-constrained least squares is solved in
   closed form (KKT system, Schur complement, ``torch.linalg``), fixed fluxes are set exactly,
   and a free flux found outside its bounds joins the active set for another polish.

The output satisfies the fixed values and bounds exactly and ``S v = 0`` to round-off when the
problem is feasible (an infeasible row, fixed values that the network cannot balance, gets a small
imbalance instead of no answer); its gradient with respect to ``q`` (and ``h``) is the exact derivative of the
projection for the active set found (piecewise affine in ``q``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from amn.network.matrices import fba_arrays, independent_rows


@dataclass(frozen=True)
class NetArrays:
    """The net (original-reaction) form of a unidirectional network.

    Attributes
    ----------
    reaction_ids : list of str
        Original reaction ids (the network's ``original_ids``), the columns of ``S``.
    S : numpy.ndarray
        Linearly independent rows of the stoichiometry of the original reactions (r x n).
    lower, upper : numpy.ndarray
        Net bounds of each reaction (n).
    part_reaction, part_sign : numpy.ndarray
        For each unidirectional reaction (column of the network), its original reaction and the sign
        of its flux in the net flux (``_for``: +1, ``_rev``: -1, exchanges ``_i``/``_o`` as recombined).
    """

    reaction_ids: list[str]
    S: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    part_reaction: np.ndarray
    part_sign: np.ndarray

    @classmethod
    def from_network(cls, network) -> NetArrays:
        """Net arrays of a :class:`~amn.network.UnidirectionalNetwork` (bounds read from its model now)."""
        arrays = fba_arrays(network)
        rec = sp.csc_matrix(network.recombination)
        part_reaction = rec.indices[rec.indptr[:-1]]  # every unidirectional column belongs to one reaction
        part_sign = rec.data[rec.indptr[:-1]]
        n = len(network.original_ids)
        first = np.full(n, -1)
        for j in range(len(part_reaction) - 1, -1, -1):
            first[part_reaction[j]] = j
        S_uni = arrays.S.tocsc()
        S = (S_uni[:, first] @ sp.diags(part_sign[first])).tocsr()
        lower, upper = np.zeros(n), np.zeros(n)
        for j, (i, s) in enumerate(zip(part_reaction, part_sign)):  # net = sum of sign * part, parts >= 0
            lower[i] += arrays.lower[j] if s > 0 else -arrays.upper[j]
            upper[i] += arrays.upper[j] if s > 0 else -arrays.lower[j]
        rows = independent_rows(S)
        return cls(list(network.original_ids), S[rows].toarray(), lower, upper, part_reaction, part_sign)

    def removed_bounds(self, lower: np.ndarray, upper: np.ndarray, removed: np.ndarray) -> None:
        """Close, in place, the directions of the removed unidirectional columns ``removed`` (a sample's
        bounds ``lower``, ``upper`` over reactions): a removed ``_for`` part caps the net flux at 0, a removed
        ``_rev`` part floors it at 0, both fix it at 0."""
        for j in removed:
            i = self.part_reaction[j]
            if self.part_sign[j] > 0:
                upper[i] = min(upper[i], 0.0)
                lower[i] = min(lower[i], upper[i])
            else:
                lower[i] = max(lower[i], 0.0)
                upper[i] = max(upper[i], lower[i])


class SteadyStateProjection(torch.nn.Module):
    """``(q, h, lower, upper) -> v``: the weighted projection onto ``{S v = 0, lower <= v <= upper}``.

    Parameters
    ----------
    S : array-like
        Stoichiometry with linearly independent rows (r x n), e.g. :attr:`NetArrays.S`.
    iterations : int, default 100
        Newton iterations on the dual (they find the active set; the polish makes the answer exact).
    polish_rounds : int, default 6
        Times a free flux outside its bounds may be added to the active set.
    tol : float, default 1e-7
        A flux this close (relative to its scale) to a bound is taken as at the bound.
    Examples
    --------
    >>> import numpy as np, torch
    >>> layer = SteadyStateProjection(np.array([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0]]))  # a chain: all equal
    >>> h = torch.ones(3, dtype=torch.float64); lo = torch.zeros(1, 3, dtype=torch.float64)
    >>> v = layer(torch.tensor([[1.0, 2.0, 6.0]], dtype=torch.float64), h, lo, 10 + lo)
    >>> v.numpy().round(6).tolist()
    [[3.0, 3.0, 3.0]]
    """

    def __init__(self, S, iterations: int = 100, polish_rounds: int = 6, tol: float = 1e-7) -> None:
        super().__init__()
        self.register_buffer("S", torch.as_tensor(np.asarray(S, dtype=float)))
        self.iterations = iterations
        self.polish_rounds = polish_rounds
        self.tol = tol

    def _dual(self, q: Tensor, h: Tensor, lower: Tensor, upper: Tensor, mu: Tensor | None = None,
              frozen: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Approximate solution inside the bounds (no gradient): semismooth Newton on the dual.

        The dual function ``D(mu) = min_{l<=v<=u} 1/2 v'Hv - q'v + mu'S v`` is concave and piecewise
        quadratic, maximised where ``S v(mu) = 0`` with ``v(mu) = clip(H^-1 (q - S' mu), l, u)``; its generalized
        Hessian is ``-S_F H_F^-1 S_F'`` over the free fluxes (damped).  Newton steps with Armijo backtracking,
        each sample until its balance residual is below ``1e-10`` of its scale (only the unfinished ones are
        computed); a row whose residual has not fallen by 10% in 25 steps is infeasible and left as it is.
        """
        S = self.S
        r = S.shape[0]
        eye = torch.eye(r, dtype=q.dtype, device=q.device)

        def primal(mu, k):
            return torch.clamp((q[k] - mu @ S) / h, lower[k], upper[k])

        def dual(mu, v, k):
            return (0.5 * h * v * v - q[k] * v).sum(1) + ((v @ S.T) * mu).sum(1)

        all_rows = torch.arange(q.shape[0], device=q.device)
        if mu is None or mu.shape != (q.shape[0], r):
            mu = torch.zeros(q.shape[0], r, dtype=q.dtype, device=q.device)
        mu = mu.clone()
        v = primal(mu, all_rows)
        scale = torch.clamp(q.abs().amax(1) / h.min(), min=1.0)
        self.iterations_ = 0
        best = torch.full((q.shape[0],), float("inf"), dtype=q.dtype, device=q.device)
        stalled = torch.zeros(q.shape[0], dtype=torch.long, device=q.device)
        if frozen is not None and frozen.shape == stalled.shape:
            stalled[frozen] = 25  # infeasible in an earlier call with the same bounds
        for _ in range(self.iterations):
            grad_all = v @ S.T
            residual = grad_all.abs().amax(1)
            stalled = torch.where(residual < 0.9 * best, torch.zeros_like(stalled), stalled + 1)
            best = torch.minimum(best, residual)
            k = all_rows[(residual > 1e-10 * scale) & (stalled < 25)]  # stalled 25 steps: infeasible, left as is
            if not len(k):
                break
            self.iterations_ += 1
            m, grad, vk = mu[k], grad_all[k], v[k]
            value = dual(m, vk, k)
            raw = (q[k] - m @ S) / h
            free = ((raw > lower[k]) & (raw < upper[k])).to(q.dtype) / h
            hess = (S * free[:, None, :]) @ S.T
            damp = 1e-10 * torch.diagonal(hess, dim1=1, dim2=2).amax(1).clamp(min=1e-12) + 1e-14
            step = torch.linalg.solve(hess + damp[:, None, None] * eye, grad.unsqueeze(-1)).squeeze(-1)
            t = torch.ones(len(k), dtype=q.dtype, device=q.device)
            slope = (grad * step).sum(1)
            for _ in range(30):  # backtracking: accept where the dual rises enough
                trial = m + t[:, None] * step
                v_trial = primal(trial, k)
                ok = dual(trial, v_trial, k) >= value + 1e-4 * t * slope - 1e-13 * value.abs().clamp(min=1.0)
                if bool(ok.all()):
                    break
                t = torch.where(ok, t, 0.5 * t)
            mu[k], v[k] = trial, v_trial
        self.last_stalled_ = stalled >= 25
        return v, mu

    def _polish(self, q: Tensor, h: Tensor, active: Tensor, value: Tensor) -> Tensor:
        """min 1/2 v'Hv - q'v s.t. S v = 0, v[active] = value[active]: closed form, batched, differentiable."""
        S = self.S
        free = (~active).to(q.dtype)
        fixed = torch.where(active, value, torch.zeros_like(value))
        inv_h = free / h  # H_F^-1 on the free fluxes, 0 on the fixed ones
        # Schur complement (S_F H_F^-1 S_F' + delta) mu = S_F H_F^-1 q_F + S v_fixed; v_F = H_F^-1 (q_F - S_F' mu)
        schur = (S * inv_h[:, None, :]) @ S.T
        scale = torch.diagonal(schur, dim1=1, dim2=2).amax(dim=1).clamp(min=1e-300)
        rhs = ((inv_h * q) @ S.T + fixed @ S.T).unsqueeze(-1)
        exact = schur.clone()
        schur = schur + (1e-12 * scale)[:, None, None] * torch.eye(S.shape[0], dtype=q.dtype, device=q.device)
        factor = torch.linalg.cholesky(schur)
        mu = torch.cholesky_solve(rhs, factor)
        for _ in range(3):  # iterative refinement: the solution of the unregularised system where it is consistent
            mu = mu + torch.cholesky_solve(rhs - exact @ mu, factor)
        mu = mu.squeeze(-1)
        v_free = inv_h * (q - mu @ S)
        return torch.where(active, value, v_free)

    def forward(self, q: Tensor, h: Tensor, lower: Tensor, upper: Tensor, warm: Tensor | None = None,
                frozen: Tensor | None = None) -> Tensor:
        """Solve a batch.

        Parameters
        ----------
        q : Tensor, shape (batch, n)
            Linear term (``H p`` for the projection of a prior ``p``).
        h : Tensor, shape (n,)
            Positive weights (the diagonal of ``H``).
        lower, upper : Tensor, shape (batch, n)
            Bounds; equal bounds fix a flux exactly.
        warm : Tensor, shape (batch, r), optional
            Dual start (e.g. :attr:`last_dual_` of the previous call on the same samples).
        frozen : Tensor of bool, shape (batch,), optional
            Rows found infeasible by an earlier call with the same bounds (:attr:`last_stalled_`): not iterated.

        Returns
        -------
        Tensor, shape (batch, n)
        """
        with torch.no_grad():
            z, self.last_dual_ = self._dual(q.detach(), h.detach(), lower, upper, warm, frozen)
        span = (upper - lower).abs().clamp(max=1e3)
        tol = self.tol * torch.clamp(torch.maximum(z.abs(), span), min=1.0)
        active = (lower == upper) | (z <= lower + tol) | (z >= upper - tol)
        value = torch.where(z >= upper - tol, upper, lower)
        value = torch.where(lower == upper, lower, value)
        v = self._polish(q, h, active, value)
        for _ in range(self.polish_rounds):
            with torch.no_grad():
                slack = 1e-9 * torch.clamp(v.abs(), min=1.0)
                below, above = v < lower - slack, v > upper + slack
                if not bool((below | above).any()):
                    break
                active = active | below | above
                value = torch.where(below, lower, torch.where(above, upper, value))
            v = self._polish(q, h, active, value)
        return v
