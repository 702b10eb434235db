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
        Each input is divided by its scale first (see :func:`prior_scale`); none by default.

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


#: An input bound above this (mmol/gDW/h) is no physiological rate but a medium's "unlimited"
#: (COBRA models open their salts at 1000).
UNLIMITED = 100.0


def prior_scale(input_max: Sequence[float]) -> list[float]:
    """The scale of each input of a dense prior: its largest training value where that exceeds
    :data:`UNLIMITED`, else 1.

    A dense network fed bounds of 1000 diverges (training R² -1.2 for growth on iMM904 media whose
    salts are open at 1000, 0.997 with this scale); inputs in physiological ranges go in as given, as
    in the published AMN.
    """
    values = np.abs(np.asarray(input_max, dtype=float))
    return np.where(values > UNLIMITED, values, 1.0).tolist()
