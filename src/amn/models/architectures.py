"""The model architectures: ANN baselines and AMNs (dense prior + mechanistic layer)."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from amn.models.dense import Dense

ARCHITECTURES = ("ann-dense", "ann-sv", "amn-w", "amn-eb", "amn-ub", "amn-qp", "amn-pdhg")


class AMN(nn.Module):
    """A dense prior predicts initial fluxes from the medium; the mechanistic layer corrects them.

    ``forward(x)`` returns all fluxes (batch x n).  The layer receives the
    medium inputs (uptake bounds, or exact uptakes in EB mode) and the prior's
    fluxes as its starting point.
    """

    def __init__(self, prior: nn.Module, layer: nn.Module) -> None:
        super().__init__()
        self.prior = prior
        self.layer = layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer(x, self.prior(x))


def build_module(arch: str, network, medium: Sequence[str], measured: Sequence[str], bound: str,
                 hidden: Sequence[int], dropout: float, layer_params: dict):
    """The ``torch.nn.Module`` of an architecture and the network matrices it uses."""
    mats = network.matrices(medium=medium, measured=measured)
    n_in, n = len(medium), len(network.reaction_ids)
    if arch == "ann-dense":
        return Dense(n_in, len(measured), hidden, dropout), mats
    if arch == "ann-sv":
        return Dense(n_in, n, hidden, dropout), mats
    from amn.layers import make_layer  # torch layers are only needed by the AMNs

    layer = make_layer(arch.removeprefix("amn-"), mats, bound=bound, **layer_params)
    return AMN(Dense(n_in, n, hidden, dropout), layer), mats
