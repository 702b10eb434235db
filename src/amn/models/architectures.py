"""The model architectures: ANN baselines and AMNs (dense prior + mechanistic layer)."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from amn.models.dense import Dense

ARCHITECTURES = ("ann-dense", "ann-sv", "amn-w", "amn-eb", "amn-ub", "amn-qp", "amn-pdhg", "amn-exact")

#: Layer settings inside learning (no growth objective: the loss supplies the targets),
#: with few unrolled steps as in the published AMNs; override with ``layer_params``.
LAYER_DEFAULTS = {
    "w": {"iterations": 4},
    "eb": {"objective": False, "iterations": 4},
    "ub": {"objective": False, "iterations": 4},
    "qp": {"objective": False, "iterations": 4},
    "pdhg": {"objective": False, "iterations": 20},
}


def make_layer(kind: str, mats, bound: str, **params) -> nn.Module:
    """The mechanistic layer ``kind`` (w, eb, ub, qp, pdhg) for learning."""
    from amn import layers

    settings = {**LAYER_DEFAULTS[kind], **params}
    if kind == "w":
        return layers.RNNW(mats, **settings)
    if kind == "eb":
        return layers.RNNEB(mats, **settings)
    if kind == "ub":
        return layers.RNNUB(mats, **settings)
    if kind == "qp":
        return layers.QP(mats, bound=bound, **settings)
    return layers.PDHG(mats, bound=bound, **settings)


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


class ExactAMN(nn.Module):
    """AMN-exact: a learned scale per medium input (1 at start), then the exact pFBA layer.

    Untrained it is pFBA itself, so on simulated pFBA data it is a consistency
    check rather than a model; on experimental data the scales learn effective
    uptake bounds.  Inputs with a zero scale gradient (closed uptakes) stay put.
    """

    def __init__(self, layer: nn.Module, n_in: int) -> None:
        super().__init__()
        self.log_scale = nn.Parameter(torch.zeros(n_in))
        self.layer = layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer(x * torch.exp(self.log_scale).to(x.dtype))


def build_module(arch: str, network, medium: Sequence[str], measured: Sequence[str], bound: str,
                 hidden: Sequence[int], dropout: float, layer_params: dict):
    """The ``torch.nn.Module`` of an architecture and the network matrices it uses."""
    mats = network.matrices(medium=medium, measured=measured)
    n_in, n = len(medium), len(network.reaction_ids)
    if arch == "ann-dense":
        return Dense(n_in, len(measured), hidden, dropout), mats
    if arch == "ann-sv":
        return Dense(n_in, n, hidden, dropout), mats
    if arch == "amn-exact":
        from amn.layers import ExactFBA

        return ExactAMN(ExactFBA(mats, bound=bound, **{"method": "pfba", **layer_params}), n_in), mats
    layer = make_layer(arch.removeprefix("amn-"), mats, bound=bound, **layer_params)
    return AMN(Dense(n_in, n, hidden, dropout), layer), mats
