"""Helpers shared by the benchmark scripts (imported as ``_common``: the scripts run as ``python benchmarks/X.py``)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import amn
from amn.dataset import load_dataset


def data_dir(path: Path | None, prefix: str) -> Path:
    """The directory a benchmark keeps its datasets in: ``path`` (created), or a fresh temporary one.

    Parameters
    ----------
    path : Path, optional
        A directory given on the command line (``--workdir``): a rerun reuses what it holds.
    prefix : str
        Prefix of the temporary directory, e.g. ``"amn-table-"``.

    Returns
    -------
    Path
    """
    out = path or Path(tempfile.mkdtemp(prefix=prefix))
    out.mkdir(parents=True, exist_ok=True)
    return out


def dataset(network, media, path: Path, **options):
    """The seeded dataset at ``path``: read back when an earlier run (same ``--workdir``) wrote it.

    Parameters
    ----------
    network : UnidirectionalNetwork
    media
        A media sampler (``RandomMedia``, ``GuidedMedia``).
    path : Path
        The ``.npz`` file of the dataset.
    **options
        Passed to :func:`amn.generate` (``seed``, ``bound``, ``knockouts``, ``workers``, ...).

    Returns
    -------
    Dataset
    """
    return load_dataset(path) if path.exists() else amn.generate(network, media, path, progress=False, **options)


def fold_progress(name: str, done: int, total: int) -> None:
    """Progress of a cross-validation on standard error: ``  <name>: fold <done>/<total>``, one line per method."""
    print(f"\r  {name}: fold {done}/{total}", end="\n" if done == total else "", file=sys.stderr, flush=True)
