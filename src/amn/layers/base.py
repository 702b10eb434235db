"""What every unrolled layer shares: validated inputs, buffers, the unrolled loop and checkpointing.

A mechanistic layer maps a batch of medium inputs (batch x n_in: uptake upper
bounds, or exact uptake fluxes) to a batch of flux vectors (batch x n) by
iterating a fixed update ``state <- step(state)``.  The loop runs in blocks of
``checkpoint_every`` iterations; with gradients enabled each block is wrapped
in :func:`torch.utils.checkpoint.checkpoint`, so only the block boundaries
are stored and the memory of a long unroll grows with ``T / checkpoint_every``
instead of ``T``.  What a layer is built from (the matrices with a medium,
the objective, the input mode) is checked in :mod:`amn.layers.inputs`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
import torch
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from amn.errors import ParameterError
from amn.network.matrices import NetworkMatrices

State = tuple[Tensor, ...]


@dataclass
class Solution:
    """Outcome of :meth:`UnrolledLayer.run`.

    Attributes
    ----------
    V : Tensor
        Fluxes, batch x n.
    state : tuple of Tensor
        The final state of the iteration; pass it as ``state0`` to warm-start a later run.
    trace : dict of int to Tensor
        Detached fluxes at the iterations asked for with ``trace_at``.
    """

    V: Tensor
    state: State
    trace: dict[int, Tensor] = field(default_factory=dict)


class SparseMatrix(nn.Module):
    """A constant sparse matrix ``A`` (rows x n) applied to batches of row vectors, differentiable in the batch.

    Genome-scale stoichiometric matrices have a few non-zeros per column (iML1515: 12,765 in
    1,877 x 3,682), so products cost ``nnz * batch``; PyTorch's COO kernels spend 50-100x that
    on CPU.  Here ``A`` and ``A^T`` are kept in CSR (int32 indices, float values as buffers, so
    ``.to(device, dtype)`` moves and casts them like any module), and the product takes the batch
    as the dense dimension (``A @ X^T``, ``X^T`` contiguous, n x batch): on CPU with scipy's CSR
    kernel (single-threaded, 2-10x faster here than ``torch.sparse.mm`` on CSR), on other devices
    with PyTorch's CSR (cuSPARSE on CUDA).  Backward applies ``A^T`` the same way.  The matrix is a
    constant: no gradient with respect to its values.  Its buffers are not persistent (rebuilt from
    the network), so state dicts and saved models hold learned weights only.

    Parameters
    ----------
    matrix : scipy.sparse matrix
        ``A``, rows x n.

    Examples
    --------
    >>> import scipy.sparse as sp, torch
    >>> A = SparseMatrix(sp.csr_matrix([[1.0, 0.0, 2.0], [0.0, -1.0, 0.0]]))
    >>> A(torch.tensor([[1.0, 1.0, 1.0]], dtype=torch.float64))
    tensor([[ 3., -1.]], dtype=torch.float64)
    >>> spmm(A, torch.tensor([[1.0, 2.0]], dtype=torch.float64), transpose=True)  # X @ A
    tensor([[ 1., -2.,  2.]], dtype=torch.float64)
    """

    def __init__(self, matrix: sp.spmatrix) -> None:
        super().__init__()
        A = sp.csr_matrix(matrix, dtype=float)
        A.sum_duplicates()
        self.shape = tuple(A.shape)
        for name, csr in (("", A), ("t_", sp.csr_matrix(A.T))):
            csr.sort_indices()
            self.register_buffer(f"{name}indptr", torch.as_tensor(csr.indptr.astype(np.int32)), persistent=False)
            self.register_buffer(f"{name}indices", torch.as_tensor(csr.indices.astype(np.int32)), persistent=False)
            self.register_buffer(f"{name}values", torch.as_tensor(csr.data), persistent=False)
        self._scipy: dict = {}

    @property
    def nnz(self) -> int:
        """Number of stored non-zeros."""
        return int(self.values.numel())

    def to_scipy(self, transpose: bool = False) -> sp.csr_matrix:
        """``A`` (or ``A^T``) as a float64 scipy CSR matrix."""
        return self._csr(transpose, torch.float64).astype(float)

    def to_dense(self) -> Tensor:
        """``A`` as a dense tensor of the buffers' dtype and device."""
        return torch.as_tensor(self.to_scipy().toarray(), dtype=self.values.dtype, device=self.values.device)

    def _parts(self, transpose: bool) -> tuple[Tensor, Tensor, Tensor, tuple[int, int]]:
        if transpose:
            return self.t_indptr, self.t_indices, self.t_values, (self.shape[1], self.shape[0])
        return self.indptr, self.indices, self.values, self.shape

    def _csr(self, transpose: bool, dtype: torch.dtype) -> sp.csr_matrix:
        """The scipy CSR matrix of the CPU buffers in ``dtype``, cached while the buffers stay the same."""
        indptr, indices, values, shape = self._parts(transpose)
        key = (transpose, dtype, values.data_ptr(), indptr.data_ptr())
        cached = self._scipy.get(transpose)
        if cached is None or cached[0] != key:
            data = values.detach().to("cpu", dtype).numpy()
            matrix = sp.csr_matrix((data, indices.cpu().numpy(), indptr.cpu().numpy()), shape=shape, copy=False)
            self._scipy[transpose] = cached = (key, matrix)
        return cached[1]

    def product(self, X: Tensor, transpose: bool = False) -> Tensor:
        """``X @ A^T`` (``X @ A`` with ``transpose``) for a dense batch ``X``, without autograd: see :func:`spmm`."""
        if X.device.type == "cpu":
            XT = np.ascontiguousarray(X.detach().numpy().T)
            return torch.from_numpy(np.ascontiguousarray((self._csr(transpose, X.dtype) @ XT).T))
        indptr, indices, values, shape = self._parts(transpose)
        A = torch.sparse_csr_tensor(indptr, indices, values.to(X.dtype), shape, device=X.device)
        return (A @ X.T.contiguous()).T.contiguous()

    def forward(self, X: Tensor) -> Tensor:
        """``X @ A^T``, batch x rows."""
        return spmm(self, X)

    def _apply(self, fn, recurse=True):
        self._scipy = {}
        return super()._apply(fn, recurse)

    def extra_repr(self) -> str:
        return f"shape={self.shape}, nnz={self.nnz}"


