"""Reduction: drop the reactions that carry no flux in any sample of a flux dataset."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from amn.errors import DatasetMismatchError
from amn.network.unidirectional import UnidirectionalNetwork


def reduce_network(
    network: UnidirectionalNetwork,
    fluxes: pd.DataFrame,
    keep: Iterable[str] = (),
    tol: float = 0.0,
) -> UnidirectionalNetwork:
    """A smaller network without the reactions whose flux is ``<= tol`` in every sample.

    ``fluxes`` has one column per reaction of ``network`` (samples x reactions).
    Reactions in ``keep`` (medium uptakes, measured fluxes) and the objective
    are kept whatever their flux; metabolites left without reactions are
    removed, genes are kept (see :func:`restrict_network`).  The published work reduces iML1515 to about 550 reactions
    this way.

    Parameters
    ----------
    network : UnidirectionalNetwork
    fluxes : pandas.DataFrame
        Samples x every reaction of ``network``.
    keep : iterable of str, default ()
        Reactions kept whatever their flux.
    tol : float, default 0.0
        A flux counts as zero up to ``tol``.

    Returns
    -------
    UnidirectionalNetwork
        A new network (``network`` is not modified).

    Raises
    ------
    DatasetMismatchError
        ``fluxes`` has other columns than the reactions, or NaN values.
    UnknownReactionError
        A ``keep`` id is not a reaction of the network.
    """
    ids = network.reaction_ids
    unknown = sorted(set(fluxes.columns) - set(ids))
    missing = [rid for rid in ids if rid not in fluxes.columns]
    if unknown or missing:
        problem = f"{len(unknown)} unknown reaction(s) (e.g. {unknown[0]})" if unknown else ""
        problem += (", " if unknown and missing else "") + (
            f"no flux for {len(missing)} reaction(s) (e.g. {missing[0]})" if missing else ""
        )
        raise DatasetMismatchError(f"flux table does not match model {network.model_id}: {problem}")
    values = fluxes[ids].to_numpy(dtype=float)
    if np.isnan(values).any():
        raise DatasetMismatchError("flux table contains NaN values")
    keep_ids = set(keep) | set(network.objective)
    network.index(sorted(keep_ids), "kept reaction")
    active = (np.abs(values) > tol).any(axis=0) | np.isin(ids, list(keep_ids))
    return restrict_network(network, np.asarray(ids)[active])


def restrict_network(network: UnidirectionalNetwork, reaction_ids: Iterable[str]) -> UnidirectionalNetwork:
    """The sub-network of ``network`` with the reactions ``reaction_ids`` only, in the network's order.

    What :func:`reduce_network` returns for the reactions it keeps; a saved model
    rebuilds its reduced network with it from the full network and the kept ids,
    deterministically.  Metabolites left without reactions are removed; genes are
    kept, so that a table's knockout of a gene whose reactions are all gone still
    names a gene of the network (and removes nothing more).

    Parameters
    ----------
    network : UnidirectionalNetwork
    reaction_ids : iterable of str
        Reactions of ``network`` to keep (any order).

    Returns
    -------
    UnidirectionalNetwork
        A new network (``network`` is not modified).

    Raises
    ------
    UnknownReactionError
        An id is not a reaction of the network.
    """
    ids = network.reaction_ids
    wanted = set(reaction_ids)
    network.index(sorted(wanted), "kept reaction")
    active = np.isin(ids, list(wanted))
    model = network.model.copy()
    dropped = [model.reactions.get_by_id(rid) for rid, a in zip(ids, active) if not a]
    touched = {m for r in dropped for m in r.metabolites}
    model.remove_reactions(dropped)  # the metabolites left without reactions go (remove_orphans would take genes too)
    model.remove_metabolites(sorted((m for m in touched if not m.reactions), key=lambda m: m.id))
    kept = set(np.asarray(ids)[active])
    return UnidirectionalNetwork(
        model=model,
        original_ids=list(network.original_ids),
        recombination=sp.csr_matrix(network.recombination[:, np.flatnonzero(active)]),
        uptake_ids=[r for r in network.uptake_ids if r in kept],
        outflow_ids=[r for r in network.outflow_ids if r in kept],
        split_ids=list(network.split_ids),
    )
