"""The medium a reservoir's growth model must be trained on.

A frozen AMN is only valid where its training inputs varied.  The reservoir
learns the bounds of the compounds that vary between the experimental media
and of the base uptakes that limit growth, so guided training data must draw
both, not hold the base medium at its file values.
"""

from __future__ import annotations

import numpy as np

from amn.dataset.table import ExperimentTable
from amn.errors import MediumError, id_list
from amn.media.spec import MediumSpec
from amn.solve.composition import UptakeModel

#: The usual default uptake bound of genome-scale models (mmol/gDW/h), e.g. glucose in BiGG models.
DEFAULT_MAX_BOUND = 10.0


def reservoir_medium(network, table: ExperimentTable, medium: MediumSpec,
                     max_bound: float = DEFAULT_MAX_BOUND) -> tuple[MediumSpec, list[str]]:
    """``medium`` widened so that guided data cover what a reservoir learns, and the limiting base ids.

    Drawn in ``[0, max_bound]``: the table's variable compounds and the base uptakes
    with a non-zero reduced cost in some medium of the table when every present
    compound is at its medium-file bound (:meth:`UptakeModel.limiting`); uses the
    compositions only, never the measured values.

    Parameters
    ----------
    network : UnidirectionalNetwork
    table : ExperimentTable
        The experimental media (their compositions).
    medium : MediumSpec
        The medium file the growth model's data would be drawn from.
    max_bound : float, default 10.0
        The upper end of the widened draws.

    Returns
    -------
    (MediumSpec, list of str)
        The widened medium and the limiting base uptake ids.

    Raises
    ------
    MediumError
        ``medium`` lacks one of the table's variable compounds.
    """
    file_bounds = dict(zip(medium.reaction_ids, medium.max_value))
    missing = [r for r in table.variable_ids if r not in file_bounds]
    if missing:
        raise MediumError(f"{medium.source}: lacks the table's variable compound(s) {id_list(missing)}; "
                          "a growth model trained on it would never see them")
    uptakes = UptakeModel.from_table(network, table, medium)
    present_at_file = np.array([file_bounds.get(r, max_bound) for r in uptakes.variable_ids])
    limiting = [uptakes.composition_ids[j] for j in uptakes.limiting(table.X, present_at_file)]
    drawn = list(table.variable_ids) + limiting
    return medium.widened(drawn, max_bound), limiting
