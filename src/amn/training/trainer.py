"""Mini-batch training with Adam, early stopping on a validation split, checkpoints and resumption."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from amn.errors import ParameterError
from amn.training.checkpoint import load_checkpoint, save_checkpoint
from amn.training.loss import TERMS, AMNLoss


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings, stored as given (and in checkpoints, to refuse resuming another run).

    Parameters
    ----------
    epochs : int
        Maximum number of passes over the training data.
    batch_size : int
        Mini-batch size.
    lr : float
        Adam's learning rate.
    weight_decay : float
        Adam's weight decay.
    patience : int
        Epochs without a better watched loss before stopping early.
    seed : int
        Seeds the initial weights' RNG and the shuffling.
    compile : bool
        Compile the training step with :func:`torch.compile`.
    """

    epochs: int = 100
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.0
    patience: int = 20
    seed: int = 0
    compile: bool = False

    def as_dict(self) -> dict:
        """The settings as a JSON-ready dict."""
        return asdict(self)


@dataclass
class TrainResult:
    """What :func:`train` returns.

    Attributes
    ----------
    history : list of dict
        One row per epoch: ``epoch``, ``train_loss`` and ``train_<term>``, ``val_loss`` and
        ``val_<term>`` (with validation data), ``seconds``.
    best_epoch : int
        The epoch whose weights the module was left with.
    resumed_epochs : int
        Epochs of ``history`` restored from a checkpoint (0 for a fresh run); the others ran in this call.
    """

    history: list[dict]
    best_epoch: int
    resumed_epochs: int = 0

    @property
    def seconds_per_epoch(self) -> float:
        """Mean duration of an epoch, over every epoch of the history (NaN before any)."""
        return float(np.mean([row["seconds"] for row in self.history])) if self.history else float("nan")

    @property
    def seconds_per_epoch_run(self) -> float:
        """Mean duration of the epochs run in this call, resumed ones left out (NaN if none ran)."""
        ran = self.history[self.resumed_epochs:]
        return float(np.mean([row["seconds"] for row in ran])) if ran else float("nan")


def _fused_ok(module: torch.nn.Module) -> bool:
    """Fused Adam (one kernel for all parameters) where PyTorch has it for these tensors."""
    params = list(module.parameters())
    return bool(params) and all(p.dtype in (torch.float32, torch.float64) and p.device.type in ("cpu", "cuda") for p in params)


