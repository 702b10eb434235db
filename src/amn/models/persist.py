"""Saving and loading trained models: safetensors weights + JSON description, no pickle.

A model directory holds ``model.safetensors`` (the module's weights),
``model.json`` (architecture, hyper-parameters, medium/measured/reaction ids, knockout genes,
the network's sha256, metrics, training history) and ``network.xml`` (the
unidirectional network it was trained on), so it can be used anywhere.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from amn._version import __version__
from amn.errors import DatasetMismatchError, ModelLoadError
from amn.models.architectures import build_module
from amn.models.estimator import AMNRegressor, resolve_device
from amn.network import (
    Knockouts,
    UnidirectionalNetwork,
    ensure_network,
    make_unidirectional,
)
from amn.training.checkpoint import load_weights

FORMAT = "amn-model/1"


def _jsonable(value):
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


def save_model(estimator: AMNRegressor, directory: str | Path, metrics: dict | None = None) -> Path:
    """Write a fitted estimator to ``directory`` (created if needed)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    params = estimator.get_params()
    params["network"] = "network.xml"
    description = {
        "format": FORMAT,
        "package_version": __version__,
        "arch": estimator.arch,
        "params": _jsonable(params),
        "medium": estimator.medium_,
        "measured": estimator.measured_,
        "knockout_genes": estimator.knockout_genes_,
        "reaction_ids": estimator.network_.reaction_ids,
        "network_sha256": estimator.network_.sha256(),
        "n_params": estimator.n_params_,
        "loss_scales": estimator.loss_scales_,
        "input_min": estimator.input_min_,
        "input_max": estimator.input_max_,
        "best_epoch": estimator.best_epoch_,
        "seconds_per_epoch": estimator.seconds_per_epoch_,
        "history": _jsonable(estimator.history_),
        "metrics": _jsonable(metrics or {}),
    }
    state = {k: v.detach().cpu().contiguous() for k, v in estimator.module_.state_dict().items()}
    save_file(state, str(directory / ".model.safetensors.tmp"))
    os.replace(directory / ".model.safetensors.tmp", directory / "model.safetensors")
    estimator.network_.write_sbml(directory / "network.xml")
    (directory / "model.json").write_text(json.dumps(description, indent=1))
    return directory


def load_model_dir(directory: str | Path, network: UnidirectionalNetwork | str | None = None) -> AMNRegressor:
    """A fitted estimator from ``directory``; ``network`` (optional) must be the one it was trained on."""
    directory = Path(directory)
    for name in ("model.json", "model.safetensors"):
        if not (directory / name).exists():
            raise ModelLoadError(f"{directory}: not a saved model (missing {name})")
    try:
        description = json.loads((directory / "model.json").read_text())
    except json.JSONDecodeError as exc:
        raise ModelLoadError(f"{directory / 'model.json'}: not valid JSON ({exc.msg})") from None
    if description.get("format") != FORMAT:
        raise ModelLoadError(f"{directory / 'model.json'}: unknown format {description.get('format')!r}")
    if network is None:
        if not (directory / "network.xml").exists():
            raise ModelLoadError(f"{directory}: missing network.xml; pass the network the model was trained on")
        net = make_unidirectional(directory / "network.xml")
    else:
        net = ensure_network(network)
    if net.sha256() != description["network_sha256"]:
        raise DatasetMismatchError(
            f"{directory}: the model was trained on another network (sha256 {description['network_sha256'][:12]}..., "
            f"given {net.sha256()[:12]}...)"
        )
    params = {**description["params"], "network": net}
    estimator = AMNRegressor(**params)
    estimator.device_ = resolve_device(estimator.device)
    estimator.network_ = net
    estimator.medium_ = description["medium"]
    estimator.measured_ = description["measured"]
    estimator.knockout_genes_ = description.get("knockout_genes", [])
    estimator.knockouts_ = Knockouts(net)
    module, mats = build_module(estimator.arch, net, estimator.medium_, estimator.measured_, estimator.bound,
                                estimator.hidden, estimator.dropout, estimator.layer_params or {},
                                len(estimator.knockout_genes_))
    load_weights(module, load_file(str(directory / "model.safetensors")))
    estimator.module_ = module.to(device=estimator.device_, dtype=getattr(torch, estimator.dtype))
    estimator.loss_scales_ = description["loss_scales"]
    estimator.input_min_ = description["input_min"]
    estimator.input_max_ = description["input_max"]
    estimator.loss_ = estimator._loss(mats)
    estimator.history_ = description["history"]
    estimator.best_epoch_ = description["best_epoch"]
    estimator.seconds_per_epoch_ = description["seconds_per_epoch"]
    estimator.n_params_ = description["n_params"]
    estimator.metrics_ = description["metrics"]
    return estimator
