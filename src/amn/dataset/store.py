"""Dataset files: chunks written atomically while generating, one self-describing file at the end.

Format: NumPy ``.npz`` (read with ``allow_pickle=False``) holding ``X``,
``Y``, ``growth``, ``sample`` (the sample index of each row), the column ids,
and ``metadata`` as a JSON string.  Why: it stores float64 exactly, needs no
dependency beyond NumPy, loads without pickle (no code runs on load), and an
``.npz`` is written to a temporary name and renamed, so a file under the final
name is always complete.

While a run is in progress its chunks live in ``<out>.partial/`` beside a
``manifest.json`` of the run's parameters; a rerun with the same parameters
reuses every chunk there, and the final file is assembled from them.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from amn.errors import DatasetMismatchError

ARRAYS = ("X", "Y", "growth", "sample")
OPTIONAL = ("wild_type_growth",)  # knockout datasets: the growth of the wild type on each medium


@dataclass
class Dataset:
    """A training set: inputs ``X`` (medium, then knockout indicators if any), outputs ``Y`` (fluxes),
    growth, how it was made, and for knockout sets the wild-type growth on each sample's medium."""

    X: pd.DataFrame
    Y: pd.DataFrame
    growth: pd.Series
    metadata: dict
    wild_type_growth: pd.Series | None = None

    @property
    def infeasible(self) -> list[dict]:
        """Draws that stayed below the growth threshold after every redraw."""
        return self.metadata.get("infeasible", [])

    def to_csv(self, prefix: str | Path) -> tuple[Path, Path]:
        """Write ``<prefix>_X.csv`` and ``<prefix>_Y.csv`` (index = sample number)."""
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
    return Path(f"{out}.partial")


def open_partial(out: Path, manifest: dict) -> Path:
    """The chunk directory of ``out``; refuse one left by a run with other parameters."""
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
    return directory / f"chunk_{index:06d}.npz"


def write_chunk(directory: Path, index: int, arrays: dict[str, np.ndarray], infeasible: list[dict]) -> None:
    """Write one chunk atomically (its infeasible draws as a JSON string inside)."""
    _atomic_savez(chunk_path(directory, index), **arrays, infeasible=np.array(json.dumps(infeasible)))


def done_chunks(directory: Path) -> set[int]:
    return {int(p.stem.split("_")[1]) for p in directory.glob("chunk_*.npz")}


def assemble(directory: Path, out: Path, n_chunks: int, x_columns, y_columns, metadata: dict) -> Dataset:
    """Concatenate the chunks in order into ``out`` (atomically), then remove the chunk directory."""
    parts: dict[str, list] = {}
    infeasible: list[dict] = []
    for index in range(n_chunks):
        with np.load(chunk_path(directory, index), allow_pickle=False) as chunk:
            for name in (*ARRAYS, *(n for n in OPTIONAL if n in chunk.files)):
                parts.setdefault(name, []).append(chunk[name])
            infeasible += json.loads(str(chunk["infeasible"]))
    arrays = {name: np.concatenate(values) for name, values in parts.items()}
    metadata = {**metadata, "samples": int(len(arrays["sample"])), "infeasible": infeasible}
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
    """Read a dataset written by ``amn generate``; X and Y come back as DataFrames."""
    path = Path(path)
    if not path.exists():
        raise DatasetMismatchError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as data:
            names = (*ARRAYS, "x_columns", "y_columns", "metadata", *(n for n in OPTIONAL if n in data.files))
            arrays = {name: data[name] for name in names}
    except (OSError, ValueError, KeyError) as exc:
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
