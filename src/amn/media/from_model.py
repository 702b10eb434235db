"""Media read off a model: its own medium, its salts, and the sources of a nutrient.

A model file says which uptakes it leaves open (its medium: for a BiGG model, a
minimal salts medium with one carbon source); its metabolites' formulas say
which uptakes bring carbon or nitrogen.  :func:`model_medium` turns both into a
medium specification, so that a new organism gets training sets without a
medium file written by hand; :func:`default_base` and :func:`nutrient_sources`
are the same reading for simulated growth screens
(:mod:`amn.dataset.simulate`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from amn.errors import MediumError, ParameterError, UnknownReactionError, id_list
from amn.media.spec import MediumSpec

#: Nutrient screened -> the element its sources hold.
NUTRIENTS = {"carbon": "C", "nitrogen": "N"}


def element_of(nutrient: str) -> str:
    """The element of a nutrient (``"carbon"`` -> ``"C"``); a ParameterError for another name."""
    if nutrient not in NUTRIENTS:
        raise ParameterError(f"nutrient must be one of {', '.join(NUTRIENTS)} (got {nutrient!r})")
    return NUTRIENTS[nutrient]


def _elements(network, uptake_id: str) -> dict[str, float]:
    reaction = network.model.reactions.get_by_id(uptake_id)
    return {e: n for met in reaction.metabolites for e, n in met.elements.items()}


def open_uptakes(network) -> dict[str, float]:
    """The uptakes the model file leaves open (upper bound > 0 on ``<exchange>_i``) -> their bound."""
    model = network.model
    bounds = {r: model.reactions.get_by_id(r).upper_bound for r in network.uptake_ids}
    return {r: b for r, b in bounds.items() if b > 0}


def default_base(network, nutrient: str = "carbon") -> dict[str, float]:
    """The model's own medium without the compounds that hold the screened element.

    The uptakes the model file leaves open, minus those whose metabolite's
    formula contains C (carbon) or N (nitrogen): for a BiGG model, its minimal
    salts medium.

    Parameters
    ----------
    network : UnidirectionalNetwork
    nutrient : {"carbon", "nitrogen"}

    Returns
    -------
    dict of str to float
        Uptake id -> its bound in the model file.
    """
    element = element_of(nutrient)
    return {r: b for r, b in open_uptakes(network).items() if element not in _elements(network, r)}


def nutrient_sources(network, nutrient: str, exclude: Sequence[str] = ()) -> list[str]:
    """The uptakes whose metabolite holds the nutrient's element, in model order, without ``exclude``."""
    element, excluded = element_of(nutrient), set(exclude)
    return [r for r in network.uptake_ids if r not in excluded and element in _elements(network, r)]


def model_medium(network, variable: str | Sequence[str], base: str = "model", levels: int = 5,
                 max_value: float = 10.0, ratio: float = 0.5) -> MediumSpec:
    """A medium specification from the model: its own medium always open, and variable uptakes.

    Parameters
    ----------
    network : UnidirectionalNetwork
    variable : {"carbon", "nitrogen"} or sequence of str
        The uptakes drawn per medium: every uptake whose metabolite holds carbon (nitrogen) outside
        the base, or the uptake ids given.
    base : {"model", "salts"}, default "model"
        Always open at the model file's bounds: every uptake the model leaves open, or those
        without the variable nutrient's element (:func:`default_base`; needs a nutrient as
        ``variable``).
    levels : int, default 5
        Levels of each variable uptake (``>= 2``): ``k * max_value / (levels - 1)``, ``k`` in
        ``1..levels-1``.
    max_value : float, default 10.0
        The largest bound of a variable uptake (mmol/gDW/h).
    ratio : float, default 0.5
        Expected fraction of the variable uptakes opened per medium.

    Returns
    -------
    MediumSpec
        Base uptakes first (level 1), then the variable ones (level ``levels``).

    Raises
    ------
    ParameterError
        A setting out of its range, or ``base="salts"`` with variable ids.
    UnknownReactionError
        A variable id that is not an uptake of the network.
    MediumError
        No variable uptake left outside the base.
    """
    if base not in ("model", "salts"):
        raise ParameterError(f"base must be 'model' or 'salts' (got {base!r})")
    if not (isinstance(levels, (int, np.integer)) and levels >= 2):
        raise ParameterError(f"levels must be an integer >= 2 (got {levels!r})")
    if not (np.isfinite(max_value) and max_value > 0):
        raise ParameterError(f"max_value must be positive (got {max_value})")
    if not 0.0 < ratio <= 1.0:
        raise ParameterError(f"ratio must be in (0, 1] (got {ratio})")
    nutrient = variable if isinstance(variable, str) else None
    if base == "salts" and nutrient is None:
        raise ParameterError("base 'salts' removes the variable nutrient's element: give variable 'carbon' or 'nitrogen'")
    opened = default_base(network, nutrient) if base == "salts" else open_uptakes(network)
    if nutrient is not None:
        drawn = nutrient_sources(network, nutrient, exclude=opened)
    else:
        unknown = [r for r in variable if r not in set(network.uptake_ids)]
        if unknown:
            raise UnknownReactionError(f"variable: not uptakes of model {network.model_id}: {id_list(unknown)}")
        drawn = [r for r in dict.fromkeys(variable) if r not in opened]
    if not drawn:
        raise MediumError(f"model {network.model_id}: no variable uptake outside the base medium")
    ids = (*opened, *drawn)
    level = np.array([1.0] * len(opened) + [float(levels)] * len(drawn))
    maximum = np.array([*opened.values(), *[float(max_value)] * len(drawn)])
    what = nutrient or f"{len(drawn)} uptakes"
    return MediumSpec(ids, level, maximum, float(ratio), source=f"{base} medium of {network.model_id}, {what} variable")
