"""The one list of methods that the command line and the benchmarks compare.

A :class:`Method` names an estimator and says how to build it from a table.
:func:`methods_for` is the method table of ``amn experiment cv`` and of
``benchmarks/experimental.py``: the statistical baselines
(:func:`statistical_methods`), the FBA baselines (:func:`fba_methods`), AMN-QP
trained on the measured values, and the reservoir; :func:`select_methods` keeps
the ones asked for (``--methods``); :func:`run_methods` runs the protocol for each
on the same folds, :func:`run_methods_on` fits each on one table and scores it on
another (``--test-data``).  A new method is one more entry here.

XGBoost is optional (``pip install 'artificial-metabolic-networks[boost]'``):
without it its baseline is left out with a warning.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegressionCV, RidgeCV
from sklearn.neural_network import MLPClassifier

from amn.baselines.fba import FBACompositionBounds, FBAFittedBounds, FBAFixedBound
from amn.baselines.statistical import ANNDense, ARDGaussianProcess, OLSRegressor
from amn.dataset.table import ExperimentTable, Task
from amn.errors import DatasetMismatchError, ParameterError
from amn.evaluation.holdout import evaluate_on
from amn.evaluation.splits import N_SPLITS, SEEDS
from amn.evaluation.validation import CVResult, cross_validate
from amn.media.spec import MediumSpec
from amn.solve.composition import UptakeModel

XGBOOST_MISSING = "XGBoost baseline skipped: xgboost is not installed (pip install 'artificial-metabolic-networks[boost]')"


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
    """

    name: str
    build: Callable[[ExperimentTable], object]
    note: str = ""


