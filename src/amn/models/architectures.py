"""The model architectures: ANN baselines and AMNs (dense prior + mechanistic layer).

Each architecture is an :class:`Architecture`, a frozen record of what sets it
apart (whether it predicts every flux, whether it has a mechanistic layer,
which one, how its module is built); code asks the record, never the name.
The names and summaries live in :mod:`amn.models.names` (:data:`ARCHITECTURES`,
the command line's choices), :func:`get_architecture` gives the record of a name.

>>> get_architecture("ann-dense").all_fluxes
False
>>> get_architecture("amn-qp").layer
'qp'
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType

import torch
from torch import nn

from amn.errors import ParameterError
from amn.models.dense import Dense
from amn.models.names import ARCHITECTURE_SUMMARIES, ARCHITECTURES

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
    """The mechanistic layer ``kind`` for learning, with :data:`LAYER_DEFAULTS` under ``params``.

    Parameters
    ----------
    kind : {"w", "eb", "ub", "qp", "pdhg", "ipm"}
        The layer of :mod:`amn.layers`.
    mats : NetworkMatrices
        The network's matrices for the model's medium and measured fluxes.
    bound : {"UB", "EB"}
        Medium inputs as uptake upper bounds or exact uptakes (QP, PDHG, IPM; the others fix it).
    **params
        Layer settings overriding the defaults.

    Returns
    -------
    torch.nn.Module

    Raises
    ------
    ParameterError
        A setting the layer does not have (the message lists those it has), or a value out of its range;
        the message starts with ``layer_params:``.
    """
    import inspect

    from amn import layers

    settings = {**LAYER_DEFAULTS[kind], **params}
    layer = {"w": layers.RNNW, "eb": layers.RNNEB, "ub": layers.RNNUB, "qp": layers.QP, "ipm": layers.InteriorPoint,
             "pdhg": layers.PDHG}[kind]
    signature = inspect.signature(layer).parameters
    known = [name for name in list(signature)[1:] if name != "bound"]  # after the matrices
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ParameterError(f"layer_params: layer {layer.__name__} has no setting {', '.join(unknown)} "
                             f"(settings: {', '.join(known)})")
    for name, value in params.items():  # a text where the layer takes a number fails in it without a message
        default = signature[name].default
        if isinstance(default, (int, float)) and not isinstance(default, bool) and (
                isinstance(value, (str, bool)) or not math.isfinite(value)):
            raise ParameterError(f"layer_params: layer {layer.__name__} setting {name}: {value!r} is not a number")
    try:
        return layer(mats, **settings) if kind in ("w", "eb", "ub") else layer(mats, bound=bound, **settings)
    except ParameterError as exc:
        raise ParameterError(f"layer_params: layer {layer.__name__}: {exc}") from None


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

    Parameters
    ----------
    prior : torch.nn.Module
        Medium (+ knockout indicators) -> initial fluxes.
    layer : torch.nn.Module
        A mechanistic layer of :mod:`amn.layers`.
    n_in, n_ko : int
        Numbers of medium inputs and of knockout indicators.
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

    Parameters
    ----------
    layer : torch.nn.Module
        The :class:`~amn.layers.ExactFBA` layer.
    n_in, n_ko : int
        Numbers of medium inputs and of knockout indicators (which it ignores: the mask acts).
    """

    def __init__(self, layer: nn.Module, n_in: int, n_ko: int = 0) -> None:
        super().__init__()
        self.log_scale = nn.Parameter(torch.zeros(n_in))
        self.layer = layer
        self.n_ko = n_ko

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        medium, _, knockout = split_inputs(x, len(self.log_scale), self.n_ko)
        return self.layer(medium * torch.exp(self.log_scale).to(x.dtype), knockout=knockout)


# -- builders: (matrices, n_in, n_ko, n_out, bound, hidden, dropout, layer_params, input_scale) -> module

def _dense(mats, n_in, n_ko, n_out, bound, hidden, dropout, layer_params, input_scale=None) -> nn.Module:
    return Dense(n_in + n_ko, n_out, hidden, dropout, input_scale=input_scale)


def _amn(kind, mats, n_in, n_ko, n_out, bound, hidden, dropout, layer_params, input_scale=None) -> nn.Module:
    layer = make_layer(kind, mats, bound=bound, **layer_params)
    return AMN(Dense(n_in + n_ko, n_out, hidden, dropout, input_scale=input_scale), layer, n_in, n_ko)


def _exact(mats, n_in, n_ko, n_out, bound, hidden, dropout, layer_params, input_scale=None) -> nn.Module:
    from amn.layers import ExactFBA

    return ExactAMN(ExactFBA(mats, bound=bound, **{"method": "pfba", **layer_params}), n_in, n_ko)


