"""The published LP networks as unrolled layers: RNN-UB (Yang et al. 2014) and RNN-EB (Ghasabi-Oskoei & Mahdavi-Amiri 2006).

Both are explicit Euler discretisations (step ``dt``) of continuous-time
neural networks whose equilibria are the KKT points of an LP.  Yang's network
minimises a cost, so a growth objective ``c`` enters as the cost
``f = -objective_scale * c`` (the published code scales ``c`` by 100).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from amn.errors import ParameterError
from amn.layers.base import State, UnrolledLayer, spectral_norm, spmm
from amn.layers.inputs import as_matrices, objective_vector
from amn.network.matrices import NetworkMatrices


class RNNUB(UnrolledLayer):
    """RNN-UB: the LP network of Yang, Cao, Xu & Xu (Math. Comput. Simul. 101, 2014), uptake upper bounds as input.

    On the split of :class:`~amn.network.matrices.LPSplit`
    (``min f.V  s.t.  S_int V = b_int (= 0),  S_ext^T V <= b_ext(inputs)``), with
    ``Q = S_int^T (S_int S_int^T)^-1`` and ``P = Q S_int - I`` (applied as
    ``P y = Q (S_int y) - y``, never formed), each step is::

        R  = ReLU(M + S_ext^T V - b_ext)
        dV = P (S_ext R + f) - Q (S_int V - b_int)
        dM = (R - M) / 2
        V <- V + dt dV,   M <- M + dt dM

    The uptake columns are zero in ``S_int``/``S_ext``; the returned fluxes
    carry the uptakes implied by the external balances (``-S_E V``).
    State: ``(V, M)``, ``M`` batch x k (one dual per inequality).

    Parameters
    ----------
    matrices : NetworkMatrices or UnidirectionalNetwork
        The network (with its medium, or a network plus ``medium``).
    medium : sequence of str, optional
        Medium uptake ids, when ``matrices`` is a network.
    objective : bool or array_like
        True: the model's objective; None/False: none; or a length-n ``c``.
    objective_scale : float
        The cost is ``f = -objective_scale * c``.
    dt : float
        Euler step, > 0.
    iterations : int
        Steps of ``forward``.
    checkpoint_every : int, optional
        Gradient-checkpointing block length.

    Raises
    ------
    ParameterError
        If ``dt <= 0``.

    Examples
    --------
    The internal balances hold at every step; the growth approaches the LP optimum slowly.

    >>> import torch, amn
    >>> from amn.layers import RNNUB
    >>> net = amn.make_unidirectional("textbook")
    >>> mats = net.matrices(medium=["EX_glc__D_e_i", "EX_o2_e_i"])
    >>> layer = RNNUB(mats, iterations=200)
    >>> V = layer(torch.tensor([[10.0, 20.0]], dtype=torch.float64))
    >>> V.shape
    torch.Size([1, 154])
    >>> S = torch.as_tensor(mats.S.toarray())
    >>> bool((V @ S.T).abs().max() < 1e-9)
    True
    """

    bound = "UB"

    def __init__(
        self,
        matrices: NetworkMatrices,
        medium: Sequence[str] | None = None,
        *,
        objective=True,
        objective_scale: float = 100.0,
        dt: float = 0.1,
        iterations: int = 1000,
        checkpoint_every: int | None = None,
    ) -> None:
        matrices = as_matrices(matrices, medium)
        super().__init__(matrices, iterations, checkpoint_every)
        if dt <= 0:
            raise ParameterError(f"RNNUB: dt must be > 0, got {dt}")
        self.dt, self.objective_scale = float(dt), float(objective_scale)
        split = matrices.lp_split()
        Q, _ = split.projectors()
        e = split.B.shape[0]
        self.register_matrix("S_int", split.S_int)
        self.register_matrix("S_ext", split.S_ext)
        self.register_matrix("S_extT", split.S_ext.T)
        self.register_buffer("QT", torch.as_tensor(np.ascontiguousarray(Q.T)))
        self.register_buffer("f", torch.as_tensor(-self.objective_scale * objective_vector(matrices, objective)))
        self.register_buffer("B", torch.as_tensor(split.B.toarray()))
        self.register_buffer("b_fixed", torch.as_tensor(split.b_ext(np.zeros(self.n_in))[0, e:]))
        # uptake implied by the balance of its external metabolite: u = -(S_E V) B / |B|^2
        S_E = sp.csr_matrix(split.S_ext[:, e : 2 * e].T)
        B = split.B.toarray()
        uptake = sp.csr_matrix(-(B / np.maximum((B**2).sum(axis=0), 1e-300)).T) @ S_E
        self.register_matrix("uptake", uptake)

    def _prepare(self, inputs: Tensor, keep: Tensor | None) -> State:
        batch = inputs.shape[0]
        b_ext = torch.cat([inputs @ self.B.T, self.b_fixed.expand(batch, -1)], dim=1)
        return (b_ext,)

    def _init_state(self, ctx, inputs, V0, state0) -> State:
        (b_ext,) = ctx
        if state0 is not None:
            return tuple(state0[:2])
        V = torch.zeros(b_ext.shape[0], self.n, dtype=b_ext.dtype, device=b_ext.device) if V0 is None else V0.to(b_ext)
        return V, torch.zeros_like(b_ext)

    def _step(self, ctx, state, t) -> State:
        (b_ext,) = ctx
        V, M = state
        R = torch.relu(M + spmm(self.S_extT, V) - b_ext)
        y = spmm(self.S_ext, R) + self.f
        Py = spmm(self.S_int, y) @ self.QT - y
        dV = Py - spmm(self.S_int, V) @ self.QT
        return V + self.dt * dV, M + self.dt * 0.5 * (R - M)

    def _fluxes(self, ctx, state) -> Tensor:
        V = state[0]
        mask = torch.ones(self.n, dtype=V.dtype, device=V.device).index_fill(0, self.medium_index, 0.0)
        return V * mask + self.scatter_medium(spmm(self.uptake, V), V.shape[0])


class RNNEB(UnrolledLayer):
    """RNN-EB: the primal-dual projection network of Ghasabi-Oskoei & Mahdavi-Amiri (Appl. Math. Comput., 2006).

    For ``min f.V  s.t.  S V = b,  lo <= V <= up`` with exact uptakes: the
    medium columns are fixed at the inputs, so ``b = -S_in Vin`` is carried
    by the network bounds ``lo = up = Vin`` on those columns.  The
    non-negativity projection ``(.)^+`` of the paper is generalised to the
    box ``[lo, up]`` (lower bounds such as the ATP maintenance, closed
    reactions).  With ``Z = clip(V - (f - S^T M), lo, up)``::

        dV = Z - V
        dM = gain (b - S (2 Z - V))
        V <- V + dt dV,   M <- M + dt dM

    The dual neurons read the extrapolated primal ``2 Z - V``; with the
    plain ``b - S Z`` the explicit Euler scheme oscillates on LPs (measured
    on the Fig. 1 toy) and with ``dt = 1`` the extrapolated form is exactly a
    PDHG step.  ``gain`` (default ``1 / ||S||_2^2``) sets the time scale of
    the dual neurons.  An equilibrium has ``V = Z`` (complementary slackness,
    ``lo <= V <= up``)
    and ``S V = b``: a KKT point.  State: ``(V, M)``, ``M`` batch x m.

    Parameters
    ----------
    matrices : NetworkMatrices or UnidirectionalNetwork
        The network (with its medium, or a network plus ``medium``).
    medium : sequence of str, optional
        Medium uptake ids, when ``matrices`` is a network.
    objective : bool or array_like
        True: the model's objective; None/False: none; or a length-n ``c``.
    objective_scale : float
        The cost is ``f = -objective_scale * c``.
    dt : float
        Euler step, > 0.
    gain : float, optional
        Time scale of the dual neurons (default ``1 / ||S||_2^2``).
    iterations : int
        Steps of ``forward``.
    checkpoint_every : int, optional
        Gradient-checkpointing block length.

    Raises
    ------
    ParameterError
        If ``dt`` or ``gain`` is not positive.

    Examples
    --------
    >>> import torch, amn
    >>> from amn.layers import RNNEB
    >>> net = amn.make_unidirectional("textbook")
    >>> layer = RNNEB(net.matrices(medium=["EX_glc__D_e_i", "EX_o2_e_i"]), iterations=100)
    >>> V = layer(torch.tensor([[10.0, 20.0]], dtype=torch.float64))
    >>> V[:, layer.medium_index]  # exact uptakes: held at the inputs
    tensor([[10., 20.]], dtype=torch.float64)
    """

    bound = "EB"

    def __init__(
        self,
        matrices: NetworkMatrices,
        medium: Sequence[str] | None = None,
        *,
        objective=True,
        objective_scale: float = 1.0,
        dt: float = 1.0,
        gain: float | None = None,
        iterations: int = 1000,
        checkpoint_every: int | None = None,
    ) -> None:
        matrices = as_matrices(matrices, medium)
        super().__init__(matrices, iterations, checkpoint_every)
        if dt <= 0 or (gain is not None and gain <= 0):
            raise ParameterError(f"RNNEB: dt and gain must be > 0, got dt={dt}, gain={gain}")
        self.dt, self.objective_scale = float(dt), float(objective_scale)
        self.gain = float(gain) if gain is not None else 1.0 / spectral_norm(matrices.S) ** 2
        self.register_matrix("S", matrices.S)
        self.register_matrix("St", matrices.S.T)
        self.register_buffer("f", torch.as_tensor(-self.objective_scale * objective_vector(matrices, objective)))

    def _prepare(self, inputs: Tensor, keep: Tensor | None) -> State:
        return self.bounds(inputs, keep)

    def _init_state(self, ctx, inputs, V0, state0) -> State:
        lo, up = ctx
        if state0 is not None:
            return tuple(state0[:2])
        V = torch.minimum(torch.maximum(torch.zeros_like(lo) if V0 is None else V0.to(lo), lo), up)
        return V, torch.zeros(lo.shape[0], self.S.shape[0], dtype=lo.dtype, device=lo.device)

    def _step(self, ctx, state, t) -> State:
        lo, up = ctx
        V, M = state
        Z = torch.minimum(torch.maximum(V - self.f + spmm(self.St, M), lo), up)
        return V + self.dt * (Z - V), M - self.dt * self.gain * spmm(self.S, 2 * Z - V)

    def _fluxes(self, ctx, state) -> Tensor:
        return state[0]
