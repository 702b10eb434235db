"""Checkpoint folders of resumable runs: which run left them.

A cross-validation with a ``workdir`` (:func:`~amn.evaluation.validation.cross_validate`) keeps a
record of every finished fold and resumes from them.  Fold records only say which rows a fold
validated, so a rerun with another table, model or setting could read them back as its own.
:func:`claim_run` writes what decides a run to ``run.json`` in the folder once; a rerun resumes only
when it matches, and is refused with one line otherwise.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from amn.errors import ParameterError

#: The file in a checkpoint folder that says which run left it.
RUN_RECORD = "run.json"


def frame_digest(*frames: pd.DataFrame | pd.Series | None) -> str | None:
    """sha256 of the column names and values of ``frames`` (None when every frame is None)."""
    if all(frame is None for frame in frames):
        return None
    digest = hashlib.sha256()
    for frame in frames:
        if frame is None:
            continue
        frame = frame.to_frame() if isinstance(frame, pd.Series) else frame
        digest.update("\n".join(map(str, frame.columns)).encode())
        digest.update(frame.to_numpy(dtype=float).tobytes())
    return digest.hexdigest()


def path_digest(path: str | Path | None) -> str | None:
    """sha256 of a file, or of the files directly in a folder (names and contents: a saved model's JSON,
    weights and network; subfolders such as its checkpoints are left out); None for None."""
    if path is None:
        return None
    path = Path(path)
    digest = hashlib.sha256()
    for file in [path] if path.is_file() else sorted(p for p in path.iterdir() if p.is_file()):
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def claim_run(folder: str | Path, settings: Mapping[str, object]) -> None:
    """Mark ``folder`` as the checkpoints of the run described by ``settings``, or refuse it.

    Parameters
    ----------
    folder : path
        The checkpoint folder (created when missing).
    settings : mapping
        What decides the run's results (parameters, digests of its inputs); values are stored as JSON
        (others as their ``str``).

    Raises
    ------
    ParameterError
        The folder holds checkpoints of another run (the settings that differ are named), or
        checkpoints without a record.
    """
    folder = Path(folder)
    settings = json.loads(json.dumps(dict(settings), default=str))
    record = folder / RUN_RECORD
    if record.exists():
        before = json.loads(record.read_text())
        changed = [k for k in sorted(set(before) | set(settings)) if before.get(k) != settings.get(k)]
        if changed:
            raise ParameterError(f"{folder}: left by a run with another {', '.join(changed)}; rerun that run "
                                 "to resume it, or delete the folder to start over")
        return
    if folder.exists() and any(folder.iterdir()):
        raise ParameterError(f"{folder}: checkpoints of an unknown run (no {RUN_RECORD}); delete the folder to "
                             "start over")
    folder.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(settings, indent=1, sort_keys=True))
