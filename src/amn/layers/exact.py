"""Exact FBA / pFBA as a layer: HiGHS in the forward pass, LP/QP sensitivities in the backward pass.

Each sample of a batch of medium inputs is solved exactly (no unrolled
iterations) and the backward pass differentiates the optimum itself:

- ``fba``: ``max c.v  s.t.  S v = 0, lb <= v <= ub(u)``.  At an optimal basis
  the nonbasic variables sit at their bounds and the basic ones follow,
  ``x_B = -B^-1 N x_N``; so ``dx/du`` is ``e_k - B^-1 A_k`` for an uptake ``k``
  nonbasic at its bound ``u_k`` and zero for the others.  The gradient of the
  growth ``c.x`` is the reduced cost of the uptake bound (its LP dual).
- ``pfba``: the same for the second LP (``min sum v`` with ``c.v >= growth``),
  whose growth row moves with ``u`` through the first LP's dual.
- ``qp``: the strongly convex, regularised pFBA
  ``min sum v + (gamma/2)||v||^2  s.t.  S v = 0, c.v = growth(u), lb <= v <= ub(u)``:
  a unique optimum, found by a primal active-set method started at the pFBA
  vertex and differentiated through the KKT system of its active set: on the
  free columns F, ``v_F = A_F^+ (b - A_N v_N) + const`` with ``A = [S; c]``,
  ``b = (0, growth)``.  For small ``gamma`` it is the least-norm pFBA optimum
  (exact regularisation of LPs), so it picks one pFBA flux vector where pFBA has
  many.  (HiGHS's own QP solver stops with "Solve error" on most of these
  problems, hence our own; its dense linear algebra suits core-sized networks.)

The derivatives are exact where the basis (LP) or the active set (QP) is
non-degenerate and does not change near ``u``.  At a degenerate vertex
(a kink: two bounds limit the optimum at once, or a basic variable at a bound)
the outputs are only piecewise linear and have no gradient; the one returned is
that of the basis (active set) the solver stops at, which is optimal on one side
of ``u``: a one-sided derivative, which one depending on the warm start.  For
the growth it is a supergradient of the concave optimal value (between the
right and the left derivative).  For ``fba`` the optimal fluxes need not be
unique; their gradient is that of the vertex returned.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor, nn

from amn.errors import ParameterError
from amn.layers._sensitivity import AT_UPPER, BASIC, _basis_vjp, _RegularisedPFBA
from amn.layers.inputs import as_matrices, check_bound
from amn.network.matrices import NetworkMatrices
from amn.solve.highs import HighsLP

METHODS = ("fba", "pfba", "qp")


def _target(growth: float, maximize: bool) -> tuple[float, float]:
    """pFBA's bound on the growth row, a hair below the FBA optimum as in
    :class:`~amn.solve.pfba.HighsLabeler`, and its derivative with respect to the optimum."""
    sign = 1.0 if maximize else -1.0
    slack = 1e-9 * max(1.0, abs(growth))
    return growth - sign * slack, 1.0 - sign * 1e-9 * np.sign(growth) * (abs(growth) > 1)


@dataclass
class _Record:
    """What the backward pass needs of one solved sample."""

    basis1: tuple[np.ndarray, np.ndarray]
    active1: np.ndarray  # medium inputs whose bound is the value of a nonbasic column (FBA LP)
    growth: float
    basis2: tuple[np.ndarray, np.ndarray] | None = None  # pFBA LP
    free: np.ndarray | None = None  # QP free set
    active2: np.ndarray | None = None  # medium inputs at their bound in the second stage


class ExactFBA(nn.Module):
    """FBA, pFBA or regularised pFBA solved exactly per sample, with exact gradients w.r.t. the medium.

    Inputs: batch x n_in uptake upper bounds (``bound="UB"``, other model uptakes closed) or exact
    uptake fluxes (``"EB"``); output: batch x n fluxes in the input's dtype and device (solved on
    the CPU in float64).  Infeasible samples give NaN rows (with a warning) and zero gradients.
    ``knockout`` (batch x n, bool or 0/1): fluxes removed per sample, solved with bounds 0
    (a knocked-out medium column has no gradient).  The gradients are described in :mod:`amn.layers.exact`.

    Parameters
    ----------
    matrices : NetworkMatrices or UnidirectionalNetwork
        The network (with its medium, or a network plus ``medium``).
    medium : sequence of str, optional
        Medium uptake ids, when ``matrices`` is a network.
    method : {"fba", "pfba", "qp"}
        FBA, pFBA, or pFBA regularised by ``(gamma / 2) ||v||^2`` (a unique optimum).
    bound : {"UB", "EB"}
        Inputs are uptake upper bounds or exact uptakes.
    gamma : float
        Regularisation of ``"qp"``, > 0.

    Raises
    ------
    ParameterError
        If ``method``, ``bound`` or ``gamma`` is outside its domain.

    Examples
    --------
    >>> import torch, amn
    >>> from amn.layers import ExactFBA
    >>> net = amn.make_unidirectional("textbook")
    >>> layer = ExactFBA(net.matrices(medium=["EX_glc__D_e_i", "EX_o2_e_i", "EX_nh4_e_i", "EX_pi_e_i"]))
    >>> u = torch.tensor([[10.0, 20.0, 10.0, 10.0]], dtype=torch.float64, requires_grad=True)
    >>> growth = layer.growth(u)
    >>> round(growth.item(), 4)
    0.8326
    >>> growth.sum().backward()
    >>> u.grad.numpy().round(3)  # the LP duals: glucose and oxygen limit growth
    array([[0.046, 0.023, 0.   , 0.   ]])
    """

    def __init__(
        self,
        matrices: NetworkMatrices,
        medium: Sequence[str] | None = None,
        *,
        method: str = "pfba",
        bound: str = "UB",
        gamma: float = 1e-3,
    ) -> None:
        super().__init__()
        matrices = as_matrices(matrices, medium)
        if method not in METHODS:
            raise ParameterError(f"ExactFBA: method must be one of {', '.join(METHODS)}, got {method!r}")
        if not gamma > 0:
            raise ParameterError(f"ExactFBA: gamma must be > 0, got {gamma}")
        self.method, self.bound, self.gamma = method, check_bound(bound), float(gamma)
        self.reaction_ids, self.medium = list(matrices.reaction_ids), list(matrices.medium)
        self.n, self.n_in = len(self.reaction_ids), len(self.medium)
        network = matrices.network
        self.maximize = network.model.objective_direction == "max"
        S = sp.csc_matrix(matrices.S, dtype=float)
        m = S.shape[0]
        self.S, self.columns, self.c = S, np.asarray(matrices.medium_index), matrices.objective.astype(float)
        lower, upper = matrices.lower.astype(float), matrices.upper.astype(float)
        upper[network.index(network.uptake_ids)] = 0.0  # uptakes outside the medium are closed
        lower[network.index(network.uptake_ids)] = 0.0
        self.lower, self.upper = lower, upper
        self.register_buffer("objective", torch.as_tensor(self.c))
        self.lp1 = HighsLP(S, lower, upper, self.c, maximize=self.maximize)
        self.A2 = sp.vstack([S, sp.csr_matrix(self.c)], format="csc")
        if method != "fba":
            self.lp2 = HighsLP(
                self.A2, lower, upper, np.ones(self.n), maximize=False,
                row_lower=np.r_[np.zeros(m), -np.inf], row_upper=np.r_[np.zeros(m), np.inf],
            )
        if method == "qp":
            self.qp = _RegularisedPFBA(self.A2, np.ones(self.n), self.gamma)

    # -- forward --------------------------------------------------------------
    def _medium_lower(self, u: np.ndarray) -> np.ndarray:
        return u if self.bound == "EB" else np.zeros_like(u)

    def _active(self, col: np.ndarray, dual: np.ndarray, u: np.ndarray, maximize: bool) -> np.ndarray:
        """Medium inputs that are the value of their (nonbasic) column.

        UB: the column is at its upper bound; a closed uptake (``u = 0``, lower = upper) counts
        when opening it would improve the objective (its reduced cost), i.e. the right derivative.
        """
        status = col[self.columns]
        if self.bound == "EB":
            return status != BASIC
        improving = dual[self.columns] * (1.0 if maximize else -1.0) > 0
        return (status == AT_UPPER) | ((u <= 0) & (status != BASIC) & improving)

    def _lps(self) -> list[HighsLP]:
        return [self.lp1] + ([self.lp2] if self.method != "fba" else [])

    def _solve(self, u: np.ndarray, off: np.ndarray) -> tuple[np.ndarray, _Record | str]:
        """One sample with the columns ``off`` knocked out (their bounds back to the network's after)."""
        lo_u = self._medium_lower(u)
        for lp in self._lps():
            lp.set_bounds(self.columns, lo_u, u)
            lp.set_bounds(off, np.zeros(len(off)), np.zeros(len(off)))
        try:
            V, record = self._solve_set(u, off)
        finally:
            for lp in self._lps():
                lp.set_bounds(off, self.lower[off], self.upper[off])
        if not isinstance(record, str):
            on = ~np.isin(self.columns, off)
            record.active1 &= on
            if record.active2 is not None:
                record.active2 &= on
        return V, record

    def _solve_set(self, u: np.ndarray, off: np.ndarray) -> tuple[np.ndarray, _Record | str]:
        """One sample on LPs whose bounds are set (medium and knockouts)."""
        lo_u = self._medium_lower(u)
        first = self.lp1.solve()
        if not first.optimal:
            return first.x, first.status
        basis1 = self.lp1.basis()
        record = _Record(basis1, self._active(basis1[0], self.lp1.duals()[0], u, self.maximize), first.objective)
        if self.method == "fba":
            return first.x, record
        target, _ = _target(first.objective, self.maximize)
        if self.maximize:
            self.lp2.set_row_bounds(self.S.shape[0], target, np.inf)
        else:
            self.lp2.set_row_bounds(self.S.shape[0], -np.inf, target)
        second = self.lp2.solve()
        if not second.optimal:
            return second.x, f"pfba {second.status}"
        if self.method == "pfba":
            record.basis2 = self.lp2.basis()
            record.active2 = self._active(record.basis2[0], self.lp2.duals()[0], u, False)
            return second.x, record
        lo, up = self.lower.copy(), self.upper.copy()
        lo[self.columns], up[self.columns] = lo_u, u
        lo[off], up[off] = 0.0, 0.0
        solved = self.qp.solve(second.x, np.r_[np.zeros(self.S.shape[0]), target], lo, up)
        if solved is None:
            return np.full(self.n, np.nan), "qp active set cycling"
        v, record.free, lam = solved
        if self.bound == "EB":
            record.active2 = ~record.free[self.columns]
        else:  # at the upper bound, or closed (u = 0) with a multiplier that asks to open it
            record.active2 = ~record.free[self.columns] & np.where(u > 0, v[self.columns] >= u, lam[self.columns] < 0)
        return v, record

    def solve(self, inputs: np.ndarray, knockout: np.ndarray | None = None) -> tuple[np.ndarray, list[_Record | str]]:
        """Solve each sample, without autograd.

        Parameters
        ----------
        inputs : array_like
            batch x n_in medium inputs.
        knockout : array_like, optional
            batch x n mask of removed fluxes.

        Returns
        -------
        fluxes : numpy.ndarray
            batch x n, float64 (NaN rows for samples without an optimum).
        records : list
            Per sample, what the backward pass needs, or a status string when not optimal.

        Raises
        ------
        ValueError
            If the knockout mask is not batch x n.
        """
        inputs = np.atleast_2d(np.asarray(inputs, dtype=float))
        knockout = np.zeros((len(inputs), self.n), dtype=bool) if knockout is None else np.asarray(knockout) != 0
        if knockout.shape != (len(inputs), self.n):
            raise ValueError(f"ExactFBA: knockout mask must be batch x {self.n}, got {knockout.shape}")
        out = np.empty((len(inputs), self.n))
        records = []
        for i, u in enumerate(inputs):
            out[i], record = self._solve(u, np.flatnonzero(knockout[i]))
            records.append(record)
        failed = [r for r in records if isinstance(r, str)]
        if failed:
            warnings.warn(
                f"ExactFBA: {len(failed)} of {len(records)} samples have no optimum ({failed[0]}): "
                "their fluxes are NaN and their gradients zero", RuntimeWarning, stacklevel=2,
            )
        return out, records

    # -- backward -------------------------------------------------------------
    def _growth_gradient(self, record: _Record) -> np.ndarray:
        """d growth / d inputs: the reduced costs of the medium columns at the FBA basis."""
        g_col, _ = _basis_vjp(self.S, *record.basis1, self.c)
        return np.where(record.active1, g_col[self.columns], 0.0)

    def vjp(self, record: _Record, g: np.ndarray) -> np.ndarray:
        """``g^T dV/du`` (n_in) for one solved sample and an output gradient ``g`` (n)."""
        if self.method == "fba":
            g_col, _ = _basis_vjp(self.S, *record.basis1, g)
            return np.where(record.active1, g_col[self.columns], 0.0)
        if self.method == "pfba":
            g_col, g_row = _basis_vjp(self.A2, *record.basis2, g)
        else:
            g_col, g_row = self.qp.vjp(record.free, g)
        g_target = g_row[-1] * _target(record.growth, self.maximize)[1]
        return np.where(record.active2, g_col[self.columns], 0.0) + g_target * self._growth_gradient(record)

    def _check(self, inputs: Tensor) -> Tensor:
        if not isinstance(inputs, Tensor):
            inputs = torch.as_tensor(np.asarray(inputs), dtype=torch.float64)
        if inputs.dim() != 2 or inputs.shape[1] != self.n_in:
            raise ValueError(
                f"ExactFBA: medium input must be batch x {self.n_in} "
                f"({', '.join(self.medium[:3])}{', ...' if self.n_in > 3 else ''}), got shape {tuple(inputs.shape)}"
            )
        if not inputs.is_floating_point():
            raise ValueError(f"ExactFBA: medium input must be float32 or float64, got {inputs.dtype}")
        return inputs

    def forward(self, inputs: Tensor, knockout: Tensor | None = None) -> Tensor:
        """Optimal fluxes of each sample, differentiable with respect to ``inputs``.

        Parameters
        ----------
        inputs : Tensor
            batch x n_in medium inputs, float32 or float64.
        knockout : Tensor, optional
            batch x n mask of removed fluxes.

        Returns
        -------
        Tensor
            batch x n, in the dtype and device of ``inputs``.

        Raises
        ------
        ValueError
            If ``inputs`` is not a batch x n_in floating-point tensor.
        """
        mask = None if knockout is None else torch.as_tensor(knockout).detach().cpu().numpy()
        return _ExactFunction.apply(self._check(inputs), self, mask)

    def growth(self, inputs: Tensor, knockout: Tensor | None = None) -> Tensor:
        """The objective value ``c.V`` of each sample (shape (batch,)), differentiable (gradient = LP duals).

        The arguments are those of :meth:`forward`.
        """
        V = self(inputs, knockout)
        return V @ self.objective.to(dtype=V.dtype, device=V.device)

    def extra_repr(self) -> str:
        return f"n={self.n}, n_in={self.n_in}, method={self.method!r}, bound={self.bound!r}, gamma={self.gamma:g}"


class _ExactFunction(torch.autograd.Function):
    """HiGHS forward, sensitivity backward (no double backward: the outputs are piecewise linear)."""

    @staticmethod
    def forward(ctx, inputs: Tensor, layer: ExactFBA, knockout: np.ndarray | None) -> Tensor:
        V, records = layer.solve(inputs.detach().cpu().double().numpy(), knockout)
        ctx.layer, ctx.records = layer, records
        return torch.as_tensor(V, dtype=inputs.dtype, device=inputs.device)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None, None]:
        g = grad.detach().cpu().double().numpy()
        out = np.zeros((len(g), ctx.layer.n_in))
        for i, record in enumerate(ctx.records):
            if not isinstance(record, str) and np.any(g[i]):
                out[i] = ctx.layer.vjp(record, g[i])
        return torch.as_tensor(out, dtype=grad.dtype, device=grad.device), None, None
