"""Hyper-parameter sweeps: the same cross-validation for every point of a grid, one results table.

Every point is a clone of the estimator with the point's parameters
(:class:`sklearn.model_selection.ParameterGrid`), cross-validated by
:func:`~amn.evaluation.validation.cross_validate` on the same folds and seeds,
so points differ only by their parameters.  With a Dask executor the points
are submitted together (one thread each feeds the shared cluster), so the
workers stay busy across points; the table is the same as a serial run's.
With ``workdir``, every finished fold is recorded under a folder named by its
point, and a rerun only fits what is missing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import ParameterGrid

from amn.dataset.table import Task
from amn.errors import ParameterError
from amn.evaluation.executors import Executor, InProcess
from amn.evaluation.splits import SEEDS
from amn.evaluation.validation import CVResult, cross_validate


def point_name(point: Mapping[str, object]) -> str:
    """A stable folder name for a grid point (a digest of its parameters).

    Examples
    --------
    >>> point_name({"lr": 0.001, "hidden": (50,)}) == point_name({"hidden": (50,), "lr": 0.001})
    True
    """
    text = json.dumps({k: list(v) if isinstance(v, tuple) else v for k, v in sorted(point.items())}, default=str)
    return "point_" + hashlib.sha256(text.encode()).hexdigest()[:12]


def sweep(
    estimator,
    grid: Mapping[str, Sequence] | Sequence[Mapping[str, Sequence]],
    X,
    y,
    task: Task = "regression",
    seeds: Sequence[int] = SEEDS,
    cv=10,
    *,
    scorer=None,
    executor: Executor | None = None,
    workdir: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[pd.DataFrame, list[CVResult]]:
    """Cross-validate ``estimator`` at every point of ``grid``.

    Parameters
    ----------
    estimator
        A scikit-learn style estimator (``get_params`` / ``set_params``).
    grid : dict of str to sequence, or a list of such dicts
        Parameter values to try, as :class:`~sklearn.model_selection.ParameterGrid` reads them.
    X, y, task, seeds, cv, scorer
        As in :func:`~amn.evaluation.validation.cross_validate`.
    executor : InProcess or DaskExecutor, optional
        Where the folds run (an entered DaskExecutor runs the points concurrently).
    workdir : path, optional
        Fold records of each point under ``<workdir>/<point_name>``; a rerun resumes.
    progress : callable, optional
        ``progress(done, total)`` after every fold, over all points.

    Returns
    -------
    table : pandas.DataFrame
        One row per point: its parameters, then :meth:`CVResult.summary`.
    results : list of CVResult
        In the order of the rows.

    Raises
    ------
    ParameterError
        The grid is empty or names a parameter the estimator does not have.
    """
    points = list(ParameterGrid(grid))
    known = set(estimator.get_params(deep=False))
    unknown = sorted({key for point in points for key in point} - known)
    if unknown:
        raise ParameterError(f"sweep: {type(estimator).__name__} has no parameter {', '.join(unknown)} "
                             f"(parameters: {', '.join(sorted(known))})")
    if not points or not points[0]:
        raise ParameterError("sweep: the grid has no point")
    base = None if workdir is None else Path(workdir)
    folds_done = [0] * len(points)

    # Cloned here, not in the threads: a clone deep-copies the estimator (its
    # COBRApy model too), and CPython 3.11's parser, which COBRApy's GPR
    # unpickling calls, fails when several threads parse at once.
    candidates = [clone(estimator).set_params(**point) for point in points]

    def one(i: int) -> CVResult:
        def report(done: int, total: int) -> None:
            folds_done[i] = done
            if progress is not None:
                progress(sum(folds_done), total * len(points))

        return cross_validate(candidates[i], X, y, task, seeds, cv, scorer=scorer, executor=executor,
                              workdir=None if base is None else base / point_name(points[i]), progress=report)

    if executor is None or isinstance(executor, InProcess):
        results = [one(i) for i in range(len(points))]
    else:
        with ThreadPoolExecutor(max_workers=len(points)) as threads:
            results = list(threads.map(one, range(len(points))))
    rows = [{**{k: (",".join(map(str, v)) if isinstance(v, tuple) else v) for k, v in point.items()},
             **result.summary()} for point, result in zip(points, results)]
    return pd.DataFrame(rows).drop(columns="method"), results
