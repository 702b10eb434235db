"""What medium design needs from a trained model: its design variables and a differentiable prediction.

A :class:`Surrogate` wraps a fitted :class:`~amn.models.AMNRegressor` (its
variable medium inputs, inside the range it was trained on) or a fitted
:class:`~amn.reservoir.ReservoirRegressor` (its 0/1 composition columns),
through their public accessors only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from amn.errors import ModelLoadError


@dataclass
class Surrogate:
    """What the search needs from a trained model.

    Attributes
    ----------
    ids : list of str
        The design variables: the variable compounds.
    lower, upper : numpy.ndarray
        Their ranges.
    outputs : list of str
        The reaction ids the model predicts, in its output order.
    predict : callable
        Variables (rows x n, float64 tensor) -> outputs (rows x len(outputs), float64 tensor), differentiable.
    medium : callable
        Variables (array) -> uptake bounds of the model's medium (DataFrame).
    network : UnidirectionalNetwork
    threads : int or None
        CPU threads to run the model with.
    binary : bool
        A reservoir: compositions are 0/1.
    """

    ids: list[str]
    lower: np.ndarray
    upper: np.ndarray
    outputs: list[str]
    predict: Callable[[torch.Tensor], torch.Tensor]
    medium: Callable[[np.ndarray], pd.DataFrame]
    network: object
    threads: int | None
    binary: bool = False


def amn_surrogate(estimator) -> Surrogate:
    """Design variables of a fitted :class:`~amn.models.AMNRegressor`: the medium inputs it saw vary."""
    lower_all, upper_all = estimator.input_range_
    variable = np.flatnonzero(upper_all > lower_all)
    module = estimator.eval_module()
    options = estimator.tensor_options_
    base = torch.as_tensor(upper_all)  # equal to the minimum for the base medium
    index = torch.as_tensor(variable)
    # inputs after the medium (knockout indicators, flux mask) of a model trained with knockouts: the wild type's
    wild_type = torch.as_tensor(estimator.module_inputs(upper_all[None])[:, len(upper_all):])

    def full(x: torch.Tensor) -> torch.Tensor:
        inputs = base.repeat(len(x), 1)
        inputs[:, index] = x
        return inputs

    def predict(x: torch.Tensor) -> torch.Tensor:
        inputs = torch.cat([full(x), wild_type.expand(len(x), -1)], dim=1)
        return module(inputs.to(**options)).to("cpu", torch.float64)

    def medium(x: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(full(torch.as_tensor(x)).numpy(), columns=list(estimator.medium_))

    return Surrogate([estimator.medium_[j] for j in variable], lower_all[variable], upper_all[variable],
                     estimator.output_ids_, predict, medium, estimator.network_, estimator.threads)


def reservoir_surrogate(reservoir) -> Surrogate:
    """Design variables of a fitted :class:`~amn.reservoir.ReservoirRegressor`: its 0/1 composition columns."""
    growth_model = reservoir.growth_model_

    def predict(c: torch.Tensor) -> torch.Tensor:
        return reservoir.model_outputs(c).to(torch.float64)

    def medium(c: np.ndarray) -> pd.DataFrame:
        return reservoir.uptake_bounds(pd.DataFrame(c, columns=reservoir.columns_))

    n = len(reservoir.columns_)
    return Surrogate(list(reservoir.columns_), np.zeros(n), np.ones(n), growth_model.output_ids_, predict, medium,
                     growth_model.network_, growth_model.threads, binary=True)


def surrogate(model) -> Surrogate:
    """The :class:`Surrogate` of a fitted model or a saved model directory.

    Raises
    ------
    ModelLoadError
        ``model`` names no model directory, or one that cannot be read.
    TypeError
        ``model`` is not a fitted AMNRegressor or ReservoirRegressor.
    """
    from amn.models import AMNRegressor
    from amn.reservoir import ReservoirRegressor

    if isinstance(model, (str, Path)):
        if not Path(model).is_dir():
            raise ModelLoadError(f"{model}: no such model directory")
        model = AMNRegressor.load(model)
    if isinstance(model, ReservoirRegressor) and model.__sklearn_is_fitted__():
        return reservoir_surrogate(model)
    if isinstance(model, AMNRegressor) and model.__sklearn_is_fitted__():
        return amn_surrogate(model)
    raise TypeError("model must be a fitted AMNRegressor, a fitted ReservoirRegressor or a saved model directory")
