"""AMN-QP: gradient descent with momentum on the constraint violations (Faure et al. 2023), unrolled."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from amn.errors import ParameterError
from amn.layers.base import State, UnrolledLayer, is_dense, spectral_norm, spmm
from amn.layers.inputs import as_matrices, check_bound, objective_vector
from amn.network.matrices import NetworkMatrices


class QP(UnrolledLayer):
    """Gradient descent with momentum on a penalty loss; uptakes as bounds (``UB``) or exact (``EB``).

    Loss per sample::

        L(V) = ||S V||^2 + ||ReLU(Pin V - Vin)||^2        (UB; EB: uptakes held at Vin)
             + ||ReLU(lo - V)||^2 + ||ReLU(V - up)||^2     (lo = 0 or the model's lower bound;
                                                             up only for capped/closed reactions)
             + ||Pout V - Vout||^2                         (when targets Vout are given)
             - w c.V                                       (solver mode, w = objective_weight)

    and ``D <- momentum D - lr grad L``, ``V <- V + D`` (the gradient is
    written out, as in the published layer, so each step costs two sparse
    mat-vecs).  The published ``||ReLU(-V)||`` is generalised to the model's
    lower bounds (e.g. the ATP maintenance).  A penalty method: with ``w > 0``
    the constraints are met only up to ``O(w)``.  State: ``(V, D)``.

    Parameters
    ----------
    matrices : NetworkMatrices or UnidirectionalNetwork
        The network (with its medium, or a network plus ``medium``).
    medium : sequence of str, optional
        Medium uptake ids, when ``matrices`` is a network.
    bound : {"UB", "EB"}
        Inputs are uptake upper bounds or exact uptakes.
    objective : bool or array_like
        True: the model's objective (solver mode); None/False: none (learning mode); or a length-n ``c``.
    objective_weight : float
        ``w``, the weight of ``-c.V`` in the loss.
    lr : float, optional
        Step size; default ``1 / (2 ||S||^2 + 2)``, the inverse Lipschitz constant of the quadratic part.
    momentum : float
        In ``[0, 1)``.
    precondition : bool
        Per-reaction steps ``1 / (2 sum_k |S^T S|_jk + 2)`` (Jacobi with a Gershgorin
        bound, so still stable) instead of ``lr``: reactions outside the biomass column
        move much faster.
    iterations : int
        Steps of ``forward``.
    checkpoint_every : int, optional
        Gradient-checkpointing block length.

    Raises
    ------
    ParameterError
        If ``bound``, ``momentum`` or ``lr`` is outside its domain.

    Examples
    --------
    Learning mode: the layer refines a flux guess ``V0`` towards a steady state
    that uses at most the given uptakes.

    >>> import torch, amn
    >>> from amn.layers import QP
    >>> net = amn.make_unidirectional("textbook")
    >>> layer = QP(net.matrices(medium=["EX_glc__D_e_i", "EX_o2_e_i"]), objective=None, iterations=200)
    >>> u = torch.tensor([[10.0, 20.0]], dtype=torch.float64)
    >>> V0 = torch.rand(1, layer.n, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    >>> V = layer(u, V0)
    >>> V.shape
    torch.Size([1, 154])
    >>> bool(layer.gradient(V, u).norm() < layer.gradient(V0, u).norm())  # closer to the constraints
    True
    """

    def __init__(
        self,
        matrices: NetworkMatrices,
        medium: Sequence[str] | None = None,
        *,
        bound: str = "UB",
        objective=True,
        objective_weight: float = 1e-3,
        lr: float | None = None,
        momentum: float = 0.9,
        precondition: bool = True,
        iterations: int = 1000,
        checkpoint_every: int | None = None,
    ) -> None:
        matrices = as_matrices(matrices, medium)
        super().__init__(matrices, iterations, checkpoint_every)
        self.bound = check_bound(bound)
        if not 0 <= momentum < 1 or (lr is not None and lr <= 0):
            raise ParameterError(f"QP: need 0 <= momentum < 1 and lr > 0, got momentum={momentum}, lr={lr}")
        self.objective_weight, self.momentum = float(objective_weight), float(momentum)
        self.lr = float(lr) if lr is not None else 1.0 / (2 * spectral_norm(matrices.S) ** 2 + 2)
        self.precondition = bool(precondition)
        StS = sp.csr_matrix(matrices.S.T @ matrices.S)
        step = 1.0 / (2 * np.asarray(abs(StS).sum(axis=1)).ravel() + 2) if precondition else np.full(self.n, self.lr)
        c = objective_vector(matrices, objective)
        default = np.max(np.abs(np.concatenate([matrices.upper, matrices.lower])))
        capped = (matrices.upper < default).astype(float)
        capped[matrices.medium_index] = 0.0
        self.register_matrix("S", matrices.S)
        if is_dense(StS.shape):
            self.register_matrix("StS", StS)
        else:  # S^T S is far denser than S (the biomass column couples ~100 metabolites): apply S^T (S V)
            self.StS = None
        self.register_buffer("step", torch.as_tensor(step))
        self.register_matrix("Pout", matrices.Pout)
        self.register_buffer("Pout_index", torch.as_tensor(matrices.measured_index, dtype=torch.long))
        self.register_buffer("capped", torch.as_tensor(capped))
        self.register_buffer("wc", torch.as_tensor(self.objective_weight * c))
        self.n_out = len(matrices.measured)

    def _prepare(self, inputs: Tensor, keep: Tensor | None) -> State:
        # the targets travel in the context, so a checkpointed block recomputed in backward sees them
        return (inputs, self._targets)

    def run(self, inputs, V0=None, state0=None, iterations=None, trace_at=(), targets: Tensor | None = None,
            knockout: Tensor | None = None):
        """As :meth:`UnrolledLayer.run`, plus the measured fluxes the loss pulls ``Pout V`` towards.

        Parameters
        ----------
        targets : Tensor, optional
            batch x n_out measured fluxes ``Vout``.
        inputs, V0, state0, iterations, trace_at, knockout
            As in :meth:`UnrolledLayer.run`.

        Returns
        -------
        Solution

        Raises
        ------
        ValueError
            If ``targets`` is not batch x n_out.
        """
        self._targets = None
        if targets is not None:
            targets = torch.as_tensor(targets, dtype=self.lower.dtype, device=self.lower.device)
            if targets.dim() != 2 or targets.shape != (torch.as_tensor(inputs).shape[0], self.n_out):
                raise ValueError(f"QP: targets must be batch x {self.n_out}, got {tuple(targets.shape)}")
            self._targets = targets
        try:
            return super().run(inputs, V0=V0, state0=state0, iterations=iterations, trace_at=trace_at, knockout=knockout)
        finally:
            self._targets = None

    def forward(self, inputs: Tensor, V0: Tensor | None = None, state0=None, targets: Tensor | None = None,
                knockout: Tensor | None = None) -> Tensor:
        """Fluxes (batch x n) after ``self.iterations`` steps; the arguments are those of :meth:`run`."""
        return self.run(inputs, V0=V0, state0=state0, targets=targets, knockout=knockout).V

    def _init_state(self, ctx, inputs, V0, state0) -> State:
        if state0 is not None:
            return tuple(state0[:2])
        V = self.scatter_medium(inputs, inputs.shape[0]) if V0 is None else V0.to(inputs)
        if self.bound == "EB":
            V = V.index_copy(1, self.medium_index, inputs)
        return V, torch.zeros_like(V)

    def gradient(self, V: Tensor, inputs: Tensor, targets: Tensor | None = None) -> Tensor:
        """Gradient of the loss (see the class docstring) at ``V``.

        Parameters
        ----------
        V : Tensor
            batch x n fluxes.
        inputs : Tensor
            batch x n_in medium inputs.
        targets : Tensor, optional
            batch x n_out measured fluxes.

        Returns
        -------
        Tensor
            batch x n.
        """
        StSV = spmm(self.S, spmm(self.S, V), transpose=True) if self.StS is None else spmm(self.StS, V)
        g = 2 * StSV - 2 * torch.relu(self.lower - V) + 2 * self.capped * torch.relu(V - self.upper) - self.wc
        if self.bound == "UB":
            excess = torch.relu(V.index_select(1, self.medium_index) - inputs)
            g = g + 2 * self.scatter_medium(excess, V.shape[0])
        if targets is not None:
            miss = V.index_select(1, self.Pout_index) - targets
            g = g + 2 * spmm(self.Pout, miss, transpose=True)
        if self.bound == "EB":
            g = g.index_fill(1, self.medium_index, 0.0)
        return g

    def _step(self, ctx, state, t) -> State:
        inputs, targets = ctx
        V, D = state
        D = self.momentum * D - self.step * self.gradient(V, inputs, targets)
        return V + D, D

    def _fluxes(self, ctx, state) -> Tensor:
        return state[0]