class _Product(torch.autograd.Function):
    """``X @ A^T`` (or ``X @ A``) for a constant :class:`SparseMatrix`; backward is the other product."""

    @staticmethod
    def forward(ctx, X: Tensor, A: SparseMatrix, transpose: bool) -> Tensor:
        ctx.A, ctx.transpose = A, transpose
        return A.product(X, transpose)

    @staticmethod
    def backward(ctx, G: Tensor):
        return _Product.apply(G.contiguous(), ctx.A, not ctx.transpose), None, None


def spmm(A: Tensor | SparseMatrix, X: Tensor, transpose: bool = False) -> Tensor:
    """``X @ A.T`` (``X @ A`` with ``transpose``), contiguous, for a dense tensor, a sparse COO tensor or a :class:`SparseMatrix`.

    Contiguous output matters: dense products with transposed operands fall
    off the fast BLAS path (ten times slower on CPU).

    Parameters
    ----------
    A : Tensor or SparseMatrix
        rows x n.
    X : Tensor
        A dense batch, batch x n (batch x rows with ``transpose``).
    transpose : bool
        Apply ``A^T`` instead of ``A``.

    Returns
    -------
    Tensor
        batch x rows (batch x n with ``transpose``).
    """
    if isinstance(A, SparseMatrix):
        return _Product.apply(X, A, transpose)
    if A.is_sparse:
        A = A.t() if transpose else A
        return torch.sparse.mm(A, X.T).T.contiguous()
    return X @ A if transpose else X @ A.T


def spectral_norm(A: sp.spmatrix) -> float:
    """Largest singular value of a sparse matrix (a dense SVD for small ones)."""
    A = sp.csr_matrix(A, dtype=float)
    if min(A.shape) < 30:
        return float(np.linalg.norm(A.toarray(), 2)) if A.nnz else 0.0
    return float(spla.svds(A, k=1, return_singular_vectors=False, random_state=0)[0])


#: Matrices with at most this many entries are kept dense: for small networks
#: (e_coli_core, reduced genome-scale models) a dense product is as fast as a sparse one
#: or faster, in the forward and the backward pass.
DENSE_LIMIT = 1 << 22


def is_dense(shape: tuple[int, int]) -> bool:
    """Whether a matrix of ``shape`` is kept dense (at most :data:`DENSE_LIMIT` entries)."""
    return shape[0] * shape[1] <= DENSE_LIMIT


def sparse_buffer(matrix: sp.spmatrix) -> Tensor | SparseMatrix:
    """``matrix`` for :func:`spmm`: a float64 dense tensor when small (see ``DENSE_LIMIT``), else a :class:`SparseMatrix`."""
    if is_dense(matrix.shape):
        return torch.as_tensor(sp.csr_matrix(matrix).toarray(), dtype=torch.float64)
    return SparseMatrix(matrix)


