"""The one list of methods that the command line and the benchmarks compare.

A :class:`Method` names an estimator and says how to build it from a table.
:func:`methods_for` is the method table of ``amn experiment cv`` and of
``benchmarks/experimental.py``: the statistical baselines
(:func:`statistical_methods`), the FBA baselines (:func:`fba_methods`), AMN-QP
trained on the measured values, and the reservoir; :func:`run_methods` runs
the protocol for each on the same folds.  A new method is one more entry here.

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
        When ``xgboost`` is not installed (its baseline is left out).

    Examples
    --------
    >>> names = [m.name for m in methods_for(table, network, medium, amn_epochs=200)]  # doctest: +SKIP
    """
    out = statistical_methods(table.task)
    if table.task != "regression":
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
