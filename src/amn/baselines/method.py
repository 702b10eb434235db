"""Methods of the comparison and how they run: one protocol for all, on the same folds.

A :class:`Method` names an estimator, says how to build it from a table and
which input columns it reads.  :func:`run_methods` runs the protocol for each
on the same folds (:func:`~amn.evaluation.validation.cross_validate`, on an
executor of :mod:`amn.evaluation.executors` if given), :func:`run_methods_on`
fits each on one table and scores it on another (``--test-data``), and
:func:`select_methods` keeps the ones asked for (``--methods``).  Which methods
a table gets is :func:`amn.baselines.registry.methods_for`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from amn.dataset.table import ExperimentTable
from amn.errors import DatasetMismatchError, ParameterError
from amn.evaluation.executors import Executor
from amn.evaluation.holdout import evaluate_on
from amn.evaluation.splits import N_SPLITS, SEEDS
from amn.evaluation.validation import CVResult, cross_validate


@dataclass(frozen=True)
class Method:
    """An entry of the method table: a name, how to build its (unfitted) estimator, and a note.

    Parameters
    ----------
    name : str
        The row's name (also the key of the published values, :data:`amn.evaluation.report.PUBLISHED`).
    build : callable
        ``build(table) -> estimator``; receives the table, so that mechanistic methods can read its uptake ids.
    note : str, default ""
        What the reader must know (e.g. an affine calibration).
    roles : tuple of str, optional
        The input roles whose ``X`` columns the estimator is given (:meth:`ExperimentTable.inputs`,
        e.g. ``("uptake",)``); None: every input column.
    """

    name: str
    build: Callable[[ExperimentTable], object]
    note: str = ""
    roles: tuple[str, ...] | None = None

    def inputs(self, table: ExperimentTable):
        """The part of ``table.X`` this method reads."""
        return table.X if self.roles is None else table.X[table.inputs(*self.roles)]


def _target(table: ExperimentTable):
    """What estimators are fitted on: the Series of one target, the DataFrame of several."""
    return table.Y if len(table.targets) > 1 else table.y


def _names(table: ExperimentTable) -> list[str] | None:
    return table.targets if len(table.targets) > 1 else None


def run_methods(
    methods: Sequence[Method],
    table: ExperimentTable,
    seeds: Sequence[int] = SEEDS,
    n_splits: int | str = N_SPLITS,
    progress: Callable[[str, int, int], None] | None = None,
    executor: Executor | None = None,
    workdir: str | Path | None = None,
) -> list[CVResult]:
    """The protocol (:func:`~amn.evaluation.validation.cross_validate`) for every method on the same folds.

    Parameters
    ----------
    methods : sequence of Method
    table : ExperimentTable
    seeds : sequence of int, default (0, 1, 2)
        Repeats.
    n_splits : int or "loo", default 10
        Folds, stratified on the binned target (or on its classes; shuffled ``KFold`` for several targets);
        ``"loo"``: leave one row out (:func:`~amn.evaluation.splits.check_cv`).
    progress : callable, optional
        ``progress(name, done, total)`` after every fold.
    executor : InProcess or DaskExecutor, optional
        Where the folds run (an entered :class:`~amn.evaluation.executors.DaskExecutor`); same results.
    workdir : path, optional
        Every finished fold of a method is recorded under ``<workdir>/<method>`` (and the training of
        estimators that checkpoint), so that an interrupted run resumes with the same results
        (:func:`~amn.evaluation.validation.cross_validate`).  Claim the folder first
        (:func:`~amn.evaluation.runs.claim_run`): fold records do not say which table they are of.

    Returns
    -------
    list of CVResult
        One per method, in order; several targets are scored each and variance-weighted.
    """
    folders = method_folders([m.name for m in methods])
    results = []
    for method in methods:
        report = None if progress is None else (lambda done, total, n=method.name: progress(n, done, total))
        results.append(cross_validate(method.build(table), method.inputs(table), _target(table), table.task, seeds,
                                      n_splits, name=method.name, progress=report, targets=_names(table),
                                      executor=executor,
                                      workdir=None if workdir is None else Path(workdir) / folders[method.name]))
    return results


def method_folders(names: Sequence[str]) -> dict[str, str]:
    """A folder name per method name: its letters and digits, ``_`` for the rest, numbered when two meet."""
    folders: dict[str, str] = {}
    for name in names:
        stem = re.sub(r"[^A-Za-z0-9.+-]+", "_", name).strip("_") or "method"
        folder, k = stem, 1
        while folder in folders.values():
            k += 1
            folder = f"{stem}_{k}"
        folders[name] = folder
    return folders


def _split_names(text: str, known) -> list[str]:
    """Comma-separated names, where a name may hold commas itself ("FBA, best single bound"): longest known first."""
    parts, out, i = text.split(","), [], 0
    while i < len(parts):
        for j in range(len(parts), i, -1):
            candidate = ",".join(parts[i:j]).strip()
            if candidate.lower() in known:
                out.append(candidate)
                i = j
                break
        else:
            out.append(parts[i].strip())
            i += 1
    return [n for n in out if n]


def select_methods(methods: Sequence[Method], names: str | Sequence[str] | None) -> list[Method]:
    """The methods named in ``names`` (case-insensitive), in the order of ``methods``.

    Parameters
    ----------
    methods : sequence of Method
        What :func:`methods_for` offers.
    names : str or sequence of str, optional
        Comma-separated (names that hold commas, such as ``FBA, best single bound``, are recognised) or
        listed names; None or empty keeps every method.

    Returns
    -------
    list of Method

    Raises
    ------
    ParameterError
        A name is none of ``methods``' (the message lists the choices).

    Examples
    --------
    >>> from amn.baselines.registry import statistical_methods
    >>> [m.name for m in select_methods(statistical_methods(), "Ridge,random forest")]
    ['ridge', 'random forest']
    """
    if not names:
        return list(methods)
    known = {m.name.lower(): m for m in methods}
    wanted = _split_names(names, known) if isinstance(names, str) else [n.strip() for n in names if n.strip()]
    unknown = [n for n in wanted if n.lower() not in known]
    if unknown:
        raise ParameterError(
            f"--methods: unknown method(s) {', '.join(map(repr, unknown))}; choices (some names hold a comma): "
            f"{'; '.join(m.name for m in methods)}"
            " (FBA methods need --model, AMN-QP --model and --amn, the reservoir --growth-model; a method noted as"
            " skipped is no choice)"
        )
    chosen = {n.lower() for n in wanted}
    return [m for m in methods if m.name.lower() in chosen]


def run_methods_on(
    methods: Sequence[Method],
    table: ExperimentTable,
    test: ExperimentTable,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> list[CVResult]:
    """Fit every method on all rows of ``table`` and score it on ``test`` (:func:`~amn.evaluation.holdout.evaluate_on`).

    Parameters
    ----------
    methods : sequence of Method
    table : ExperimentTable
        The training table (each method is built from it).
    test : ExperimentTable
        The test table: the same input columns (any order), targets and task.
    seed : int, default 0
        Seed of the estimators left at ``random_state=None``.
    progress : callable, optional
        ``progress(name)`` after every method.

    Returns
    -------
    list of CVResult
        One repeat each, on the test rows.

    Raises
    ------
    DatasetMismatchError
        The test table has other input columns, other targets or another task.
    """
    for what, ours, theirs in (("input", table.X.columns, test.X.columns), ("target", table.targets, test.targets)):
        if set(ours) != set(theirs):
            missing, extra = sorted(set(ours) - set(theirs)), sorted(set(theirs) - set(ours))
            raise DatasetMismatchError(
                f"{test.source}: {what} columns differ from {table.source}'s"
                + (f"; missing {', '.join(missing)}" if missing else "") + (f"; extra {', '.join(extra)}" if extra else "")
            )
    if test.task != table.task:
        raise DatasetMismatchError(f"{test.source}: a {test.task} table, but {table.source} is a {table.task} table")
    test_X, test_y = test.X[list(table.X.columns)], test.Y[table.targets] if len(table.targets) > 1 else test.y
    results = []
    for method in methods:
        columns = list(method.inputs(table).columns)
        results.append(evaluate_on(method.build(table), method.inputs(table), _target(table), test_X[columns], test_y,
                                   table.task, seed, name=method.name, targets=_names(table)))
        if progress is not None:
            progress(method.name)
    return results
