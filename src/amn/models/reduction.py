"""``AMNRegressor(reduce=True)``: train on the network without the reactions that carry no flux.

``fit`` reduces the network on the training fluxes (:func:`fit_reduction`,
through :func:`~amn.network.reduce_network`), builds the module on the reduced
network and keeps the full one: predictions are full width again
(:func:`expand_fluxes`, zeros where reduced away), datasets and model
directories are checked against the full network's sha256.  A model directory
records the kept reaction ids (:func:`reduction_description`); loading rebuilds
the reduced network from the full one with them (:func:`restore_reduction`).

The loss of a reduced model is the full network's (:class:`FullNetworkLoss`):
the dropped reactions are zeros and the dropped metabolites rows of zeros, so
the ``sv`` and ``neg`` means over the full network are the reduced network's
scaled by ``metabolites kept / metabolites`` and ``reactions kept / reactions``
(:func:`term_factors`, recorded in ``loss_scales``).  Training optimises the
same objective as without reduction, and ``loss_terms`` reports the same terms.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
import pandas as pd

from amn.errors import DatasetMismatchError, ModelLoadError, ParameterError
from amn.network import UnidirectionalNetwork
from amn.network.reduce import reduce_network, restrict_network
from amn.training.loss import AMNLoss

__all__ = ["REDUCE_TOL", "FullNetworkLoss", "expand_fluxes", "fit_reduction", "loss_class", "reduced_index",
           "reduction_description", "reduction_state", "restore_reduction", "term_factors"]

#: A flux counts as zero up to this share of the largest absolute flux of the training set.
REDUCE_TOL = 1e-9


def fit_reduction(network: UnidirectionalNetwork, y, medium: Sequence[str], measured: Sequence[str],
                  all_fluxes: bool) -> UnidirectionalNetwork:
    """The network without the reactions whose flux is zero in every sample of ``y``.

    Parameters
    ----------
    network : UnidirectionalNetwork
        The full network.
    y : pandas.DataFrame
        The training flux table, with a column for every reaction of ``network`` (others are ignored).
    medium, measured : sequence of str
        Reactions kept whatever their flux (with the objective).
    all_fluxes : bool
        Whether the architecture predicts every flux (reduction needs one that does).

    Returns
    -------
    UnidirectionalNetwork
        The reduced network (a copy of ``network`` when nothing can be dropped).

    Raises
    ------
    ParameterError
        The architecture predicts the measured fluxes only (``ann-dense``).
    DatasetMismatchError
        ``y`` is not a flux table of every reaction of ``network``, or has NaN values.
    """
    if not all_fluxes:
        raise ParameterError("reduce=True needs an architecture that predicts every flux (not ann-dense)")
    if not isinstance(y, pd.DataFrame):
        raise DatasetMismatchError("reduce=True needs y as the full flux table (a DataFrame, one column per reaction)")
    missing = [rid for rid in network.reaction_ids if rid not in y.columns]
    table = y if missing else y[network.reaction_ids]  # reduce_network reports the missing columns
    values = table.to_numpy(dtype=float)
    scale = float(np.nanmax(np.abs(values))) if values.size else 0.0
    return reduce_network(network, table, keep=[*medium, *measured], tol=REDUCE_TOL * (scale or 1.0))


class FullNetworkLoss(AMNLoss):
    """:class:`~amn.training.AMNLoss` of a reduced network whose terms are the full network's.

    Parameters
    ----------
    *args, **kwargs
        Those of :class:`~amn.training.AMNLoss`, on the reduced network.
    factors : dict of str to float
        Per term, the factor that turns the reduced network's mean into the full network's
        (:func:`term_factors`); terms not named are unchanged.
    """

    def __init__(self, *args, factors: dict, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.factors = {str(k): float(v) for k, v in factors.items()}

    def terms(self, V, x, y):
        """The terms of :meth:`AMNLoss.terms <amn.training.AMNLoss.terms>`, as means over the full network."""
        return {name: value * self.factors.get(name, 1.0) for name, value in super().terms(V, x, y).items()}


def term_factors(network: UnidirectionalNetwork, reduced: UnidirectionalNetwork | None) -> dict:
    """``{"term_factors": {"sv": ..., "neg": ...}}`` for the ``loss_scales`` of a reduced model (``{}`` without).

    Examples
    --------
    >>> term_factors(None, None)
    {}
    """
    if reduced is None:
        return {}
    return {"term_factors": {"sv": len(reduced.metabolite_ids) / len(network.metabolite_ids),
                             "neg": len(reduced.reaction_ids) / len(network.reaction_ids)}}


def loss_class(loss_scales: dict):
    """What builds the loss of a model with ``loss_scales``: :class:`~amn.training.AMNLoss`, or
    :class:`FullNetworkLoss` with the ``term_factors`` of a reduced model."""
    factors = loss_scales.get("term_factors")
    return AMNLoss if factors is None else partial(FullNetworkLoss, factors=factors)


def reduced_index(network: UnidirectionalNetwork, reduced: UnidirectionalNetwork | None) -> np.ndarray | None:
    """Position of each reaction of ``reduced`` in ``network`` (None without reduction)."""
    return None if reduced is None else network.index(reduced.reaction_ids)


def reduction_state(network: UnidirectionalNetwork, reduced: UnidirectionalNetwork | None) -> dict:
    """The estimator's fitted attributes of a reduction (``reduced`` None: none).

    Returns
    -------
    dict
        ``reduced_network_`` and ``reduced_reaction_ids_`` (None without reduction), ``layer_network_``
        (the network the module runs on), ``n_reactions_kept_`` (its reactions) and ``reduced_index_``
        (:func:`reduced_index`).
    """
    layer = network if reduced is None else reduced
    return {"reduced_network_": reduced, "reduced_reaction_ids_": None if reduced is None else list(reduced.reaction_ids),
            "layer_network_": layer, "n_reactions_kept_": len(layer.reaction_ids),
            "reduced_index_": reduced_index(network, reduced)}


def expand_fluxes(outputs: np.ndarray, index: np.ndarray | None, n_reactions: int) -> np.ndarray:
    """Fluxes of the reduced network (samples x kept reactions) as fluxes of the full network.

    Parameters
    ----------
    outputs : numpy.ndarray
        Samples x kept reactions.
    index : numpy.ndarray or None
        Position of each kept reaction in the full network; None: ``outputs`` is returned as is.
    n_reactions : int
        Reactions of the full network.

    Returns
    -------
    numpy.ndarray
        Samples x ``n_reactions``, exact zeros on the reactions reduced away.

    Examples
    --------
    >>> expand_fluxes(np.array([[1.0, 2.0]]), np.array([0, 2]), 3)
    array([[1., 0., 2.]])
    """
    if index is None:
        return outputs
    full = np.zeros((len(outputs), n_reactions), dtype=outputs.dtype)
    full[:, index] = outputs
    return full


def reduction_description(estimator) -> dict:
    """What ``model.json`` records of a reduced estimator: the kept ids and the reduced network's sha256."""
    if estimator.reduced_network_ is None:
        return {}
    return {"reduced_reaction_ids": list(estimator.reduced_reaction_ids_),
            "reduced_network_sha256": estimator.reduced_network_.sha256()}


def restore_reduction(network: UnidirectionalNetwork, description: dict, source: str) -> UnidirectionalNetwork | None:
    """The reduced network of a saved model, rebuilt from the full ``network``; None if it was not reduced.

    Raises
    ------
    ModelLoadError
        ``params.reduce`` is true without kept ids, a kept id is no reaction of the network,
        or the rebuilt network differs from the saved one (its sha256).
    """
    ids = description.get("reduced_reaction_ids")
    if ids is None:
        if description.get("params", {}).get("reduce"):
            raise ModelLoadError(f"{source}: a reduced model without reduced_reaction_ids")
        return None
    unknown = sorted(set(ids) - set(network.reaction_ids))
    if unknown:
        raise ModelLoadError(f"{source}: reduced_reaction_ids are not reactions of the network (e.g. {unknown[0]})")
    reduced = restrict_network(network, ids)
    expected = description.get("reduced_network_sha256")
    if expected is not None and reduced.sha256() != expected:
        raise ModelLoadError(f"{source}: the reduced network rebuilt from network.xml differs from the saved one "
                             f"(sha256 {expected[:12]}..., rebuilt {reduced.sha256()[:12]}...)")
    return reduced
