"""Training: the AMN loss and the training loop with checkpoints."""

from amn.training.loss import AMNLoss, LossWeights
from amn.training.trainer import TrainConfig, TrainResult, train

__all__ = ["AMNLoss", "LossWeights", "TrainConfig", "TrainResult", "train"]
