"""Trainable models: ANN baselines and AMNs, as a scikit-learn estimator over torch modules."""

from amn.models.architectures import AMN, ARCHITECTURES, build_module
from amn.models.dense import Dense
from amn.models.estimator import AMNRegressor

__all__ = ["AMN", "AMNRegressor", "ARCHITECTURES", "Dense", "build_module"]
