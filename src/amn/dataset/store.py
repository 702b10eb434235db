"""Dataset files: chunks written atomically while generating, one self-describing file at the end.

Format: NumPy ``.npz`` (read with ``allow_pickle=False``) holding ``X``,
``Y``, ``growth``, ``sample`` (the sample index of each row), the column ids,
and ``metadata`` as a JSON string.  Why: it stores float64 exactly, needs no
dependency beyond NumPy, loads without pickle (no code runs on load), and an
``.npz`` is written to a temporary name and renamed, so a file under the final
name is always complete.

While a run is in progress its chunks live in ``<out>.partial/`` beside a
``manifest.json`` of the run's parameters; a rerun with the same parameters
reuses every chunk there, and the final file is assembled from them.  A run
holds the lock of that directory meanwhile (:mod:`amn.dataset.lock`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from amn.errors import DatasetMismatchError, InputFileNotFoundError, id_list
from amn.network.knockouts import KO_PREFIX
from amn.network.unidirectional import UnidirectionalNetwork, ensure_network

ARRAYS = ("X", "Y", "growth", "sample")
OPTIONAL = ("wild_type_growth",)  # knockout datasets: the growth of the wild type on each medium


@dataclass
class Dataset:
    """A training set, as :func:`load_dataset` returns it.

    Attributes
    ----------
    X : pandas.DataFrame
        Inputs: the medium uptakes, then the knockout indicators ``KO:<gene>`` if any.
    Y : pandas.DataFrame
        Outputs: fluxes, by unidirectional reaction id.
    growth : pandas.Series
        Growth rate of each sample.
    metadata : dict
        How the set was made (model, sha256 of the network, medium, method, seed, ...).
    wild_type_growth : pandas.Series or None
        Knockout sets: the growth of the wild type on each sample's medium.
    """

    X: pd.DataFrame
    Y: pd.DataFrame
    growth: pd.Series
    metadata: dict
    wild_type_growth: pd.Series | None = None

    @property
    def infeasible(self) -> list[dict]:
        """Draws that stayed below the growth threshold after every redraw."""
        return self.metadata.get("infeasible", [])

    @property
    def medium_ids(self) -> list[str]:
        """The medium columns of ``X`` (all but the ``KO:`` indicators)."""
        return [c for c in self.X.columns if not str(c).startswith(KO_PREFIX)]

    @property
    def bound(self) -> str:
        """What ``X`` holds: ``UB`` (uptake bounds given) or ``EB`` (uptake fluxes used)."""
        return self.metadata.get("bound", "UB")

    @property
    def model_source(self) -> str | None:
        """The model the set was generated from, as given then (path, BiGG id, ``textbook``), if recorded."""
        return self.metadata.get("model_source")

    def to_csv(self, prefix: str | Path) -> tuple[Path, Path]:
        """Write ``<prefix>_X.csv`` and ``<prefix>_Y.csv`` (index = sample number).

        Parameters
        ----------
        prefix : str or Path

        Returns
        -------
        tuple of Path
            The X and Y files.
        """
        x_path, y_path = Path(f"{prefix}_X.csv"), Path(f"{prefix}_Y.csv")
        self.X.to_csv(x_path)
        self.Y.to_csv(y_path)
        return x_path, y_path


def _atomic_savez(path: Path, **arrays: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def partial_dir(out: Path) -> Path:
    """The chunk directory of a run writing ``out``: ``<out>.partial``."""
    return Path(f"{out}.partial")


def open_partial(out: Path, manifest: dict) -> Path:
    """The chunk directory of ``out``, created with its manifest if new.

    Parameters
    ----------
    out : Path
        The dataset file the run writes.
    manifest : dict
        The run's parameters (JSON-serialisable).

    Returns
    -------
    Path
        The chunk directory.

    Raises
    ------
    DatasetMismatchError
        The directory was left by a run with other parameters.
    """
    directory = partial_dir(out)
    path = directory / "manifest.json"
    if path.exists():
        previous = json.loads(path.read_text())
        if previous != manifest:
            changed = sorted(k for k in set(previous) | set(manifest) if previous.get(k) != manifest.get(k))
            raise DatasetMismatchError(
                f"{directory}: left by a run with other parameters ({', '.join(changed)}); delete it to start over"
            )
    else:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / "manifest.json.tmp"
        tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
        os.replace(tmp, path)
    return directory


def chunk_path(directory: Path, index: int) -> Path:
    """The file of chunk ``index`` in a chunk directory."""
    return directory / f"chunk_{index:06d}.npz"


def write_chunk(directory: Path, index: int, arrays: dict[str, np.ndarray], infeasible: list[dict]) -> None:
    """Write one chunk atomically (its infeasible draws as a JSON string inside).

    Parameters
    ----------
    directory : Path
        The chunk directory (:func:`open_partial`).
    index : int
        The chunk number.
    arrays : dict of str to numpy.ndarray
        ``X``, ``Y``, ``growth``, ``sample`` (and ``wild_type_growth``).
    infeasible : list of dict
        The draws of the chunk that stayed infeasible.
    """
    _atomic_savez(chunk_path(directory, index), **arrays, infeasible=np.array(json.dumps(infeasible)))


def done_chunks(directory: Path) -> set[int]:
    """Numbers of the chunks already written in a chunk directory."""
    return {int(p.stem.split("_")[1]) for p in directory.glob("chunk_*.npz")}


def assemble(directory: Path, out: Path, n_chunks: int, x_columns, y_columns, metadata: dict) -> Dataset:
    """Concatenate the chunks in order into ``out`` (atomically), then remove the chunk directory.

    Parameters
    ----------
    directory : Path
        The chunk directory.
    out : Path
        The dataset file to write.
    n_chunks : int
        Number of chunks (all must be written).
    x_columns, y_columns : sequence of str
        Column ids of X and Y.
    metadata : dict
        Stored with the samples count and the infeasible draws.

    Returns
    -------
    Dataset
        The file read back.
    """
    parts: dict[str, list] = {}
    infeasible: list[dict] = []
    for index in range(n_chunks):
        with np.load(chunk_path(directory, index), allow_pickle=False) as chunk:
            for name in (*ARRAYS, *(n for n in OPTIONAL if n in chunk.files)):
                parts.setdefault(name, []).append(chunk[name])
            infeasible += json.loads(str(chunk["infeasible"]))
    arrays = {name: np.concatenate(values) for name, values in parts.items()}
    metadata = {**metadata, "samples": len(arrays["sample"]), "infeasible": infeasible}
    _atomic_savez(
        out,
        **arrays,
        x_columns=np.array(list(x_columns), dtype=str),
        y_columns=np.array(list(y_columns), dtype=str),
        metadata=np.array(json.dumps(metadata)),
    )
    shutil.rmtree(directory)
    return load_dataset(out)


def load_dataset(path: str | Path) -> Dataset:
    """Read a dataset written by ``amn generate`` (:func:`amn.dataset.generate`).

    Parameters
    ----------
    path : str or Path
        The ``.npz`` file.

    Returns
    -------
    Dataset
        X and Y as DataFrames indexed by sample number.

    Raises
    ------
    InputFileNotFoundError
        The file does not exist.
    DatasetMismatchError
        The file is not an amn dataset (truncated, corrupt, other content).
    """
    path = Path(path)
    if not path.exists():
        raise InputFileNotFoundError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):  # np.load would try it as a pickle and say so
        raise DatasetMismatchError(f"{path}: not an amn dataset (not an .npz archive, as `amn generate` writes)")
    try:
        with np.load(path, allow_pickle=False) as data:
            names = (*ARRAYS, "x_columns", "y_columns", "metadata", *(n for n in OPTIONAL if n in data.files))
            arrays = {name: data[name] for name in names}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:  # truncated or corrupt files
        raise DatasetMismatchError(f"{path}: not an amn dataset ({str(exc).splitlines()[0]})") from None
    index = pd.Index(arrays["sample"], name="sample")
    return Dataset(
        X=pd.DataFrame(arrays["X"], index=index, columns=list(arrays["x_columns"])),
        Y=pd.DataFrame(arrays["Y"], index=index, columns=list(arrays["y_columns"])),
        growth=pd.Series(arrays["growth"], index=index, name="growth"),
        metadata=json.loads(str(arrays["metadata"])),
        wild_type_growth=(pd.Series(arrays["wild_type_growth"], index=index, name="wild_type_growth")
                          if "wild_type_growth" in arrays else None),
    )


def network_of(dataset: Dataset, model=None) -> UnidirectionalNetwork:
    """The network a dataset was generated on, checked by its sha256.

    Parameters
    ----------
    dataset : Dataset
    model : str, Path, cobra.Model or UnidirectionalNetwork, optional
        The model the set was generated on; default: the one it records
        (:attr:`Dataset.model_source`).

    Returns
    -------
    UnidirectionalNetwork

    Raises
    ------
    DatasetMismatchError
        The dataset records no model and none is given, or the model is not
        the network the dataset was generated on.
    ModelLoadError
        The model cannot be read.
    """
    source = model if model is not None else dataset.model_source
    if source is None:
        raise DatasetMismatchError("the dataset does not record its model; pass the model it was generated on")
    network = ensure_network(source)
    if network.sha256() != dataset.metadata.get("model_sha256"):
        raise DatasetMismatchError(f"model {source} is not the network the dataset was generated on (sha256 differs)")
    return network


def check_network(dataset: Dataset, network: UnidirectionalNetwork, name: str = "the dataset",
                  other: str = "the network") -> None:
    """Check that a dataset was generated on ``network`` (by sha256).

    Parameters
    ----------
    dataset : Dataset
    network : UnidirectionalNetwork
        E.g. the network of a trained model.
    name, other : str
        Name the dataset and the network in the message.

    Raises
    ------
    DatasetMismatchError
        ``"<name>: generated on another network than <other>"``.
    """
    if dataset.metadata.get("model_sha256") != network.sha256():
        raise DatasetMismatchError(f"{name}: generated on another network than {other}")


def check_medium(dataset: Dataset, medium: list[str], name: str = "the dataset", other: str = "the model") -> None:
    """Check that a dataset's media are made of the uptakes ``medium`` (a trained model's ``medium_``).

    A model ignores inputs it was not trained on, so scoring it on media that open other uptakes would
    silently score something else.

    Raises
    ------
    DatasetMismatchError
        ``"<name>: its uptakes differ from those of <other>: not in the model: ...; missing: ..."``.
    """
    inputs, known = dataset.medium_ids, set(medium)
    extra, missing = [c for c in inputs if c not in known], [c for c in medium if c not in set(inputs)]
    if extra or missing:
        raise DatasetMismatchError(f"{name}: its uptakes differ from those of {other}: " + "; ".join(
            f"{what} {id_list(ids)}" for what, ids in (("not in the model:", extra), ("missing:", missing)) if ids))
