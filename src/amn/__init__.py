"""Artificial Metabolic Networks: metabolic models inside trainable neural networks.

The package follows the data flow of the method: ``network`` (SBML to
unidirectional networks and their matrices) -> ``solve`` (LP/QP reference
solvers) -> ... with a thin command line (``amn``) on top.
"""

__version__ = "0.1.0"

from amn.dataset import Dataset, generate, load_dataset
from amn.errors import (
    AMNError,
    DataError,
    DatasetMismatchError,
    MediumError,
    ModelLoadError,
    UnknownGeneError,
    UnknownReactionError,
)
from amn.network import (
    NetworkMatrices,
    UnidirectionalNetwork,
    essential_uptakes,
    load_model,
    make_unidirectional,
    reduce_network,
    write_sbml,
)

__all__ = [
    "__version__",
    "AMNError",
    "Dataset",
    "generate",
    "load_dataset",
    "DataError",
    "DatasetMismatchError",
    "MediumError",
    "ModelLoadError",
    "UnknownGeneError",
    "UnknownReactionError",
    "NetworkMatrices",
    "UnidirectionalNetwork",
    "essential_uptakes",
    "load_model",
    "make_unidirectional",
    "reduce_network",
    "write_sbml",
]