@dataclass(frozen=True)
class Architecture:
    """What sets one architecture apart; the records are those of :func:`get_architecture`.

    Parameters
    ----------
    name : str
        The name the command line and ``AMNRegressor(arch=...)`` take.
    summary : str
        One line for documentation and help.
    all_fluxes : bool
        The module outputs every flux of the network (else only the measured ones):
        ``predict_fluxes`` works and the loss has the mechanistic terms.
    layer : str or None
        The mechanistic layer after the dense prior (``w``, ``eb``, ``ub``, ``qp``,
        ``pdhg``, ``ipm``; ``exact`` for the HiGHS layer), None for a plain ANN.
    builder : callable
        ``builder(mats, n_in, n_ko, n_out, bound, hidden, dropout, layer_params, input_scale)`` -> module
        (``input_scale``: of the dense network's inputs, see :func:`~amn.media.spec.unlimited_scale`).
    """

    name: str
    summary: str
    all_fluxes: bool
    layer: str | None
    builder: Callable[..., nn.Module] = field(repr=False, compare=False)

    @property
    def mechanistic(self) -> bool:
        """Whether it has a mechanistic layer, which then also takes the knockout mask as input."""
        return self.layer is not None

    def build(self, network, medium: Sequence[str], measured: Sequence[str], bound: str,
              hidden: Sequence[int], dropout: float, layer_params: dict, n_ko: int = 0,
              input_scale: Sequence[float] | None = None):
        """The ``torch.nn.Module`` of this architecture and the network matrices it uses.

        Parameters
        ----------
        network : UnidirectionalNetwork
        medium, measured : sequence of str
            Medium uptake ids (the inputs) and measured reaction ids.
        bound : {"UB", "EB"}
        hidden : sequence of int
            Hidden layer sizes of the dense network.
        dropout : float
        layer_params : dict
            Settings of the mechanistic layer (see :func:`make_layer`).
        n_ko : int, default 0
            Knockout indicator inputs after the medium (seen by the dense networks).
        input_scale : sequence of float, optional
            Per input of the dense network (medium, then indicators): it is divided by it.

        Returns
        -------
        (torch.nn.Module, NetworkMatrices)
        """
        mats = network.matrices(medium=medium, measured=measured)
        n_out = len(network.reaction_ids) if self.all_fluxes else len(measured)
        module = self.builder(mats, len(medium), n_ko, n_out, bound, hidden, dropout, dict(layer_params), input_scale)
        return module, mats


#: Name -> (all_fluxes, layer, builder): what each architecture of :mod:`amn.models.names` is.
_TRAITS = {
    "ann-dense": (False, None, _dense),
    "ann-sv": (True, None, _dense),
    **{f"amn-{kind}": (True, kind, partial(_amn, kind)) for kind in ("w", "eb", "ub", "qp", "pdhg", "ipm")},
    "amn-exact": (True, "exact", _exact),
}

#: Name -> :class:`Architecture`, read-only, in the order of :data:`ARCHITECTURES`.
ARCHITECTURE_RECORDS: Mapping[str, Architecture] = MappingProxyType(
    {name: Architecture(name, summary, *_TRAITS[name]) for name, summary in ARCHITECTURE_SUMMARIES.items()})


def get_architecture(name: str | Architecture, source: str | None = None) -> Architecture:
    """The :class:`Architecture` named ``name`` (an :class:`Architecture` is returned as is).

    Parameters
    ----------
    name : str or Architecture
    source : str, optional
        What gave the name (a file), prefixed to the error message.

    Returns
    -------
    Architecture

    Raises
    ------
    ParameterError
        ``name`` is no architecture; the one-line message lists the choices.

    Examples
    --------
    >>> get_architecture("ann-sv").mechanistic
    False
    """
    if isinstance(name, Architecture):
        return name
    try:
        return ARCHITECTURE_RECORDS[name]
    except (KeyError, TypeError):
        prefix = f"{source}: " if source else ""
        raise ParameterError(f"{prefix}unknown architecture {name!r}; choose from {', '.join(ARCHITECTURES)}") from None


def build_module(arch: str, network, medium: Sequence[str], measured: Sequence[str], bound: str,
                 hidden: Sequence[int], dropout: float, layer_params: dict, n_ko: int = 0,
                 input_scale: Sequence[float] | None = None):
    """``get_architecture(arch).build(...)``: the module of an architecture and its network matrices.

    Raises
    ------
    ParameterError
        ``arch`` is no architecture.
    """
    return get_architecture(arch).build(network, medium, measured, bound, hidden, dropout, layer_params, n_ko,
                                        input_scale)
