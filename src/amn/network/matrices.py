"""Sparse matrices that carry a unidirectional network into neural computation.

Notation (Faure et al., Nat. Commun. 2023): ``m`` metabolites, ``n``
unidirectional reactions, ``V`` a flux vector (batch x n in PyTorch), ``M`` a
vector of metabolite production fluxes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import cobra
import numpy as np
import scipy.linalg
import scipy.sparse as sp
import torch
from cobra.util.solver import linear_reaction_coefficients

from amn.errors import UnknownReactionError


def stoichiometric_matrix(model: cobra.Model) -> sp.csr_matrix:
    """The stoichiometric matrix of a model.

    Parameters
    ----------
    model : cobra.Model
        Any COBRApy model (unidirectional or not).

    Returns
    -------
    scipy.sparse.csr_matrix
        S (m x n), rows in ``model.metabolites`` order, columns in
        ``model.reactions`` order, in canonical form (sorted indices, no
        duplicates), so that equal networks give equal arrays.
    """
    row_of = {met.id: i for i, met in enumerate(model.metabolites)}
    rows, cols, vals = [], [], []
    for j, reaction in enumerate(model.reactions):
        for met, coef in reaction.metabolites.items():
            rows.append(row_of[met.id])
            cols.append(j)
            vals.append(coef)
    S = sp.csr_matrix((vals, (rows, cols)), shape=(len(model.metabolites), len(model.reactions)))
    S.sum_duplicates()  # canonical form (sorted indices): equal networks give equal arrays
    return S


def _cobra_model(source) -> cobra.Model:
    """The ``cobra.Model`` of a model or of a network (anything with a ``model`` attribute)."""
    return source if isinstance(source, cobra.Model) else source.model


def objective_coefficients(model: cobra.Model) -> dict[str, float]:
    """Linear objective coefficient of each reaction with one, by id, read in one pass.

    ``Reaction.objective_coefficient`` scans the whole objective expression for
    one reaction: asked of every reaction of a genome-scale model it takes
    seconds; this reads the expression once.
    """
    return {r.id: float(c) for r, c in linear_reaction_coefficients(model).items() if c}


def bound_arrays(source) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower bounds, upper bounds and objective coefficients of every reaction.

    Parameters
    ----------
    source : cobra.Model or UnidirectionalNetwork
        The model, or a network (its ``model`` is read).

    Returns
    -------
    lower, upper, c : numpy.ndarray
        Float vectors over ``model.reactions``, read from the model now (a
        model changed later, e.g. inside ``with model:``, gives other arrays).
    """
    model = _cobra_model(source)
    reactions, objective = model.reactions, objective_coefficients(model)
    values = np.array([(r.lower_bound, r.upper_bound, objective.get(r.id, 0.0)) for r in reactions],
                      dtype=float).reshape(len(reactions), 3)
    return values[:, 0].copy(), values[:, 1].copy(), values[:, 2].copy()


@dataclass(frozen=True)
class FBAArrays:
    """FBA of a model as arrays: ``max`` (or ``min``) ``c.v  s.t.  S v = 0,  lower <= v <= upper``.

    Attributes
    ----------
    S : scipy.sparse.csr_matrix
        Stoichiometry (m x n), see :func:`stoichiometric_matrix`.
    lower, upper, c : numpy.ndarray
        Column bounds and objective coefficients (n), see :func:`bound_arrays`.
    maximize : bool
        The objective direction of the model.
    """

    S: sp.csr_matrix
    lower: np.ndarray
    upper: np.ndarray
    c: np.ndarray
    maximize: bool = True


