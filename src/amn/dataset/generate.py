"""Training-set generation: draw media, label them by FBA/pFBA, store chunk by chunk.

Samples are cut into fixed chunks of ``chunk_size``.  Each chunk starts its
solver cold and draws every sample from the sample's own generator, so a chunk
gives the same rows wherever and whenever it runs: the dataset depends on the
seed and the chunk size only, not on the number of workers, and a rerun after
an interruption (even ``kill -9``) only computes the chunks that are missing.
Chunks run in-process, on a local Dask cluster (``workers > 1``) or on an
existing Dask cluster (``dask_address``).

With ``knockouts`` (:class:`~amn.network.knockouts.RandomKnockouts`), each sample
also draws one knocked-out gene (or none) from a stream of its own, so the
media are those of the wild-type dataset of the same seed.  A medium is redrawn
while the *wild type* cannot grow on it; the knockout is then labelled with
its reactions closed, and a lethal knockout is kept (growth 0; when its LP is
infeasible, because a fixed demand such as the ATP maintenance can no longer
be met, its fluxes are 0 too).  X gains one indicator column ``KO:<gene>`` per
candidate gene, and the dataset records the wild-type growth of every sample.

With ``keep_no_growth`` (training data for growth / no-growth), a medium is
drawn once and kept whatever it gives: a feasible LP with growth below
``min_growth`` keeps its FBA/pFBA solution (usually growth 0), and an
infeasible LP (no steady state, e.g. the ATP maintenance demand cannot be met)
is kept with growth 0 and fluxes 0, *and* still reported among the
``infeasible`` draws (with ``"kept": true``), so the two cases stay apart.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from amn._version import __version__
from amn.dataset.lock import lock_partial
from amn.dataset.store import Dataset, assemble, chunk_path, done_chunks, open_partial, write_chunk
from amn.errors import MediumError, ParameterError
from amn.media.draw import GuidedMedia, RandomMedia, sample_rng
from amn.network.knockouts import RandomKnockouts, indicator_columns, knockout_rng
from amn.solve.pfba import METHODS, CobraLabeler, FluxProblem, HighsLabeler, Label

BOUND_MODES = ("UB", "EB")
BACKENDS = ("highs", "cobra")
_PARALLEL_BACKEND = "backend='highs'"  # named in the message of a parallel run asked of the cobra backend


@dataclass(frozen=True)
class LabelTask:
    """What a worker needs, with the :class:`~amn.solve.pfba.FluxProblem`, to label a range of samples.

    Attributes
    ----------
    media : RandomMedia or GuidedMedia
    method : str
        ``pfba`` or ``fba``.
    bound : str
        ``UB`` or ``EB``.
    seed : int
    output_columns : tuple of int
        Columns of the network that make Y.
    max_tries : int
        Draws per sample before it counts as infeasible.
    min_growth : float
        Growth below which a medium is redrawn.
    knockouts : RandomKnockouts or None
    keep_no_growth : bool
        Draw once and keep media below ``min_growth`` (infeasible ones as zeros, still reported).
    """

    media: RandomMedia | GuidedMedia
    method: str = "pfba"
    bound: str = "UB"
    seed: int = 0
    output_columns: tuple[int, ...] = ()
    max_tries: int = 5
    min_growth: float = 1e-3
    knockouts: RandomKnockouts | None = None
    keep_no_growth: bool = False


_LABELERS: dict[tuple[str, str], HighsLabeler] = {}  # one warm labeler per worker process


def _highs_labeler(problem: FluxProblem, method: str) -> HighsLabeler:
    key = (problem.key, method)
    if key not in _LABELERS:
        _LABELERS.clear()  # a worker serves one dataset at a time
        _LABELERS[key] = HighsLabeler(problem, method)
    return _LABELERS[key]


def label_chunk(problem: FluxProblem, task: LabelTask, start: int, stop: int, labeler=None) -> tuple[dict, list]:
    """Label samples ``start..stop-1``.

    Parameters
    ----------
    problem : FluxProblem
    task : LabelTask
    start, stop : int
        The sample range.
    labeler : HighsLabeler or CobraLabeler, optional
        Default: the HiGHS labeler this process keeps warm for ``problem``.

    Returns
    -------
    arrays : dict of str to numpy.ndarray
        ``X``, ``Y``, ``growth``, ``sample`` (and ``wild_type_growth`` with knockouts).
    infeasible : list of dict
        The samples whose draws all stayed below ``task.min_growth`` (with ``keep_no_growth``: the
        samples whose LP was infeasible, kept as zeros, ``"kept": True``).
    """
    labeler = labeler or _highs_labeler(problem, task.method)
    labeler.restart()
    medium_columns = problem.medium_columns
    outputs = np.asarray(task.output_columns, dtype=int)
    X, Y, growth, samples, infeasible, wild_type = [], [], [], [], [], []
    knockouts = task.knockouts
    for i in range(start, stop):
        rng = sample_rng(task.seed, i)
        gene = knockouts.draw(knockout_rng(task.seed, i)) if knockouts is not None else -1
        tries = 1 if task.keep_no_growth else task.max_tries
        for _ in range(tries):
            bounds = task.media.draw(rng, i)
            label = labeler.label(bounds)
            if label.fluxes is not None and label.growth >= task.min_growth:
                break
        else:
            if not (task.keep_no_growth and label.fluxes is not None):
                infeasible.append(
                    {
                        "sample": i,
                        "tries": tries,
                        "last_growth": None if np.isnan(label.growth) else float(label.growth),
                        "status": label.status,
                        "last_bounds": [float(b) for b in bounds],
                        **({"kept": True} if task.keep_no_growth else {}),
                    }
                )
            if not task.keep_no_growth:
                continue
            if label.fluxes is None:  # no steady state: no growth, no flux
                label = Label(0.0, np.zeros(len(problem.c)), label.status)
        x = bounds
        if knockouts is not None:
            wild_type.append(label.growth)
            if gene >= 0 and knockouts.columns[gene]:
                label = labeler.label(bounds, np.array(knockouts.columns[gene]))
                if label.fluxes is None:  # lethal: fixed demands (ATP maintenance) cannot be met
                    label = Label(0.0, np.zeros(len(problem.c)), label.status)
            x = np.r_[bounds, np.arange(len(knockouts.genes)) == gene]
        X.append(x if task.bound == "UB" else np.r_[label.fluxes[medium_columns], x[len(medium_columns):]])
        Y.append(label.fluxes[outputs])
        growth.append(label.growth)
        samples.append(i)
    n_in = len(medium_columns) + (len(knockouts.genes) if knockouts is not None else 0)
    arrays = {
        "X": np.array(X, dtype=float).reshape(-1, n_in),
        "Y": np.array(Y, dtype=float).reshape(-1, len(outputs)),
        "growth": np.array(growth, dtype=float),
        "sample": np.array(samples, dtype=np.int64),
    }
    if knockouts is not None:
        arrays["wild_type_growth"] = np.array(wild_type, dtype=float)
    return arrays, infeasible


def check_growth_possible(problem: FluxProblem, spec, min_growth: float = 1e-3) -> None:
    """Refuse a medium on which no draw can grow: one FBA with every uptake at its ``max_value``.

    Every medium drawn from ``spec`` has bounds at most its ``max_value``, and
    growth cannot fall when bounds are raised, so this LP bounds the growth of
    every draw from above.

    Parameters
    ----------
    problem : FluxProblem
    spec : MediumSpec
    min_growth : float, default 1e-3
        Growth below which a draw counts as infeasible.

    Raises
    ------
    MediumError
        ``"<medium file>: no medium can grow ..."``.
    """
    if not problem.maximize:  # the bound argument holds for a maximised objective only
        return
    label = HighsLabeler(problem, "fba").label(np.asarray(spec.max_value, dtype=float))
    if label.fluxes is None or label.growth < min_growth - 1e-9:
        found = (f"the LP is {label.status.lower()}" if label.fluxes is None
                 else f"growth is {label.growth:.3g} (< {min_growth:g})")
        raise MediumError(f"{spec.source}: no medium can grow: with every uptake at its max_value, {found}; "
                          "open more uptakes or raise their max_value")


def _rows(directory: Path, n_chunks: int) -> int:
    """Rows (feasible samples) in the chunks of a directory, reading their ``sample`` arrays only."""
    total = 0
    for index in range(n_chunks):
        with np.load(chunk_path(directory, index), allow_pickle=False) as chunk:
            total += len(chunk["sample"])
    return total


def _chunks(size: int, chunk_size: int) -> list[tuple[int, int, int]]:
    return [(k, start, min(start + chunk_size, size)) for k, start in enumerate(range(0, size, chunk_size))]


def generate(
    network,
    media: RandomMedia | GuidedMedia,
    out: str | Path,
    *,
    method: str = "pfba",
    bound: str = "UB",
    seed: int = 0,
    outputs: list[str] | None = None,
    workers: int = 1,
    dask_address: str | None = None,
    chunk_size: int = 100,
    backend: str = "highs",
    progress: bool = True,
    extra_metadata: dict | None = None,
    on_chunk: Callable[[int], None] | None = None,
    knockouts: RandomKnockouts | None = None,
    keep_no_growth: bool = False,
) -> Dataset:
    """Generate (or resume) a training set and write it to ``out``; see the module docstring.

    Parameters
    ----------
    network : UnidirectionalNetwork
    media : RandomMedia or GuidedMedia
        Fixes the number of samples and how each medium is drawn.
    out : str or Path
        The dataset file (``.npz``); chunks go to ``<out>.partial/`` meanwhile.
    method : {"pfba", "fba"}, default "pfba"
        The labels.
    bound : {"UB", "EB"}, default "UB"
        X holds the uptake bounds given (UB) or the uptake fluxes of the solution (EB).
    seed : int, default 0
        The same seed (and chunk size) gives the same dataset, whatever the workers.
    outputs : list of str, optional
        Reaction ids of Y; default: every reaction.
    workers : int, default 1
        Processes of a local Dask cluster (1: in this process).
    dask_address : str, optional
        An existing Dask scheduler to run on.
    chunk_size : int, default 100
        Samples per chunk (unit of work, of storage and of resumption), >= 1.
    backend : {"highs", "cobra"}, default "highs"
        HiGHS kept warm, or COBRApy (the single-process reference).
    progress : bool, default True
        Show a progress bar.
    extra_metadata : dict, optional
        Stored in the dataset's metadata (e.g. ``model_source``).
    on_chunk : callable, optional
        Called with the number of each chunk written.
    knockouts : RandomKnockouts, optional
        Draw a single-gene knockout (or none) per sample.
    keep_no_growth : bool, default False
        Draw each medium once and keep it when it does not grow: the negative class of a growth /
        no-growth model.  Infeasible LPs are kept as growth 0, fluxes 0, and still listed in
        ``infeasible`` (``"kept": True``); see the module docstring.

    Returns
    -------
    Dataset
        The file written, read back.

    Raises
    ------
    ParameterError
        ``method``, ``bound``, ``backend``, ``workers`` or ``chunk_size`` outside
        its domain, a parallel run with the cobra backend, or an ``out`` that
        cannot be written.
    UnknownReactionError
        The medium or ``outputs`` name reactions the network lacks.
    MediumError
        No medium drawn can grow (the medium is checked before any sample,
        and no dataset is written when every draw is infeasible).
    DatasetMismatchError
        ``out`` has chunks left by a run with other parameters, or another run
        is writing it.

    Notes
    -----
    The metadata's ``elapsed_s`` is the time of this call; ``labelled_this_run``
    counts the samples it labelled, the others (``samples_resumed``) were
    kept from an interrupted run.
    """
    if method not in METHODS:
        raise ParameterError(f"method must be one of {', '.join(METHODS)} (got {method})")
    if bound not in BOUND_MODES:
        raise ParameterError(f"bound must be UB or EB (got {bound})")
    if backend not in BACKENDS:
        raise ParameterError(f"backend must be one of {', '.join(BACKENDS)} (got {backend})")
    if backend == "cobra" and (workers > 1 or dask_address):
        raise ParameterError(f"the cobra backend is the single-process reference; use {_PARALLEL_BACKEND} to parallelise")
    if chunk_size < 1:
        raise ParameterError(f"chunk_size must be >= 1 (got {chunk_size})")
    if workers < 1:
        raise ParameterError(f"workers must be >= 1 (got {workers})")
    out = Path(out)
    media.spec.check(network)
    problem = FluxProblem.from_network(network, media.spec.reaction_ids)
    output_ids = list(outputs) if outputs else network.reaction_ids
    task = LabelTask(media, method, bound, seed, tuple(int(j) for j in network.index(output_ids, "output reaction")),
                     knockouts=knockouts, keep_no_growth=keep_no_growth)
    check_growth_possible(problem, media.spec, task.min_growth)

    spec = media.spec
    manifest = {
        "model_sha256": network.sha256(),
        "medium": {
            "source": spec.source,
            "reaction_ids": list(spec.reaction_ids),
            "level": spec.level.tolist(),
            "max_value": spec.max_value.tolist(),
            "ratio_drawing": spec.ratio_drawing,
        },
        "media": media.describe(),
        "guided_presence_sha": _presence_digest(media),
        "method": method,
        "bound": bound,
        "seed": seed,
        "chunk_size": chunk_size,
        "outputs": output_ids if outputs else "all",
        "backend": backend,
        "max_tries": task.max_tries,
        "min_growth": task.min_growth,
    }
    if knockouts is not None:
        manifest["knockouts"] = knockouts.describe()
    if keep_no_growth:  # only when set: chunks of earlier runs (without the key) stay resumable
        manifest["keep_no_growth"] = True
    with lock_partial(out):  # one run at a time on out; released even by kill -9
        directory = open_partial(out, manifest)
        chunks = _chunks(media.size, chunk_size)
        done = done_chunks(directory)
        todo = [c for c in chunks if c[0] not in done]
        labelled = sum(stop - start for _, start, stop in todo)
        started = time.perf_counter()
        bar = tqdm(
            total=media.size,
            initial=sum(stop - start for k, start, stop in chunks if k in done),
            unit="sample",
            desc=f"{method} {out.name}",
            disable=not progress,
            smoothing=0.1,
        )

        def finished(index: int, arrays: dict, infeasible: list) -> None:
            write_chunk(directory, index, arrays, infeasible)
            start, stop = chunks[index][1], chunks[index][2]
            bar.update(stop - start)
            if on_chunk is not None:
                on_chunk(index)

        try:
            if workers <= 1 and not dask_address:
                labeler = CobraLabeler(network, spec.reaction_ids, method) if backend == "cobra" else None
                for index, start, stop in todo:
                    finished(index, *label_chunk(problem, task, start, stop, labeler))
            else:
                _run_dask(problem, task, todo, workers, dask_address, finished)
        finally:
            bar.close()
        if not _rows(directory, len(chunks)):
            shutil.rmtree(directory, ignore_errors=True)
            raise MediumError(f"{spec.source}: no medium drawn could grow: all {media.size} samples infeasible after "
                              f"{task.max_tries} draws each; open more uptakes or raise their max_value")
        metadata = {
            **manifest,
            "model": network.model.id,
            "package_version": __version__,
            "x_mode": bound,
            "elapsed_s": round(time.perf_counter() - started, 3),
            "labelled_this_run": labelled,
            "samples_resumed": media.size - labelled,
            "workers": workers if not dask_address else f"dask {dask_address}",
            **(extra_metadata or {}),
        }
        x_columns = list(spec.reaction_ids) + (indicator_columns(knockouts.genes) if knockouts is not None else [])
        return assemble(directory, out, len(chunks), x_columns, output_ids, metadata)


def _presence_digest(media) -> str | None:
    if isinstance(media, GuidedMedia):
        return hashlib.sha256(np.ascontiguousarray(media.presence).tobytes()).hexdigest()
    return None


def _run_dask(problem, task, todo, workers, dask_address, finished) -> None:
    """Run the chunks on Dask workers; results are written as they arrive."""
    # deliberately lazy: dask.distributed takes seconds to import and only parallel runs need it
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if dask_address:
        client = Client(dask_address)
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        shared = client.scatter(problem, broadcast=True)
        futures = {
            client.submit(label_chunk, shared, task, start, stop, pure=False): index for index, start, stop in todo
        }
        for future in as_completed(futures):
            finished(futures[future], *future.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
