"""Artificial Metabolic Networks: metabolic models inside trainable neural networks.

The subpackages follow the data flow of the method::

    network  -> media -> solve -> dataset -> layers -> training -> models -> evaluation
             -> baselines / reservoir / design;   plate_reader beside;   cli on top

- :mod:`amn.network`: load a model, make it unidirectional, its matrices and knockouts;
- :mod:`amn.media`: medium files and random or guided media;
- :mod:`amn.solve`: FBA/pFBA with HiGHS and COBRApy, essential uptakes;
- :mod:`amn.dataset`: training sets (media labelled by pFBA, experiment tables);
- :mod:`amn.layers`: the mechanistic layers (unrolled solvers and exact FBA) as PyTorch modules;
- :mod:`amn.training`: the AMN loss and the training loop;
- :mod:`amn.models`: the estimators (:class:`AMNRegressor`) and their saved form;
- :mod:`amn.evaluation`, :mod:`amn.baselines`: scores and the models AMNs are compared with;
- :mod:`amn.reservoir`, :mod:`amn.design`: a trained AMN as a reservoir, and medium design;
- :mod:`amn.plate_reader`: growth rates from plate-reader curves;
- :mod:`amn.errors`: every exception type.

The names below are the public API; each lives in the subpackage named in
``__all__``'s comments.  All but the version and the errors are imported on first
use (they pull in PyTorch, COBRApy and scikit-learn), so ``import amn`` stays fast
for the command line.

>>> import amn
>>> net = amn.make_unidirectional("textbook")
>>> len(net.reaction_ids)
154
"""

from amn._lazy import lazy_names
from amn._version import __version__
from amn.errors import (
    AMNError,
    DataError,
    DatasetMismatchError,
    MediumError,
    ModelLoadError,
    NotFittedError,
    PlateReaderError,
    UnknownGeneError,
    UnknownReactionError,
)

#: Public names imported on first use (they pull in PyTorch, COBRApy, scikit-learn): name -> module.
_LAZY = {
    **dict.fromkeys(["Knockouts", "NetworkMatrices", "UnidirectionalNetwork", "load_model", "make_unidirectional",
                     "reduce_network", "write_sbml"], "amn.network"),
    **dict.fromkeys(["GuidedMedia", "MediumSpec", "RandomMedia", "read_medium"], "amn.media"),
    "essential_uptakes": "amn.solve",
    **dict.fromkeys(["Dataset", "ExperimentTable", "generate", "load_dataset", "read_table"], "amn.dataset"),
    "AMNRegressor": "amn.models",
    "load_model_dir": "amn.models",
    "ReservoirRegressor": "amn.reservoir",
    "MediumDesigner": "amn.design",
}

__getattr__, __dir__ = lazy_names(__name__, _LAZY)


__all__ = [  # noqa: RUF022 (grouped by subpackage, in the order of the data flow)
    "__version__",
    # network
    "Knockouts",
    "NetworkMatrices",
    "UnidirectionalNetwork",
    "load_model",
    "make_unidirectional",
    "reduce_network",
    "write_sbml",
    # media
    "GuidedMedia",
    "MediumSpec",
    "RandomMedia",
    "read_medium",
    # solve
    "essential_uptakes",
    # dataset
    "Dataset",
    "ExperimentTable",
    "generate",
    "load_dataset",
    "read_table",
    # models, reservoir, design
    "AMNRegressor",
    "load_model_dir",
    "ReservoirRegressor",
    "MediumDesigner",
    # errors
    "AMNError",
    "DataError",
    "DatasetMismatchError",
    "MediumError",
    "ModelLoadError",
    "NotFittedError",
    "PlateReaderError",
    "UnknownGeneError",
    "UnknownReactionError",
]