def fba_arrays(source) -> FBAArrays:
    """The arrays of the FBA problem of a model: what the LP solvers and fingerprints read.

    Parameters
    ----------
    source : cobra.Model or UnidirectionalNetwork
        The model, or a network (its ``model`` is read).

    Returns
    -------
    FBAArrays
        ``S``, ``lower``, ``upper``, ``c`` and ``maximize``.

    Examples
    --------
    >>> import cobra.io
    >>> arrays = fba_arrays(cobra.io.load_model("textbook"))
    >>> arrays.S.shape, arrays.maximize
    ((72, 95), True)
    """
    model = _cobra_model(source)
    lower, upper, c = bound_arrays(model)
    return FBAArrays(stoichiometric_matrix(model), lower, upper, c, model.objective_direction == "max")


def selection_matrix(indices: np.ndarray, n: int) -> sp.csr_matrix:
    """A (k x n) 0/1 matrix whose row i selects column ``indices[i]``.

    Parameters
    ----------
    indices : numpy.ndarray
        The k selected columns.
    n : int
        The number of columns.

    Returns
    -------
    scipy.sparse.csr_matrix
    """
    k = len(indices)
    return sp.csr_matrix((np.ones(k), (np.arange(k), indices)), shape=(k, n))


def independent_rows(A: sp.spmatrix, rtol: float | None = None) -> np.ndarray:
    """Indices of a maximal set of linearly independent rows of ``A`` (sorted).

    Replaces the published recursive row-echelon form; it spans the same row
    space and keeps rows of the original matrix (each still names a
    metabolite).  Two steps:

    1. peeling: a row that is the only one with a non-zero in some column
       cannot take part in a linear dependency, so it is kept and removed;
       repeated until no such row is left (most metabolites go this way);
    2. rank-revealing QR with column pivoting (LAPACK ``geqp3``) on the
       transposed rest: its first ``rank`` pivots are independent rows.

    Parameters
    ----------
    A : scipy.sparse matrix
    rtol : float, optional
        Relative tolerance on the QR diagonal; default ``max(shape) * eps``.

    Returns
    -------
    numpy.ndarray
        Sorted row indices.
    """
    A = sp.csr_matrix(A)
    rows = np.flatnonzero(np.diff(A.indptr))  # empty rows are never independent
    kept: list[np.ndarray] = []
    while len(rows):
        sub = sp.csc_matrix(A[rows])
        singleton_cols = np.flatnonzero(np.diff(sub.indptr) == 1)
        if not len(singleton_cols):
            break
        peeled = np.unique(sub.indices[sub.indptr[singleton_cols]])
        kept.append(rows[peeled])
        rows = np.delete(rows, peeled)
    if len(rows):
        dense_t = A[rows].T.toarray()
        _, R, pivots = scipy.linalg.qr(dense_t, mode="economic", pivoting=True, check_finite=False)
        diag = np.abs(np.diag(R))
        tol = (rtol if rtol is not None else max(dense_t.shape) * np.finfo(float).eps) * diag[0]
        kept.append(rows[pivots[: int(np.sum(diag > tol))]])
    return np.sort(np.concatenate(kept)) if kept else rows


def to_torch(matrix: sp.spmatrix, dtype: torch.dtype = torch.float32, device=None) -> torch.Tensor:
    """A scipy sparse matrix as a coalesced ``torch.sparse_coo_tensor``.

    Parameters
    ----------
    matrix : scipy.sparse matrix
    dtype : torch.dtype, default torch.float32
    device : torch.device or str, optional

    Returns
    -------
    torch.Tensor
    """
    coo = sp.coo_matrix(matrix)
    indices = torch.from_numpy(np.vstack([coo.row, coo.col]).astype(np.int64))
    values = torch.from_numpy(coo.data).to(dtype)
    return torch.sparse_coo_tensor(indices, values, coo.shape, device=device, check_invariants=True).coalesce()


