"""One run at a time on a dataset file: an exclusive lock in its chunk directory.

A run holds ``flock`` on ``<out>.partial/lock`` (holding its pid) while it
writes; a second run on the same file is refused with a one-line message.
The kernel releases the lock of a process that dies, even by ``kill -9``, so a
stale lock never blocks a resume.  Where ``fcntl`` is missing (not POSIX),
runs are not locked.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from amn.dataset.store import done_chunks, partial_dir
from amn.errors import DatasetMismatchError, ParameterError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None

LOCK = "lock"


def _try_lock(directory: Path, out: Path) -> int | None:
    """The descriptor of the locked lock file; None when another process holds it."""
    path = directory / LOCK
    while True:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise ParameterError(f"{out}: cannot write beside it ({exc.strerror}: {exc.filename})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        try:  # the holder may have removed the file between our open and our lock: lock the new one
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


def _busy(directory: Path, out: Path) -> DatasetMismatchError:
    try:
        pid = (directory / LOCK).read_text().strip()
    except OSError:
        pid = ""
    holder = f" (pid {pid})" if pid.isdigit() else ""
    return DatasetMismatchError(f"{out}: another run is writing it{holder}; wait for it to end, or write elsewhere")


def check_not_busy(out: str | Path) -> None:
    """Refuse early when another live run holds the lock of ``out``; creates nothing.

    Parameters
    ----------
    out : str or Path
        The dataset file.

    Raises
    ------
    DatasetMismatchError
        Another process is writing ``out``.
    """
    out = Path(out)
    directory = partial_dir(out)
    if fcntl is None:
        return
    try:
        fd = os.open(directory / LOCK, os.O_RDWR)
    except OSError:  # no lock file (or none we can open): nobody holds it
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise _busy(directory, out) from None
    finally:
        os.close(fd)  # releases the lock if we took it


@contextmanager
def lock_partial(out: str | Path) -> Iterator[Path]:
    """Hold the exclusive lock of the chunk directory of ``out`` while a run writes it.

    The directory is created if needed, and removed on leaving when this run
    created it and wrote no chunk into it.

    Parameters
    ----------
    out : str or Path
        The dataset file the run writes.

    Yields
    ------
    Path
        The chunk directory.

    Raises
    ------
    DatasetMismatchError
        Another live process holds the lock (its pid is named).
    ParameterError
        The directory cannot be created (e.g. a regular file is in the way).
    """
    out = Path(out)
    directory = partial_dir(out)
    created = not directory.exists()
    fd = None
    if fcntl is not None:
        fd = _try_lock(directory, out)
        if fd is None:
            raise _busy(directory, out)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
    try:
        yield directory
    finally:
        if created and directory.is_dir() and not done_chunks(directory):
            shutil.rmtree(directory, ignore_errors=True)
        if fd is not None:
            os.close(fd)
