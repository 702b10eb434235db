"""Training: the AMN loss and the training loop with checkpoints.

- :class:`AMNLoss`, :class:`LossWeights`: fit to the measured fluxes plus the mechanistic terms;
- :func:`train`, :class:`TrainConfig`, :class:`TrainResult`: mini-batch Adam with early
  stopping, resumable from per-epoch checkpoints (:mod:`amn.training.checkpoint`: safetensors
  and JSON, no pickle).
"""

from amn.training.loss import AMNLoss, LossWeights
from amn.training.trainer import TrainConfig, TrainResult, train

__all__ = ["AMNLoss", "LossWeights", "TrainConfig", "TrainResult", "train"]
