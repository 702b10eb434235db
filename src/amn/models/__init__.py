"""Trainable models: ANN baselines and AMNs, as a scikit-learn estimator over torch modules.

- :class:`AMNRegressor`: the estimator (``fit``/``predict``/``save``/``load``);
- :class:`FluxAMNRegressor`: every measured flux of a condition, knockouts as masks (prior + steady-state projection);
- :func:`save_model` / :func:`load_model_dir`: functional forms of ``save`` and ``load``;
- :data:`ARCHITECTURES` (names) and :func:`get_architecture` (their :class:`Architecture` records).
"""

from amn.models.architectures import AMN, ARCHITECTURES, Architecture, build_module, get_architecture
from amn.models.dense import Dense
from amn.models.estimator import AMNRegressor, load_model_dir, save_model
from amn.models.flux import FluxAMNRegressor

__all__ = [
    "AMN",
    "ARCHITECTURES",
    "AMNRegressor",
    "Architecture",
    "Dense",
    "FluxAMNRegressor",
    "build_module",
    "get_architecture",
    "load_model_dir",
    "save_model",
]
