"""Essential exchange reactions: uptakes without which the network cannot grow."""

from __future__ import annotations

import numpy as np

from amn.errors import MediumError
from amn.network.unidirectional import UnidirectionalNetwork
from amn.solve.highs import HighsLP


def uptake_growth_screen(network: UnidirectionalNetwork, open_bound: float = 1000.0) -> tuple[float, dict[str, float]]:
    """Growth with all uptakes open at ``open_bound``, and with each uptake closed in turn.

    One HiGHS LP is kept warm across the screen.

    Parameters
    ----------
    network : UnidirectionalNetwork
    open_bound : float, default 1000.0
        Upper bound of the open uptakes.

    Returns
    -------
    base : float
        The growth with every uptake open.
    growth : dict of str to float
        Per uptake reaction id, the growth when it alone is closed (NaN when
        the LP becomes infeasible).

    Raises
    ------
    MediumError
        The network is infeasible with every uptake open.
    """
    lp = HighsLP.from_network(network)
    columns = network.index(network.uptake_ids)
    zeros = np.zeros(len(columns))
    lp.set_bounds(columns, zeros, np.full(len(columns), open_bound))
    base = lp.solve()
    if not base.optimal:
        raise MediumError(f"model {network.model_id}: infeasible with every uptake open ({base.status})")
    growth = {}
    for column, rid in zip(columns, network.uptake_ids):
        lp.set_bounds([column], [0.0], [0.0])
        growth[rid] = lp.solve().objective
        lp.set_bounds([column], [0.0], [open_bound])
    return base.objective, growth


def essential_uptakes(
    network: UnidirectionalNetwork, open_bound: float = 1000.0, threshold: float = 1e-6
) -> list[str]:
    """Uptake reactions (``*_i``) without which the network cannot grow.

    An uptake is essential when, closed alone with all others open at
    ``open_bound``, it leaves growth below ``threshold`` (or makes the LP
    infeasible).  The published AMN work keeps these always open in every
    medium.

    Parameters
    ----------
    network : UnidirectionalNetwork
    open_bound : float, default 1000.0
        Upper bound of the open uptakes.
    threshold : float, default 1e-6
        Growth below which the network counts as not growing.

    Returns
    -------
    list of str
        The essential uptake ids, in the network's order.

    Raises
    ------
    MediumError
        The network is infeasible with every uptake open.

    Examples
    --------
    >>> from amn.network import make_unidirectional
    >>> essential_uptakes(make_unidirectional("textbook"))
    ['EX_pi_e_i']
    """
    _, growth = uptake_growth_screen(network, open_bound)
    return [rid for rid, g in growth.items() if not g >= threshold]
