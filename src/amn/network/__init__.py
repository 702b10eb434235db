"""Metabolic networks made ready for neural computation.

``Knockouts`` maps gene knockouts to the reactions they remove.
``load_model`` reads SBML/JSON, ``make_unidirectional`` splits reactions so
that every flux is positive, ``NetworkMatrices`` gives S, V2M, M2V, Pin, Pout
and the LP split, ``fba_arrays`` the (S, lower, upper, c) of FBA, ``reduce_network`` shapes the network for training
(essential uptakes are found by :func:`amn.solve.essential_uptakes`).
"""

from amn.network.io import load_model, write_sbml
from amn.network.knockouts import Knockouts, RandomKnockouts
from amn.network.matrices import (
    FBAArrays,
    LPSplit,
    NetworkMatrices,
    fba_arrays,
    independent_rows,
    stoichiometric_matrix,
    to_torch,
)
from amn.network.reduce import reduce_network
from amn.network.unidirectional import (
    UnidirectionalNetwork,
    ensure_network,
    make_unidirectional,
)

__all__ = [
    "FBAArrays",
    "Knockouts",
    "LPSplit",
    "NetworkMatrices",
    "RandomKnockouts",
    "UnidirectionalNetwork",
    "ensure_network",
    "fba_arrays",
    "independent_rows",
    "load_model",
    "make_unidirectional",
    "reduce_network",
    "stoichiometric_matrix",
    "to_torch",
    "write_sbml",
]
