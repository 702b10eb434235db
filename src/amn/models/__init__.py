"""Trainable models: ANN baselines and AMNs, as a scikit-learn estimator over torch modules.

- :class:`AMNRegressor`: the estimator (``fit``/``predict``/``save``/``load``);
- :class:`FluxAMNRegressor`: every measured flux of a condition, knockouts as masks (prior + steady-state projection);
- :func:`save_model` / :func:`load_model_dir`: functional forms of ``save`` and ``load``;
- :data:`ARCHITECTURES` (names) and :func:`get_architecture` (their :class:`Architecture` records).

The names are imported on first use, so the command line lists :data:`ARCHITECTURES`
(from :mod:`amn.models.names`) without importing PyTorch.
"""

from amn._lazy import lazy_names

#: Public name -> the module that defines it, imported on first use.
_LAZY = {
    **dict.fromkeys(["AMN", "Architecture", "build_module", "get_architecture"], "amn.models.architectures"),
    "ARCHITECTURES": "amn.models.names",
    "Dense": "amn.models.dense",
    **dict.fromkeys(["AMNRegressor", "load_model_dir", "save_model"], "amn.models.estimator"),
    "FluxAMNRegressor": "amn.models.flux",
}

__getattr__, __dir__ = lazy_names(__name__, _LAZY)


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
