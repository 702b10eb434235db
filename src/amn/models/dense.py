"""Dense networks: the ANN baselines and the prior network of an AMN."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class Dense(nn.Module):
    """``n_in -> hidden... -> n_out`` with ReLU and dropout between layers.

    Parameters
    ----------
    n_in, n_out : int
        Input and output widths.
    hidden : sequence of int, default (50,)
        Hidden layer widths.
    dropout : float, default 0.0
        Dropout after each hidden layer (none at 0).
    positive : bool, default False
        End with a ReLU, for outputs that are fluxes of a unidirectional network (all >= 0).

    Examples
    --------
    >>> Dense(3, 2, hidden=(4,))(torch.zeros(5, 3)).shape
    torch.Size([5, 2])
    """

    def __init__(self, n_in: int, n_out: int, hidden: Sequence[int] = (50,), dropout: float = 0.0,
                 positive: bool = False) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = n_in
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = h
        layers.append(nn.Linear(width, n_out))
        if positive:
            layers.append(nn.ReLU())
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
