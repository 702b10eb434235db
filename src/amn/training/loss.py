"""The AMN loss: fit to the measured fluxes plus the mechanistic constraints, term by term."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

TERMS = ("mse", "sv", "bound", "neg")


@dataclass(frozen=True)
class LossWeights:
    """Weights of the loss terms (published defaults: all 1)."""

    mse: float = 1.0
    sv: float = 1.0
    bound: float = 1.0
    neg: float = 1.0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


class AMNLoss(nn.Module):
    """``mse`` on measured fluxes ``Pout V`` + ``sv`` ``||S V||^2`` + ``bound`` + ``neg`` ``||ReLU(-V)||^2``.

    The bound term is ``||ReLU(Pin V - x)||^2`` for upper-bound inputs (``UB``)
    and ``||Pin V - x||^2`` for exact-bound inputs (``EB``).  Each term is a mean
    over the batch and its entries, made dimensionless: ``mse`` is divided by
    the variance of each measured flux (``target_var``; the term is then about
    1 - R^2), the constraint terms by ``flux_scale`` (the mean squared medium
    input, which sets the size of the fluxes), so that default weights of 1
    balance the terms on any network and any units.  With ``all_fluxes=False`` (ANN-Dense) the prediction is
    already the measured fluxes and only ``mse`` is used.

    ``forward`` returns the weighted total and the unweighted terms (detached
    tensors, so that reporting adds no synchronisation per step).
    """

    def __init__(self, S: torch.Tensor, Pin_index: torch.Tensor, Pout_index: torch.Tensor,
                 bound: str = "UB", weights: LossWeights = LossWeights(), all_fluxes: bool = True,
                 target_var: torch.Tensor | None = None, flux_scale: float = 1.0) -> None:
        super().__init__()
        self.register_buffer("target_var", torch.ones(len(Pout_index)) if target_var is None else target_var)
        self.flux_scale = float(flux_scale)
        if bound not in ("UB", "EB"):
            raise ValueError(f"bound must be UB or EB, got {bound!r}")
        self.register_buffer("S", S)
        self.register_buffer("Pin_index", Pin_index)
        self.register_buffer("Pout_index", Pout_index)
        self.bound = bound
        self.weights = weights
        self.all_fluxes = all_fluxes

    @property
    def terms_reported(self) -> tuple[str, ...]:
        """The terms this loss computes (only ``mse`` for a measured-flux-only model)."""
        return TERMS if self.all_fluxes else ("mse",)

    def terms(self, V: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        if not self.all_fluxes:
            return {"mse": torch.mean((V - y) ** 2 / self.target_var)}
        gap = V[:, self.Pin_index] - x[:, : len(self.Pin_index)]  # x: medium, then knockout inputs if any
        scale = self.flux_scale
        return {
            "mse": torch.mean((V[:, self.Pout_index] - y) ** 2 / self.target_var),
            "sv": torch.mean(apply(self.S, V) ** 2) / scale,
            "bound": torch.mean(torch.relu(gap) ** 2 if self.bound == "UB" else gap**2) / scale,
            "neg": torch.mean(torch.relu(-V) ** 2) / scale,
        }

    def forward(self, V: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        terms = self.terms(V, x, y)
        w = self.weights.as_dict()
        total = sum(w[name] * value for name, value in terms.items())
        return total, {name: value.detach() for name, value in terms.items()}


def apply(matrix: torch.Tensor, V: torch.Tensor) -> torch.Tensor:
    """``V @ matrix.T`` for a batch of row vectors, with ``matrix`` dense or sparse."""
    return (matrix @ V.T).T if matrix.is_sparse else V @ matrix.T