def run_methods(
    methods: Sequence[Method],
    table: ExperimentTable,
    seeds: Sequence[int] = SEEDS,
    n_splits: int = N_SPLITS,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[CVResult]:
    """The protocol (:func:`~amn.evaluation.validation.cross_validate`) for every method on the same folds.

    Parameters
    ----------
    methods : sequence of Method
    table : ExperimentTable
    seeds : sequence of int, default (0, 1, 2)
        Repeats.
    n_splits : int, default 10
        Folds, stratified on the binned target (or on its classes).
    progress : callable, optional
        ``progress(name, done, total)`` after every fold.

    Returns
    -------
    list of CVResult
        One per method, in order.
    """
    results = []
    for method in methods:
        report = None if progress is None else (lambda done, total, n=method.name: progress(n, done, total))
        results.append(cross_validate(method.build(table), table.X, table.y, table.task, seeds, n_splits,
                                      name=method.name, progress=report))
    return results


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
    >>> [m.name for m in select_methods(statistical_methods(), "Ridge,random forest")]  # doctest: +SKIP
    ['ridge', 'random forest']
    """
    if not names:
        return list(methods)
    known = {m.name.lower(): m for m in methods}
    wanted = _split_names(names, known) if isinstance(names, str) else [n.strip() for n in names if n.strip()]
    unknown = [n for n in wanted if n.lower() not in known]
    if unknown:
        raise ParameterError(
            f"--methods: unknown method(s) {', '.join(map(repr, unknown))}; choices: {', '.join(m.name for m in methods)}"
            " (FBA methods need --model, AMN-QP --model and --amn, the reservoir --growth-model)"
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
        The test table: the same composition columns (any order) and task.
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
        The test table has other composition columns or another task.
    """
    if set(test.composition_ids) != set(table.composition_ids):
        missing = sorted(set(table.composition_ids) - set(test.composition_ids))
        extra = sorted(set(test.composition_ids) - set(table.composition_ids))
        raise DatasetMismatchError(
            f"{test.source}: composition columns differ from {table.source}'s"
            + (f"; missing {', '.join(missing)}" if missing else "") + (f"; extra {', '.join(extra)}" if extra else "")
        )
    if test.task != table.task:
        raise DatasetMismatchError(f"{test.source}: a {test.task} table, but {table.source} is a {table.task} table")
    X_test = test.X[table.composition_ids]
    results = []
    for method in methods:
        results.append(evaluate_on(method.build(table), table.X, table.y, X_test, test.y, table.task, seed,
                                   name=method.name))
        if progress is not None:
            progress(method.name)
    return results


def _xgboost_available() -> bool:
    """Whether xgboost imports; warns (once per caller) when it does not."""
    try:
        import xgboost  # noqa: F401
    except (ImportError, OSError):
        warnings.warn(XGBOOST_MISSING, stacklevel=3)
        return False
    return True


def _xgboost(kind: str, **params):
    import xgboost

    return getattr(xgboost, kind)(n_estimators=300, max_depth=3, learning_rate=0.05, n_jobs=1, **params)


def statistical_methods(task: Task = "regression") -> list[Method]:
    """Baselines that need only the table (``random_state=None``: the protocol seeds each repeat).

    Parameters
    ----------
    task : {"regression", "classification"}

    Returns
    -------
    list of Method
        Regression: ridge, Gaussian process (ARD), random forest, XGBoost, OLS
        (statsmodels), ANN-Dense; classification: logistic regression, random
        forest, XGBoost, ANN-Dense.  XGBoost only when ``xgboost`` is installed.

    Warns
    -----
    UserWarning
        When ``xgboost`` cannot be imported (the XGBoost row is left out).
    """
    boost = _xgboost_available()
    if task == "classification":
        methods = [
            Method("logistic regression", lambda t: LogisticRegressionCV(
                Cs=13, l1_ratios=(0.0,), scoring="neg_log_loss", use_legacy_attributes=False)),
            Method("random forest", lambda t: RandomForestClassifier(n_estimators=500)),
            Method("XGBoost", lambda t: _xgboost("XGBClassifier")),
            Method("ANN-Dense", lambda t: MLPClassifier(hidden_layer_sizes=(50,), alpha=1e-2, solver="lbfgs",
                                                        max_iter=2000)),
        ]
    else:
        methods = [
            Method("ridge", lambda t: RidgeCV(alphas=np.logspace(-3, 3, 25))),
            Method("Gaussian process (ARD)", lambda t: ARDGaussianProcess()),
            Method("random forest", lambda t: RandomForestRegressor(n_estimators=500)),
            Method("XGBoost", lambda t: _xgboost("XGBRegressor", subsample=0.8)),
            Method("OLS (statsmodels)", lambda t: OLSRegressor()),
            Method("ANN-Dense", lambda t: ANNDense()),
        ]
    return methods if boost else [m for m in methods if m.name != "XGBoost"]


def fba_methods(network, medium: MediumSpec | None = None, composition: bool = False) -> list[Method]:
    """FBA baselines on ``network``, one :class:`UptakeModel` per table (built on first use).

    Parameters
    ----------
    network : UnidirectionalNetwork
    medium : MediumSpec, optional
        Medium file of the base compounds (their bounds).
    composition : bool, default False
        Also :class:`FBACompositionBounds`, the exact-FBA reservoir route (slower:
        hundreds of FBA solves per training medium).

    Returns
    -------
    list of Method
    """
    cache: dict[tuple[str, ...], UptakeModel] = {}

    def model_for(table: ExperimentTable) -> UptakeModel:
        key = tuple(table.composition_ids)
        if key not in cache:
            cache[key] = UptakeModel.from_table(network, table, medium)
        return cache[key]

    affine = "affine calibration a*growth+b fitted on the training folds"
    out = [
        Method("FBA, best single bound", lambda t: FBAFixedBound(model_for(t)), "bound from a grid, training folds"),
        Method("FBA, best single bound + affine", lambda t: FBAFixedBound(model_for(t), calibrate=True), affine),
        Method("FBA, per-compound bounds (L-BFGS-B)", lambda t: FBAFittedBounds(model_for(t)), "training folds"),
        Method("FBA, per-compound bounds (L-BFGS-B) + affine",
               lambda t: FBAFittedBounds(model_for(t), calibrate=True), affine),
    ]
    if composition:
        out.append(Method(
            "FBA, composition-dependent bounds (exact route)",
            lambda t: FBACompositionBounds(model_for(t)),
            "a logistic uptake layer trained through FBA (LP duals), base bounds that limit growth included; "
            "no calibration",
        ))
    return out


def _composition_amn(network, medium, epochs):
    from amn.baselines.composition_amn import CompositionAMN

    return CompositionAMN(network, medium, epochs=epochs)


def _reservoir(growth_model, network=None):
    from amn.reservoir import ReservoirFBA, ReservoirRegressor

    return ReservoirRegressor(str(growth_model)) if network is None else ReservoirFBA(str(growth_model), network=network)


def _warn_not_for_classification(network, exact_route: bool, amn_epochs: int, growth_model) -> None:
    """One line per mechanistic method asked for on a classification table: why it does not run."""
    why = "predicts growth rates and this is a classification (0/1) table"
    if network is not None:
        warnings.warn(f"FBA baselines (--model) skipped: FBA {why}", stacklevel=3)
    if exact_route:
        warnings.warn(f"exact-FBA route (--exact-route) skipped: it {why}", stacklevel=3)
    if amn_epochs > 0:
        warnings.warn(f"AMN-QP (--amn) skipped: it {why}", stacklevel=3)
    if growth_model is not None:
        warnings.warn(f"reservoir (--growth-model) skipped: it {why}", stacklevel=3)


def methods_for(
    table: ExperimentTable,
    network=None,
    medium: MediumSpec | None = None,
    *,
    exact_route: bool = False,
    amn_epochs: int = 0,
    amn_network=None,
    growth_model: str | Path | None = None,
    reservoir_fba: bool = False,
) -> list[Method]:
    """The methods to compare on ``table``: the method table of ``amn experiment cv`` and of the benchmark.

    Mechanistic methods are for regression targets only (growth rates).

    Parameters
    ----------
    table : ExperimentTable
        The table (its task decides the statistical baselines).
    network : UnidirectionalNetwork, optional
        Adds the FBA baselines (:func:`fba_methods`).
    medium : MediumSpec, optional
        Medium file of the base compounds (FBA baselines, AMN-QP).
    exact_route : bool, default False
        With ``network``: also the exact-FBA reservoir route (slow).
    amn_epochs : int, default 0
        With ``network`` (or ``amn_network``) and a positive value: AMN-QP trained on
        the measured values (method 1, :class:`~amn.baselines.CompositionAMN`) for so many epochs.
    amn_network : UnidirectionalNetwork, optional
        The network AMN-QP is trained on [default: ``network``], e.g. a reduced one.
    growth_model : path, optional
        A saved AMN whose medium is the table's uptakes: adds the reservoir.
    reservoir_fba : bool, default False
        With ``growth_model`` and ``network``: also the reservoir's learned bounds given to plain FBA.

    Returns
    -------
    list of Method

    Warns
    -----
    UserWarning
        When ``xgboost`` is not installed (its baseline is left out), and for a classification table,
        one per mechanistic method asked for (``network``, ``exact_route``, ``amn_epochs``,
        ``growth_model``): they predict growth rates, so they are skipped.

    Examples
    --------
    >>> names = [m.name for m in methods_for(table, network, medium, amn_epochs=200)]  # doctest: +SKIP
    """
    out = statistical_methods(table.task)
    if table.task != "regression":
        _warn_not_for_classification(network, exact_route, amn_epochs, growth_model)
        return out
    if network is not None:
        out += fba_methods(network, medium, composition=exact_route)
    amn_network = amn_network if amn_network is not None else network
    if amn_epochs > 0 and amn_network is not None:
        note = f"trained on the measured values, {amn_epochs} epochs" + (
            "" if amn_network is network else ", reduced network")
        out.append(Method("AMN-QP", lambda t: _composition_amn(amn_network, medium, amn_epochs), note))
    if growth_model is not None:
        out.append(Method("reservoir", lambda t: _reservoir(growth_model),
                          "frozen growth model (saved AMN), uptake layer trained on the training folds"))
        if reservoir_fba and network is not None:
            out.append(Method("FBA with reservoir bounds", lambda t: _reservoir(growth_model, network),
                              "the reservoir's learned uptake bounds given to plain FBA, no calibration"))
    return out
