"""The model architectures: ANN baselines and AMNs (dense prior + mechanistic layer)."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from amn.models.dense import Dense

ARCHITECTURES = ("ann-dense", "ann-sv", "amn-w", "amn-eb", "amn-ub", "amn-qp", "amn-pdhg", "amn-ipm", "amn-exact")

#: Layer settings inside learning (no growth objective: the loss supplies the targets),
#: with few unrolled steps as in the published AMNs; override with ``layer_params``.
LAYER_DEFAULTS = {
    "w": {"iterations": 4},
    "eb": {"objective": False, "iterations": 4},
    "ub": {"objective": False, "iterations": 4},
    "qp": {"objective": False, "iterations": 4},
    "pdhg": {"objective": False, "iterations": 20},
    "ipm": {"objective": False, "iterations": 15},  # learning mode: smoothed projection (mu_min 1e-4)
}


def make_layer(kind: str, mats, bound: str, **params) -> nn.Module:
    """The mechanistic layer ``kind`` (w, eb, ub, qp, pdhg, ipm) for learning."""
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
    if kind == "ipm":
        return layers.InteriorPoint(mats, bound=bound, **settings)
    return layers.PDHG(mats, bound=bound, **settings)


def split_inputs(x: torch.Tensor, n_in: int, n_ko: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Model inputs ``[medium (n_in), knockout indicators (n_ko), knockout mask (n, optional)]`` as
    (medium, what the dense network sees = medium + indicators, mask or None)."""
    seen = n_in + n_ko
    return x[:, :n_in], x[:, :seen], (x[:, seen:] if x.shape[1] > seen else None)


class AMN(nn.Module):
    """A dense prior predicts initial fluxes from the medium; the mechanistic layer corrects them.

    ``forward(x)`` returns all fluxes (batch x n).  The layer receives the
    medium inputs (uptake bounds, or exact uptakes in EB mode) and the prior's
    fluxes as its starting point.  With knockouts, ``x`` is laid out as in
    :func:`split_inputs`: the prior sees the medium and the ``n_ko`` indicators,
    the layer the medium and the mask of removed fluxes (genes the indicators
    do not name act through the mask only).
    """

    def __init__(self, prior: nn.Module, layer: nn.Module, n_in: int, n_ko: int = 0) -> None:
        super().__init__()
        self.prior = prior
        self.layer = layer
        self.n_in, self.n_ko = n_in, n_ko

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        medium, seen, knockout = split_inputs(x, self.n_in, self.n_ko)
        return self.layer(medium, self.prior(seen), knockout=knockout)


class ExactAMN(nn.Module):
    """AMN-exact: a learned scale per medium input (1 at start), then the exact pFBA layer.

    Untrained it is pFBA itself, so on simulated pFBA data it is a consistency
    check rather than a model; on experimental data the scales learn effective
    uptake bounds.  Inputs with a zero scale gradient (closed uptakes) stay put.
    """

    def __init__(self, layer: nn.Module, n_in: int, n_ko: int = 0) -> None:
        super().__init__()
        self.log_scale = nn.Parameter(torch.zeros(n_in))
        self.layer = layer
        self.n_ko = n_ko

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        medium, _, knockout = split_inputs(x, len(self.log_scale), self.n_ko)
        return self.layer(medium * torch.exp(self.log_scale).to(x.dtype), knockout=knockout)


def build_module(arch: str, network, medium: Sequence[str], measured: Sequence[str], bound: str,
                 hidden: Sequence[int], dropout: float, layer_params: dict, n_ko: int = 0):
    """The ``torch.nn.Module`` of an architecture and the network matrices it uses.

    ``n_ko``: knockout indicator inputs after the medium (seen by the dense networks).
    """
    mats = network.matrices(medium=medium, measured=measured)
    n_in, n = len(medium), len(network.reaction_ids)
    if arch == "ann-dense":
        return Dense(n_in + n_ko, len(measured), hidden, dropout), mats
    if arch == "ann-sv":
        return Dense(n_in + n_ko, n, hidden, dropout), mats
    if arch == "amn-exact":
        from amn.layers import ExactFBA

        return ExactAMN(ExactFBA(mats, bound=bound, **{"method": "pfba", **layer_params}), n_in, n_ko), mats
    layer = make_layer(arch.removeprefix("amn-"), mats, bound=bound, **layer_params)
    return AMN(Dense(n_in + n_ko, n, hidden, dropout), layer, n_in, n_ko), mats
