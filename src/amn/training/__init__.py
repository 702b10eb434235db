"""Training: the AMN loss, the training loop with checkpoints, scores."""

from amn.training.loss import AMNLoss, LossWeights
from amn.training.metrics import r2
from amn.training.trainer import TrainConfig, TrainResult, train

__all__ = ["AMNLoss", "LossWeights", "TrainConfig", "TrainResult", "r2", "train"]
