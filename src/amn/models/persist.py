"""The saved-model file format: safetensors weights + JSON description + SBML network, no pickle.

A model directory holds ``model.safetensors`` (the module's weights),
``model.json`` (architecture, hyper-parameters, medium/measured/reaction ids, knockout genes,
the network's sha256, the weights' sha256, metrics, training history) and ``network.xml`` (the
unidirectional network it was trained on), so it can be used anywhere.  Reading checks
each file: a corrupt or edited weights file fails on its sha256 (directories saved before
it was recorded are checked for non-finite weights only), a network on its sha256.

This module reads and writes those files and validates them; what goes in
the description is the estimator's business (:meth:`AMNRegressor.save
<amn.models.AMNRegressor.save>`, :meth:`AMNRegressor.load
<amn.models.AMNRegressor.load>`).  ``save_model`` and ``load_model_dir`` are
also importable from here (the functional forms live in :mod:`amn.models`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from amn._version import __version__
from amn.data import sha256_of
from amn.errors import DatasetMismatchError, ModelLoadError, id_list
from amn.network import UnidirectionalNetwork, ensure_network, make_unidirectional

FORMAT = "amn-model/1"
DESCRIPTION, WEIGHTS, NETWORK = "model.json", "model.safetensors", "network.xml"
#: Keys every ``model.json`` has (``weights_sha256`` since it is written; the rest read with defaults).
REQUIRED = ("arch", "params", "medium", "measured", "network_sha256", "loss_scales", "input_min", "input_max")
#: The kinds of saved model -> (the estimator that loads it, the command that reads it, if any).
#: ``model.json`` records ``kind``; an :class:`~amn.models.AMNRegressor` (kind ``amn``) records only its ``arch``.
KINDS = {"amn": ("AMNRegressor", "amn predict"), "flux-amn": ("FluxAMNRegressor", None),
         "dynamic-amn": ("DynamicAMN", "amn dynamic predict")}


def model_kind(description: dict) -> str:
    """The kind (a key of :data:`KINDS`) of a ``model.json``: its ``kind``, else its ``arch`` when that names
    a kind (``dynamic-amn``), else ``amn``."""
    kind = description.get("kind", description.get("arch"))
    return kind if kind in KINDS else "amn"


def _jsonable(value):
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


@dataclass(frozen=True)
class SavedModel:
    """The validated contents of a model directory.

    Attributes
    ----------
    directory : Path
    description : dict
        ``model.json``, whose ``format`` is :data:`FORMAT`, with the keys of :data:`REQUIRED`.
    weights : dict of str to torch.Tensor
        ``model.safetensors`` (on the CPU).
    network : UnidirectionalNetwork
        ``network.xml``, or the network given to :func:`read_model_dir`; its sha256 is the saved one.
    """

    directory: Path
    description: dict
    weights: dict
    network: UnidirectionalNetwork


def write_model_dir(directory: str | Path, description: dict, weights: dict[str, torch.Tensor],
                    network: UnidirectionalNetwork) -> Path:
    """Write a model directory (created if needed); the weights are replaced atomically.

    Parameters
    ----------
    directory : str or Path
    description : dict
        What the estimator records (JSON-able after numpy scalars become numbers); ``format``,
        ``package_version``, ``reaction_ids``, ``network_sha256`` and ``weights_sha256`` are added.
    weights : dict of str to torch.Tensor
        The module's ``state_dict``.
    network : UnidirectionalNetwork
        The network the model was trained on, written as ``network.xml``.

    Returns
    -------
    Path
        ``directory``.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    description = {"format": FORMAT, "package_version": __version__, **_jsonable(description)}
    description.setdefault("reaction_ids", network.reaction_ids)
    description.setdefault("network_sha256", network.sha256())
    state = {k: v.detach().cpu().contiguous() for k, v in weights.items()}
    save_file(state, str(directory / f".{WEIGHTS}.tmp"))
    description["weights_sha256"] = sha256_of(directory / f".{WEIGHTS}.tmp")
    os.replace(directory / f".{WEIGHTS}.tmp", directory / WEIGHTS)
    network.write_sbml(directory / NETWORK)
    (directory / DESCRIPTION).write_text(json.dumps(description, indent=1))
    return directory


def read_model_dir(directory: str | Path, network: UnidirectionalNetwork | str | None = None,
                   required: tuple[str, ...] = REQUIRED, kind: str = "amn") -> SavedModel:
    """Read and validate a model directory.

    Parameters
    ----------
    directory : str or Path
    network : UnidirectionalNetwork or str, optional
        The network the model was trained on (default: its ``network.xml``).
    required : tuple of str
        The keys ``model.json`` must have (default: an :class:`~amn.models.AMNRegressor`'s).
    kind : str, default "amn"
        The kind of model expected (:data:`KINDS`); another is refused before the weights and the
        network (a minute at genome scale) are read, naming what reads it.

    Returns
    -------
    SavedModel

    Raises
    ------
    ModelLoadError
        A file is missing, ``model.json`` is not JSON, of another format or kind or lacks keys, the weights
        are not a safetensors file, differ from their recorded sha256 or are not finite.
    DatasetMismatchError
        ``network`` is not the network the model was trained on.
    """
    directory = Path(directory)
    for name in (DESCRIPTION, WEIGHTS):
        if not (directory / name).exists():
            raise ModelLoadError(f"{directory}: not a saved model (missing {name})")
    try:
        description = json.loads((directory / DESCRIPTION).read_text())
    except json.JSONDecodeError as exc:
        raise ModelLoadError(f"{directory / DESCRIPTION}: not valid JSON ({exc.msg})") from None
    if not isinstance(description, dict) or description.get("format") != FORMAT:
        found = description.get("format") if isinstance(description, dict) else None
        raise ModelLoadError(f"{directory / DESCRIPTION}: unknown format {found!r}")
    found = model_kind(description)
    if found != kind:
        reader, command = KINDS[found]
        how = f"{reader}.load" + (f" or `{command}`" if command else "")
        raise ModelLoadError(f"{directory / DESCRIPTION}: saved by {reader}, not by {KINDS[kind][0]}; load it with {how}")
    missing = [key for key in required if key not in description]
    if missing:
        raise ModelLoadError(f"{directory / DESCRIPTION}: lacks {id_list(missing)}")
    weights = _read_weights(directory / WEIGHTS, description.get("weights_sha256"))
    if network is None:
        if not (directory / NETWORK).exists():
            raise ModelLoadError(f"{directory}: missing {NETWORK}; pass the network the model was trained on")
        net = make_unidirectional(directory / NETWORK)
    else:
        net = ensure_network(network)
    if net.sha256() != description["network_sha256"]:
        raise DatasetMismatchError(
            f"{directory}: the model was trained on another network (sha256 {description['network_sha256'][:12]}..., "
            f"given {net.sha256()[:12]}...)"
        )
    return SavedModel(directory, description, weights, net)


def _read_weights(path: Path, sha256: str | None) -> dict[str, torch.Tensor]:
    """The tensors of ``path``, checked against the recorded ``sha256`` (if any) and for finite values."""
    if sha256 is not None and sha256_of(path) != sha256:
        raise ModelLoadError(f"{path}: not the file that was saved (its sha256 differs from the one in {DESCRIPTION}); "
                             "it is corrupt or was changed")
    try:
        weights = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ModelLoadError(f"{path}: not a readable safetensors file ({reason})") from None
    bad = [name for name, tensor in weights.items() if tensor.is_floating_point() and not torch.isfinite(tensor).all()]
    if bad:
        raise ModelLoadError(f"{path}: weights contain NaN or infinite values ({id_list(bad)})")
    return weights