def _snapshot(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _evaluate(module: torch.nn.Module, loss: AMNLoss, X: torch.Tensor, Y: torch.Tensor, batch: int = 1024) -> dict[str, float]:
    module.eval()
    sums: dict[str, float] = {}
    with torch.no_grad():
        for start in range(0, len(X), batch):
            xb, yb = X[start:start + batch], Y[start:start + batch]
            total, terms = loss(module(xb), xb, yb)
            for name, value in {"loss": total, **terms}.items():
                sums[name] = sums.get(name, 0.0) + float(value) * len(xb)
    return {name: value / len(X) for name, value in sums.items()}


def train(
    module: torch.nn.Module,
    loss: AMNLoss,
    X: torch.Tensor,
    Y: torch.Tensor,
    config: TrainConfig,
    X_val: torch.Tensor | None = None,
    Y_val: torch.Tensor | None = None,
    checkpoint_dir: Path | None = None,
    progress: bool = False,
    description: str = "train",
    on_epoch: Callable[[int], None] | None = None,
) -> TrainResult:
    """Train ``module`` in place with Adam and leave it with the weights of the best epoch.

    Early stopping watches the validation loss (the training loss when no
    validation data is given).  With ``checkpoint_dir``, the full state is saved
    after every epoch and a later call with the same directory and config
    resumes where it stopped, with the same result as an uninterrupted run.
    ``config.compile`` compiles the training step with ``torch.compile``
    (needs a C++ compiler on CPU; about 20 s once, then about 2x faster steps).

    Parameters
    ----------
    module : torch.nn.Module
        Maps a batch of ``X`` to the predictions ``loss`` takes.
    loss : AMNLoss
        Called as ``loss(module(xb), xb, yb)``.
    X, Y : Tensor
        Training inputs and targets (first dimension: samples).
    config : TrainConfig
        Optimisation settings.
    X_val, Y_val : Tensor, optional
        Validation data, for early stopping.
    checkpoint_dir : pathlib.Path, optional
        Where to save (and resume from) the state after every epoch.
    progress : bool
        Show a progress bar.
    description : str
        Label of the progress bar.
    on_epoch : callable, optional
        Called with the epoch number after every epoch.

    Returns
    -------
    TrainResult

    Raises
    ------
    ParameterError
        If ``checkpoint_dir`` holds the checkpoint of a run with another config
        (a ``ValueError`` too).

    Examples
    --------
    >>> import torch
    >>> from amn.training import AMNLoss, TrainConfig, train
    >>> X = torch.linspace(0, 1, 64).unsqueeze(1)
    >>> module = torch.nn.Linear(1, 1)
    >>> loss = AMNLoss(torch.zeros(0, 1), torch.tensor([0]), torch.tensor([0]), all_fluxes=False)
    >>> result = train(module, loss, X, 2 * X, TrainConfig(epochs=300, batch_size=16, lr=0.05))
    >>> round(module.weight.item(), 2), len(result.history) <= 300
    (2.0, True)
    """
    torch.manual_seed(config.seed)
    shuffle = torch.Generator().manual_seed(config.seed)
    optimizer = torch.optim.Adam(module.parameters(), lr=config.lr, weight_decay=config.weight_decay, fused=_fused_ok(module))

    def step(xb: torch.Tensor, yb: torch.Tensor):
        return loss(module(xb), xb, yb)

    if config.compile:
        # one fused kernel per step instead of dozens of small ops: 2x faster on small batches
        step = torch.compile(step, dynamic=False)
    history: list[dict] = []
    resumed = 0
    best_state = _snapshot(module)
    best_loss, best_epoch, start_epoch = float("inf"), 0, 0
    if checkpoint_dir is not None:
        restored = load_checkpoint(checkpoint_dir, module, optimizer)
        if restored is not None:
            record, best_state, rng = restored
            if record["config"] != config.as_dict():
                raise ParameterError(f"{checkpoint_dir}: checkpoint of a run with other settings; delete it to start over")
            history, best_loss, best_epoch = record["history"], record["best_loss"], record["best_epoch"]
            start_epoch, resumed = record["epoch"] + 1, len(history)
            torch.set_rng_state(rng["torch"])
            shuffle.set_state(rng["shuffle"])
    n = len(X)
    bar = tqdm(range(start_epoch, config.epochs), initial=start_epoch, total=config.epochs, desc=description,
               unit="epoch", disable=not progress, leave=False)
    for epoch in bar:
        if epoch - best_epoch > config.patience and history:
            break
        started = time.perf_counter()
        module.train()
        sums = {name: torch.zeros(()) for name in ("loss", *TERMS)}
        order = torch.randperm(n, generator=shuffle)
        for start in range(0, n, config.batch_size):
            index = order[start:start + config.batch_size]
            xb, yb = X[index], Y[index]
            optimizer.zero_grad(set_to_none=True)
            total, terms = step(xb, yb)
            total.backward()
            optimizer.step()
            for name, value in {"loss": total.detach(), **terms}.items():
                sums[name] = sums[name] + value.cpu() * len(index)
        row = {"epoch": epoch, **{f"train_{k}": float(v) / n for k, v in sums.items() if k == "loss" or k in loss.terms_reported}}
        watched = row["train_loss"]
        if X_val is not None and len(X_val):
            val = _evaluate(module, loss, X_val, Y_val)
            row.update({f"val_{k}": v for k, v in val.items()})
            watched = val["loss"]
        row["seconds"] = time.perf_counter() - started
        history.append(row)
        if watched < best_loss:
            best_loss, best_epoch = watched, epoch
            best_state = _snapshot(module)
        bar.set_postfix({k.replace("train_", ""): f"{v:.3g}" for k, v in row.items() if k.startswith(("train_", "val_loss"))})
        if checkpoint_dir is not None:
            save_checkpoint(
                checkpoint_dir, module, optimizer, best_state,
                {"torch": torch.get_rng_state(), "shuffle": shuffle.get_state()},
                {"config": config.as_dict(), "epoch": epoch, "history": history, "best_loss": best_loss, "best_epoch": best_epoch},
            )
        if on_epoch is not None:
            on_epoch(epoch)
    bar.close()
    module.load_state_dict(best_state)
    return TrainResult(history, best_epoch, resumed)
