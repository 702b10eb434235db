"""Training checkpoints in safetensors + JSON (no pickle), written atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

WEIGHTS, STATE = "checkpoint.safetensors", "checkpoint.json"


def _optimizer_tensors(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    state = optimizer.state_dict()
    tensors, scalars = {}, {}
    for index, values in state["state"].items():
        for key, value in values.items():
            if torch.is_tensor(value):
                tensors[f"optimizer.{index}.{key}"] = value.detach().cpu().contiguous()
            else:
                scalars[f"{index}.{key}"] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def save_checkpoint(directory: Path, module: torch.nn.Module, optimizer: torch.optim.Optimizer,
                    best_state: dict[str, torch.Tensor], rng: dict[str, torch.Tensor], record: dict) -> None:
    """Save the state of a training run: weights in ``checkpoint.safetensors``, the rest in ``checkpoint.json``.

    Both are written to temporary files first and renamed, weights first, so a
    record always has its weights, even when the process dies mid-write.

    Parameters
    ----------
    directory : pathlib.Path
        Created if needed.
    module : torch.nn.Module
        The model, at its current weights.
    optimizer : torch.optim.Optimizer
        Its state (moments, step counts) and parameter groups.
    best_state : dict of str to Tensor
        The best weights so far.
    rng : dict of str to Tensor
        RNG states to restore on resumption.
    record : dict
        JSON-ready progress (config, epoch, history, ...).
    """
    directory.mkdir(parents=True, exist_ok=True)
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    tensors.update({f"best.{k}": v.detach().cpu().contiguous() for k, v in best_state.items()})
    tensors.update({f"rng.{k}": v.contiguous() for k, v in rng.items()})
    opt_tensors, opt_json = _optimizer_tensors(optimizer)
    tensors.update(opt_tensors)
    tmp_weights, tmp_state = directory / f".{WEIGHTS}.tmp", directory / f".{STATE}.tmp"
    save_file(tensors, str(tmp_weights))
    tmp_state.write_text(json.dumps({**record, "optimizer": opt_json}))
    # weights first, then the record that points at them: a record always has its weights
    os.replace(tmp_weights, directory / WEIGHTS)
    os.replace(tmp_state, directory / STATE)


def load_weights(module: torch.nn.Module, tensors: dict[str, torch.Tensor]) -> None:
    """``module.load_state_dict`` (strict), tolerant of files that still store the network's matrices.

    Files written before the network-derived matrices (S, StS, ...) became
    non-persistent buffers hold copies of them: those are dropped, as the
    module rebuilds them from the network.

    Parameters
    ----------
    module : torch.nn.Module
    tensors : dict of str to Tensor
        A state dict.
    """
    derived = {name for name, _ in module.named_buffers()} - set(module.state_dict())
    module.load_state_dict({k: v for k, v in tensors.items() if k not in derived})


def checkpoint_epochs(directory: Path) -> int:
    """Number of epochs a checkpoint directory holds (0 when it holds none): those a resumed run skips.

    Parameters
    ----------
    directory : pathlib.Path

    Returns
    -------
    int
        The length of the recorded history.
    """
    try:
        return len(json.loads((Path(directory) / STATE).read_text())["history"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def load_checkpoint(directory: Path, module: torch.nn.Module, optimizer: torch.optim.Optimizer):
    """Restore a checkpoint written by :func:`save_checkpoint` into ``module`` and ``optimizer``.

    Parameters
    ----------
    directory : pathlib.Path
    module : torch.nn.Module
    optimizer : torch.optim.Optimizer

    Returns
    -------
    tuple or None
        ``(record, best_state, rng)``, or None when ``directory`` holds no checkpoint.
    """
    if not (directory / STATE).exists():
        return None
    record = json.loads((directory / STATE).read_text())
    tensors = load_file(str(directory / WEIGHTS))
    load_weights(module, {k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    best = {k[5:]: v for k, v in tensors.items() if k.startswith("best.")}
    rng = {k[4:]: v for k, v in tensors.items() if k.startswith("rng.")}
    opt = record.pop("optimizer")
    state: dict = {}
    for key, value in tensors.items():
        if key.startswith("optimizer."):
            _, index, name = key.split(".", 2)
            state.setdefault(int(index), {})[name] = value
    for key, value in opt["scalars"].items():
        index, name = key.split(".", 1)
        state.setdefault(int(index), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": opt["param_groups"]})
    return record, best, rng
