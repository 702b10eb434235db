"""RNN-W (AMN-Wt, Faure et al. 2023, Fig. 1): fluxes propagated through metabolites with learned branching ratios."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor, nn

from amn.errors import ParameterError
from amn.layers.base import State, UnrolledLayer, spmm
from amn.layers.inputs import as_matrices
from amn.network.matrices import NetworkMatrices


class RNNW(UnrolledLayer):
    """``M = V2M V``;  ``V <- mask * ((W (.) M2V~) M) + Pin^T Vin``, iterated; exact uptakes ``Vin`` as input.

    ``M2V~`` is ``M2V`` with each reaction's row divided by its number of
    substrates (``substrate_weights="count"``, as in the published cell), or
    ``-1 / sum_k |S_kj|`` for every substrate of reaction ``j``
    (``"stoichiometry"``: the reaction runs at its total substrate supply over
    its total substrate demand, so a substrate with a tiny coefficient, e.g. a
    trace cofactor of a genome-scale biomass reaction, cannot multiply the
    flux by the inverse of that coefficient; the published form diverges on
    iML1515 for that reason).  Both leave a steady state fixed when each
    metabolite has one consumer; ``W`` a weight per non-zero of
    ``M2V`` (substrate -> reaction pairs only: the network's topology is the
    mask), ``mask`` zeroes the uptake columns, which are held at their
    inputs.  A fixed point with ``sum_j W_ji = 1`` over the consumers ``j``
    of every metabolite ``i`` (single-substrate reactions) is a steady state
    ``S V = 0``; ``W`` starts at ``1 / (number of consumers of i)`` (even
    branching) and is learned.  No objective: it is a learning layer.
    State: ``(V,)``.

    Parameters
    ----------
    matrices : NetworkMatrices or UnidirectionalNetwork
        The network (with its medium, or a network plus ``medium``).
    medium : sequence of str, optional
        Medium uptake ids, when ``matrices`` is a network.
    iterations : int
        Steps of ``forward``.
    substrate_weights : {"count", "stoichiometry"}
        How ``M2V`` is normalised per reaction (see above).
    checkpoint_every : int, optional
        Gradient-checkpointing block length.

    Raises
    ------
    ParameterError
        If ``substrate_weights`` is neither.

    Examples
    --------
    >>> import torch, amn
    >>> from amn.layers import RNNW
    >>> net = amn.make_unidirectional("textbook")
    >>> layer = RNNW(net.matrices(medium=["EX_glc__D_e_i", "EX_o2_e_i"]), iterations=20)
    >>> V = layer(torch.tensor([[10.0, 20.0]], dtype=torch.float64))
    >>> V.shape, layer.W.requires_grad
    (torch.Size([1, 154]), True)
    """

    bound = "EB"

    def __init__(
        self,
        matrices: NetworkMatrices,
        medium: Sequence[str] | None = None,
        *,
        iterations: int = 100,
        substrate_weights: str = "count",
        checkpoint_every: int | None = None,
    ) -> None:
        matrices = as_matrices(matrices, medium)
        super().__init__(matrices, iterations, checkpoint_every)
        if substrate_weights not in ("count", "stoichiometry"):
            raise ParameterError(f"substrate_weights must be 'count' or 'stoichiometry', got {substrate_weights!r}")
        self.substrate_weights = substrate_weights
        M2V = sp.coo_matrix(matrices.M2V)
        if substrate_weights == "count":
            m2v = M2V.data / np.maximum(np.bincount(M2V.row, minlength=self.n), 1)[M2V.row]
        else:  # M2V.data = 1 / |S_ij|
            demand = np.bincount(M2V.row, weights=1.0 / M2V.data, minlength=self.n)
            m2v = 1.0 / demand[M2V.row]
        consumers = np.maximum(np.bincount(M2V.col, minlength=M2V.shape[1]), 1)
        self.register_matrix("V2M", matrices.V2M)
        self.register_buffer("rows", torch.as_tensor(M2V.row, dtype=torch.long))
        self.register_buffer("cols", torch.as_tensor(M2V.col, dtype=torch.long))
        self.register_buffer("m2v", torch.as_tensor(m2v))
        self.W = nn.Parameter(torch.as_tensor(1.0 / consumers[M2V.col]))
        mask = np.ones(self.n)
        mask[matrices.medium_index] = 0.0
        self.register_buffer("mask", torch.as_tensor(mask))

    def set_branching(self, weights: dict[tuple[str, str], float], metabolite_ids: Sequence[str]) -> None:
        """Set branching ratios ``W`` by hand.

        Parameters
        ----------
        weights : dict
            ``{(metabolite id, reaction id): ratio}``.
        metabolite_ids : sequence of str
            The metabolite ids of the network, in the order of its matrices.

        Raises
        ------
        ValueError
            If a reaction does not consume the metabolite paired with it.
        """
        met = {m: i for i, m in enumerate(metabolite_ids)}
        rxn = {r: j for j, r in enumerate(self.reaction_ids)}
        pos = {(int(i), int(j)): k for k, (j, i) in enumerate(zip(self.rows.tolist(), self.cols.tolist()))}
        with torch.no_grad():
            for (m, r), value in weights.items():
                key = (met.get(m, -1), rxn.get(r, -1))
                if key not in pos:
                    raise ValueError(f"RNNW: {r} does not consume {m}")
                self.W[pos[key]] = value

    def _prepare(self, inputs: Tensor, keep: Tensor | None) -> State:
        return (self.scatter_medium(inputs, inputs.shape[0]),)

    def _init_state(self, ctx, inputs, V0, state0) -> State:
        (Vin,) = ctx
        if state0 is not None:
            return (state0[0],)
        return (Vin if V0 is None else V0.to(Vin) * self.mask + Vin,)

    def _step(self, ctx, state, t) -> State:
        (Vin,) = ctx
        M = spmm(self.V2M, state[0])
        weights = (self.W * self.m2v).to(M.dtype)
        V = torch.zeros_like(state[0]).index_add(1, self.rows, M.index_select(1, self.cols) * weights)
        return (V * self.mask + Vin,)

    def _fluxes(self, ctx, state) -> Tensor:
        return state[0]
