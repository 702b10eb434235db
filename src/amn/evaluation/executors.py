"""Where the folds of a cross-validation (or the points of a sweep) run: here, or on Dask workers.

A fold is a pure function of the estimator, the data, its split and its seed,
so its result does not depend on where it runs: :class:`InProcess` runs the
jobs one after the other, :class:`DaskExecutor` on a local cluster of
``workers`` processes or on an existing scheduler (``address``), the same
engine as ``amn generate``.  Each worker runs PyTorch on ``threads`` threads,
so that one worker or two give the same numbers.  A job whose worker dies
(killed, out of memory) is rerun by the scheduler on another worker (up to
``retries`` times); results come back as they finish, so callers can record
each one at once and a rerun of the whole command only runs what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from amn.errors import ParameterError

if TYPE_CHECKING:  # typing.Self is Python 3.11+; annotations are not evaluated at runtime
    from typing import Self


class Executor(Protocol):
    """Runs ``fn(*args)`` for each ``args`` and yields ``(position, result)`` as results arrive."""

    def map(self, fn: Callable[..., Any], jobs: Sequence[tuple]) -> Iterator[tuple[int, Any]]: ...


class InProcess:
    """Every job in this process, in order."""

    def map(self, fn: Callable[..., Any], jobs: Sequence[tuple]) -> Iterator[tuple[int, Any]]:
        for position, args in enumerate(jobs):
            yield position, fn(*args)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        return None


def _with_threads(threads: int, fn: Callable[..., Any], *args):
    """``fn(*args)`` with PyTorch (and BLAS) limited to ``threads`` threads, on a worker."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    with threadpool_limits(threads):
        return fn(*args)


class DaskExecutor:
    """Jobs on Dask workers: a local cluster of ``workers`` processes, or the scheduler at ``address``.

    Use it as a context manager: the cluster starts on entry and stops on exit
    (a cluster given by ``address`` is only disconnected from).

    Parameters
    ----------
    workers : int, default 2
        Worker processes of the local cluster (ignored with ``address``).
    address : str, optional
        ``tcp://host:8786`` of a running scheduler.
    threads : int, default 1
        PyTorch / BLAS threads per job.
    retries : int, default 2
        Reruns of a job that raised on a worker; a job whose worker died is
        rescheduled by Dask itself.
    """

    def __init__(self, workers: int = 2, address: str | None = None, threads: int = 1, retries: int = 2) -> None:
        if workers < 1:
            raise ParameterError(f"workers must be >= 1 (got {workers})")
        if threads < 1:
            raise ParameterError(f"threads must be >= 1 (got {threads})")
        self.workers = workers
        self.address = address
        self.threads = threads
        self.retries = retries
        self._client = self._cluster = None

    def __enter__(self) -> Self:
        # deliberately lazy: dask.distributed takes seconds to import and only parallel runs need it
        from dask.distributed import Client, LocalCluster

        if self.address:
            self._client = Client(self.address)
        else:
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                         dashboard_address=None)
            self._client = Client(self._cluster)
        return self

    def __exit__(self, *exc) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def map(self, fn: Callable[..., Any], jobs: Sequence[tuple]) -> Iterator[tuple[int, Any]]:
        from dask.distributed import as_completed

        if self._client is None:
            raise ParameterError("DaskExecutor.map needs the executor entered: `with DaskExecutor(...) as ex:`")
        jobs = self._scatter_shared(jobs)
        futures = {self._client.submit(_with_threads, self.threads, fn, *args, pure=False, retries=self.retries):
                   position for position, args in enumerate(jobs)}
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        finally:  # interrupted (Ctrl-C) or failed: stop the jobs still queued
            pending = [f for f in futures if not f.done()]
            if pending:
                self._client.cancel(pending)

    def _scatter_shared(self, jobs: Sequence[tuple]) -> list[tuple]:
        """The jobs with every argument they all share (the estimator, the tables) sent to each worker once.

        Without it every job carries its own pickled copy: the network's COBRApy
        model and the data cross the wire, and are unpickled, once per fold.
        """
        jobs = list(jobs)
        if len(jobs) < 2:
            return jobs
        shared = [i for i, arg in enumerate(jobs[0]) if not isinstance(arg, (bool, int, float, str, Path, type(None)))
                  and all(len(job) == len(jobs[0]) and job[i] is arg for job in jobs)]
        if not shared:
            return jobs
        futures = self._client.scatter([jobs[0][i] for i in shared], broadcast=True, hash=False)
        sent = dict(zip(shared, futures))
        return [tuple(sent.get(i, arg) for i, arg in enumerate(job)) for job in jobs]


def executor_for(workers: int = 1, address: str | None = None) -> InProcess | DaskExecutor:
    """:class:`InProcess` for one worker and no scheduler, else a :class:`DaskExecutor`."""
    if workers < 1:
        raise ParameterError(f"workers must be >= 1 (got {workers})")
    return InProcess() if workers == 1 and not address else DaskExecutor(workers, address)