@dataclass
class LPSplit:
    """Constraints of the upper-bound LP network (Yang et al. 2014) in the form it needs.

    ``max c.V  s.t.  S_int V = 0,  S_ext^T V <= b_ext`` is the FBA problem
    ``S V = 0, 0 <= uptake <= bound, V >= lower`` rewritten without the uptake
    columns:

    - ``S_int`` (r x n): rows of the *internal* metabolites (those no medium
      uptake touches), reduced to linearly independent rows so that
      ``S_int S_int^T`` is invertible.  Medium uptake columns are zero there.
    - ``S_ext`` (n x k), ``k = 2 e + n + t``, one column per inequality: for
      each of the ``e`` external (medium) metabolites, its consumption by the
      rest of the network is at most what the uptakes bring (``-S_E V <= B u``)
      and at least zero (``S_E V <= 0``, the uptake flux cannot be negative);
      then ``-V <= -lower`` keeps every flux above its lower bound (0, or e.g.
      the maintenance ATP demand); last, ``V <= upper`` for the ``t``
      reactions whose upper bound is tighter than the model's default (closed
      uptakes outside the medium, capped reactions).
    - :meth:`b_ext` builds the right-hand side for a batch of uptake bounds.

    ``S_E`` is S restricted to the external metabolites with the uptake
    columns zeroed; ``B`` (e x n_in) maps uptake bounds to those metabolites.
    """

    S_int: sp.csr_matrix
    S_ext: sp.csr_matrix
    internal_rows: np.ndarray
    external_rows: np.ndarray
    B: sp.csr_matrix
    lower: np.ndarray
    upper_index: np.ndarray
    upper: np.ndarray

    def b_ext(self, uptake_bounds: np.ndarray) -> np.ndarray:
        """Right-hand side ``b_ext`` (batch x k) for uptake upper bounds (batch x n_in)."""
        u = np.atleast_2d(np.asarray(uptake_bounds, dtype=float))
        e = self.B.shape[0]
        batch = u.shape[0]
        return np.hstack(
            [
                (self.B @ u.T).T,
                np.zeros((batch, e)),
                np.tile(-self.lower, (batch, 1)),
                np.tile(self.upper, (batch, 1)),
            ]
        )

    def projectors(self) -> tuple[np.ndarray, np.ndarray]:
        """Dense ``Q = S_int^T (S_int S_int^T)^-1`` (n x r) and ``P = Q S_int - I`` (n x n)."""
        S = self.S_int.toarray()
        Q = scipy.linalg.solve(S @ S.T, S, assume_a="pos").T
        P = Q @ S - np.eye(S.shape[1])
        return Q, P