class UnrolledLayer(nn.Module):
    """Base class of the unrolled layers: validated medium inputs, network bounds as buffers, the blocked loop.

    Subclasses define ``_prepare`` (per-batch constants built from the inputs,
    kept differentiable), ``_init_state``, ``_step`` and ``_fluxes``.
    Buffers are created in float64; call ``.float()`` / ``.to(device)`` as
    for any module.

    Knockouts: ``run``/``forward`` take an optional ``knockout`` mask (batch x n,
    bool or 0/1, true = removed).  Those fluxes get bounds 0 (layers whose
    ``_prepare`` builds bounds), are set to 0 after every step (a projection of
    the first state entry, the flux-shaped iterate of every layer) and are 0 in
    the output; the mask is a constant, so gradients flow through the other fluxes.

    Parameters
    ----------
    matrices : NetworkMatrices
        The network, with the medium uptakes that the inputs set.
    iterations : int
        Number of unrolled steps of ``forward``.
    checkpoint_every : int, optional
        Length of the blocks of steps wrapped in gradient checkpointing (None: no checkpointing).

    Attributes
    ----------
    n : int
        Number of fluxes (outputs).
    n_in : int
        Number of medium inputs.
    reaction_ids : list of str
        Ids of the fluxes.
    medium : list of str
        Ids of the medium uptakes.
    bound : str
        ``"UB"`` or ``"EB"`` (see :func:`check_bound`).

    Raises
    ------
    ParameterError
        If ``iterations < 0`` or ``checkpoint_every < 1``.
    """

    bound: str = "UB"

    def __init__(
        self,
        matrices: NetworkMatrices,
        iterations: int,
        checkpoint_every: int | None = None,
    ) -> None:
        super().__init__()
        if iterations < 0:
            raise ParameterError(f"iterations must be >= 0, got {iterations}")
        if checkpoint_every is not None and checkpoint_every < 1:
            raise ParameterError(f"checkpoint_every must be >= 1 or None, got {checkpoint_every}")
        self.iterations = int(iterations)
        self.checkpoint_every = checkpoint_every
        self.reaction_ids = list(matrices.reaction_ids)
        self.medium = list(matrices.medium)
        self.n = len(self.reaction_ids)
        self.n_in = len(self.medium)
        lower, upper = matrices.lower.astype(float), matrices.upper.astype(float)
        lower = np.maximum(lower, 0.0)
        self.register_buffer("medium_index", torch.as_tensor(matrices.medium_index, dtype=torch.long))
        self.register_buffer("lower", torch.as_tensor(lower))
        self.register_buffer("upper", torch.as_tensor(upper))

    def register_matrix(self, name: str, matrix: sp.spmatrix) -> None:
        """Keep a constant matrix of the network as ``self.<name>`` for :func:`spmm`: a non-persistent
        buffer when dense, a :class:`SparseMatrix` submodule when large (see :func:`sparse_buffer`)."""
        value = sparse_buffer(matrix)
        if isinstance(value, SparseMatrix):
            self.add_module(name, value)
        else:
            self.register_buffer(name, value, persistent=False)

    # -- inputs -------------------------------------------------------------
    @property
    def _ref(self) -> Tensor:
        return self.lower

    def _check(self, inputs: Tensor, V0: Tensor | None) -> Tensor:
        if not isinstance(inputs, Tensor):
            inputs = torch.as_tensor(np.asarray(inputs), dtype=self._ref.dtype, device=self._ref.device)
        if inputs.dim() != 2 or inputs.shape[1] != self.n_in:
            raise ValueError(
                f"{type(self).__name__}: medium input must be batch x {self.n_in} "
                f"({', '.join(self.medium[:3])}{', ...' if self.n_in > 3 else ''}), got shape {tuple(inputs.shape)}"
            )
        if V0 is not None and (V0.dim() != 2 or tuple(V0.shape) != (inputs.shape[0], self.n)):
            raise ValueError(
                f"{type(self).__name__}: V0 must be batch x {self.n} ({inputs.shape[0]} x {self.n}), got {tuple(V0.shape)}"
            )
        return inputs.to(dtype=self._ref.dtype, device=self._ref.device)

    def _keep(self, knockout, batch: int) -> Tensor | None:
        """``1 - knockout`` in the layer's dtype (None without knockout); checks the shape."""
        if knockout is None:
            return None
        knockout = torch.as_tensor(knockout, device=self._ref.device)
        if tuple(knockout.shape) != (batch, self.n):
            raise ValueError(f"{type(self).__name__}: knockout mask must be batch x {self.n}, got {tuple(knockout.shape)}")
        return (knockout == 0).to(self._ref.dtype)

    def bounds(self, inputs: Tensor, keep: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Per-sample flux bounds: the network's, with the medium columns set from the inputs.

        Parameters
        ----------
        inputs : Tensor
            batch x n_in medium inputs.
        keep : Tensor, optional
            batch x n, 0 for knocked-out fluxes.

        Returns
        -------
        lower, upper : Tensor
            batch x n each.  ``UB``: uptake ``j`` in ``[0, inputs[:, j]]``; ``EB``: fixed at
            ``inputs[:, j]``; columns with ``keep == 0`` in ``[0, 0]``.  Differentiable with
            respect to ``inputs``.
        """
        batch = inputs.shape[0]
        lo = self.lower.expand(batch, -1)
        up = self.upper.expand(batch, -1)
        idx = self.medium_index.expand(batch, -1)
        up = up.scatter(1, idx, inputs)
        lo = lo.scatter(1, idx, inputs if self.bound == "EB" else torch.zeros_like(inputs))
        if keep is not None:
            lo, up = lo * keep, up * keep
        return lo, up

    def scatter_medium(self, values: Tensor, batch: int) -> Tensor:
        """``Pin^T values``: a batch x n tensor that is ``values`` on the medium columns, zero elsewhere."""
        out = torch.zeros(batch, self.n, dtype=values.dtype, device=values.device)
        return out.index_copy(1, self.medium_index, values)

    # -- the loop -------------------------------------------------------------
    def _prepare(self, inputs: Tensor, keep: Tensor | None) -> State:
        raise NotImplementedError

    def _init_state(self, ctx: State, inputs: Tensor, V0: Tensor | None, state0: State | None) -> State:
        raise NotImplementedError

    def _step(self, ctx: State, state: State, t: int) -> State:
        raise NotImplementedError

    def _fluxes(self, ctx: State, state: State) -> Tensor:
        raise NotImplementedError

    @staticmethod
    def _knock_out(state: State, keep: Tensor | None) -> State:
        return state if keep is None else (state[0] * keep, *state[1:])

    def _output(self, ctx: State, state: State, keep: Tensor | None) -> Tensor:
        V = self._fluxes(ctx, state)
        return V if keep is None else V * keep + 0.0  # + 0.0: knocked-out fluxes are +0, never -0

    def _block(self, start: int, steps: int, ctx: State, keep: Tensor | None, *state: Tensor) -> State:
        for t in range(start, start + steps):
            state = self._knock_out(self._step(ctx, state, t), keep)
        return state

    def run(
        self,
        inputs: Tensor,
        V0: Tensor | None = None,
        state0: State | None = None,
        iterations: int | None = None,
        trace_at: Sequence[int] = (),
        knockout: Tensor | None = None,
    ) -> Solution:
        """Unroll the iteration and return fluxes, final state and recorded iterates.

        Parameters
        ----------
        inputs : Tensor or array_like
            batch x n_in medium inputs (cast to the module's dtype and device).
        V0 : Tensor, optional
            batch x n starting (or, for the proximal layers, anchor) fluxes.
        state0 : tuple of Tensor, optional
            A previous :attr:`Solution.state`, to warm-start.
        iterations : int, optional
            Number of steps (default ``self.iterations``).
        trace_at : sequence of int
            Iterations (1-based; 0 is the starting point) at which to record a detached copy of the fluxes.
        knockout : Tensor, optional
            batch x n mask of removed fluxes (see the class docstring).

        Returns
        -------
        Solution

        Raises
        ------
        ValueError
            If ``inputs``, ``V0`` or ``knockout`` do not have the shapes above.
        """
        inputs = self._check(inputs, V0)
        total = self.iterations if iterations is None else int(iterations)
        keep = self._keep(knockout, inputs.shape[0])
        ctx = self._prepare(inputs, keep)
        state = self._knock_out(self._init_state(ctx, inputs, V0, state0), keep)
        stops = sorted({t for t in trace_at if 0 < t <= total} | {total})
        block = self.checkpoint_every or total or 1
        trace: dict[int, Tensor] = {}
        if 0 in trace_at:
            trace[0] = self._output(ctx, state, keep).detach()
        t = 0
        for stop in stops:
            while t < stop:
                steps = min(block, stop - t)
                if self.checkpoint_every and torch.is_grad_enabled():
                    state = checkpoint(self._block, t, steps, ctx, keep, *state, use_reentrant=False)
                else:
                    state = self._block(t, steps, ctx, keep, *state)
                t += steps
            if stop in trace_at:
                trace[stop] = self._output(ctx, state, keep).detach()
        return Solution(self._output(ctx, state, keep), tuple(state), trace)

    def forward(self, inputs: Tensor, V0: Tensor | None = None, state0: State | None = None,
                knockout: Tensor | None = None) -> Tensor:
        """Fluxes (batch x n) after ``self.iterations`` steps; the arguments are those of :meth:`run`."""
        return self.run(inputs, V0=V0, state0=state0, knockout=knockout).V

    def extra_repr(self) -> str:
        return f"n={self.n}, n_in={self.n_in}, iterations={self.iterations}, checkpoint_every={self.checkpoint_every}"
