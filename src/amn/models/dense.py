"""Dense networks: the ANN baselines and the prior network of an AMN."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
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
    input_scale : sequence of float, optional
        Each input is divided by its scale first (see :func:`~amn.media.spec.unlimited_scale`); none by default.

    Examples
    --------
    >>> Dense(3, 2, hidden=(4,))(torch.zeros(5, 3)).shape
    torch.Size([5, 2])
    """

    def __init__(self, n_in: int, n_out: int, hidden: Sequence[int] = (50,), dropout: float = 0.0,
                 positive: bool = False, input_scale: Sequence[float] | None = None) -> None:
        super().__init__()
        # not in the state dict: the estimator records the scale beside the weights (model.json)
        scale = None if input_scale is None or np.all(np.asarray(input_scale) == 1.0) else torch.as_tensor(
            np.asarray(input_scale, dtype=float))
        self.register_buffer("input_scale", scale, persistent=False)
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
        return self.net(x if self.input_scale is None else x / self.input_scale)