class NetworkMatrices:
    """The matrices of a unidirectional network, as ``scipy.sparse`` CSR.

    - ``S`` (m x n): stoichiometry; a steady state satisfies ``S V = 0``.
    - ``V2M`` (m x n): the producing part of S (``S_ij`` where ``S_ij > 0``,
      else 0); ``M = V2M V`` is the production flux of each metabolite.
    - ``M2V`` (n x m): the substrate-to-reaction map of the paper's Fig. 1C,
      ``M2V_ji = -1/S_ij`` where reaction j consumes metabolite i; RNN-W
      multiplies it by learned branching ratios to turn metabolite production
      back into reaction fluxes.
    - ``Pin`` (n_in x n): selects the medium uptake fluxes, ``Vin = Pin V``.
    - ``Pout`` (n_out x n): selects the measured fluxes, ``Vout = Pout V``
      (default: the objective reaction, i.e. the growth rate).
    - :meth:`lp_split`: ``S_int`` / ``S_ext`` for the upper-bound LP network.

    Use :func:`to_torch` (or :meth:`torch`) to get ``torch`` sparse tensors.

    Parameters
    ----------
    network : UnidirectionalNetwork
    medium : sequence of str, default ()
        Medium uptake ids (``Pin``, the LP split).
    measured : sequence of str, optional
        Measured reaction ids (``Pout``); default: the objective reaction.

    Raises
    ------
    UnknownReactionError
        A medium or measured id is not a reaction of the network.
    """

    def __init__(self, network, medium: Sequence[str] = (), measured: Sequence[str] | None = None) -> None:
        self.network = network
        self.reaction_ids = network.reaction_ids
        self.metabolite_ids = network.metabolite_ids
        self.medium = list(medium)
        self.measured = list(measured) if measured is not None else [network.objective_id]
        self.medium_index = network.index(self.medium, "medium reaction")
        self.measured_index = network.index(self.measured, "measured reaction")

    @cached_property
    def S(self) -> sp.csr_matrix:
        """Stoichiometry (m x n)."""
        return stoichiometric_matrix(self.network.model)

    @cached_property
    def V2M(self) -> sp.csr_matrix:
        """The producing part of S (m x n)."""
        S = self.S.tocoo()
        keep = S.data > 0
        return sp.csr_matrix((S.data[keep], (S.row[keep], S.col[keep])), shape=S.shape)

    @cached_property
    def M2V(self) -> sp.csr_matrix:
        """Substrate-to-reaction map (n x m): ``-1/S_ij`` where reaction j consumes metabolite i."""
        S = self.S.tocoo()
        keep = S.data < 0
        return sp.csr_matrix((-1.0 / S.data[keep], (S.col[keep], S.row[keep])), shape=(S.shape[1], S.shape[0]))

    @cached_property
    def Pin(self) -> sp.csr_matrix:
        """Selects the medium uptake fluxes (n_in x n)."""
        return selection_matrix(self.medium_index, len(self.reaction_ids))

    @cached_property
    def Pout(self) -> sp.csr_matrix:
        """Selects the measured fluxes (n_out x n)."""
        return selection_matrix(self.measured_index, len(self.reaction_ids))

    @property
    def lower(self) -> np.ndarray:
        """Lower bounds of the reactions (read from the model, see :func:`bound_arrays`)."""
        return bound_arrays(self.network)[0]

    @property
    def upper(self) -> np.ndarray:
        """Upper bounds of the reactions (read from the model, see :func:`bound_arrays`)."""
        return bound_arrays(self.network)[1]

    @property
    def objective(self) -> np.ndarray:
        """The objective vector ``c`` over unidirectional reactions."""
        return bound_arrays(self.network)[2]

    def lp_split(self) -> LPSplit:
        """``S_int`` / ``S_ext`` for the upper-bound LP network (see :class:`LPSplit`).

        Returns
        -------
        LPSplit

        Raises
        ------
        UnknownReactionError
            No medium was given.
        """
        if not len(self.medium_index):
            raise UnknownReactionError("the LP split needs the medium uptake reactions (medium=...)")
        return self._lp_split

    @cached_property
    def _lp_split(self) -> LPSplit:
        S = self.S.tocsc()
        medium_cols = sp.csc_matrix(S[:, self.medium_index])
        external = np.flatnonzero(np.diff(medium_cols.tocsr().indptr))
        internal = np.setdiff1d(np.arange(S.shape[0]), external)
        zero_medium = sp.diags(np.isin(np.arange(S.shape[1]), self.medium_index, invert=True).astype(float))
        S_noin = sp.csr_matrix(S @ zero_medium)
        S_I = S_noin[internal]
        kept = internal[independent_rows(S_I)]
        S_E = S_noin[external]
        n = S.shape[1]
        upper = self.upper
        default = np.max(np.abs(np.concatenate([upper, self.lower])))
        capped = np.flatnonzero((upper < default) & np.isin(np.arange(n), self.medium_index, invert=True))
        S_ext = sp.hstack([-S_E.T, S_E.T, -sp.identity(n), selection_matrix(capped, n).T], format="csr")
        B = sp.csr_matrix(medium_cols.tocsr()[external])
        lower = np.maximum(self.lower, 0.0)
        lower[self.medium_index] = 0.0
        return LPSplit(sp.csr_matrix(S_noin[kept]), S_ext, kept, external, B, lower, capped, upper[capped])

    def torch(self, name: str, dtype: torch.dtype = torch.float32, device=None) -> torch.Tensor:
        """One of ``S``, ``V2M``, ``M2V``, ``Pin``, ``Pout`` as a torch sparse tensor (see :func:`to_torch`)."""
        return to_torch(getattr(self, name), dtype=dtype, device=device)
