"""The one list of methods that the command line and the benchmarks compare.

A :class:`Method` names an estimator and says how to build it from a table;
:func:`statistical_methods` and :func:`fba_methods` list the baselines, and
:func:`run_methods` runs the protocol for each on the same folds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegressionCV, RidgeCV
from sklearn.neural_network import MLPClassifier
from xgboost import XGBClassifier, XGBRegressor

from amn.baselines.fba import FBACompositionBounds, FBAFittedBounds, FBAFixedBound
from amn.baselines.statistical import ANNDense, ARDGaussianProcess, OLSRegressor
from amn.dataset.table import ExperimentTable, Task
from amn.evaluation.splits import N_SPLITS, SEEDS
from amn.evaluation.validation import CVResult, cross_validate
from amn.media.spec import MediumSpec
from amn.solve.composition import UptakeModel


@dataclass(frozen=True)
class Method:
    """An entry of the method table: a name, how to build its (unfitted) estimator, and a note.

    ``build`` receives the table, so that mechanistic methods can read its
    uptake ids; ``note`` says what the reader must know (e.g. an affine calibration).
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
    """The protocol for every method on the same folds (``progress(name, done, total)`` per fold)."""
    results = []
    for method in methods:
        report = None if progress is None else (lambda done, total, n=method.name: progress(n, done, total))
        results.append(
            cross_validate(method.build(table), table.X, table.y, table.task, seeds, n_splits, method.name, report)
        )
    return results


def statistical_methods(task: Task = "regression") -> list[Method]:
    """Baselines that need only the table (``random_state=None``: the protocol seeds each repeat)."""
    if task == "classification":
        return [
            Method("logistic regression", lambda t: LogisticRegressionCV(Cs=13, l1_ratios=(0.0,), scoring="neg_log_loss", use_legacy_attributes=False)),
            Method("random forest", lambda t: RandomForestClassifier(n_estimators=500)),
            Method("XGBoost", lambda t: XGBClassifier(n_estimators=300, max_depth=3, learning_rate=0.05, n_jobs=1)),
            Method("ANN-Dense", lambda t: MLPClassifier(hidden_layer_sizes=(50,), alpha=1e-2, solver="lbfgs", max_iter=2000)),
        ]
    return [
        Method("ridge", lambda t: RidgeCV(alphas=np.logspace(-3, 3, 25))),
        Method("Gaussian process (ARD)", lambda t: ARDGaussianProcess()),
        Method("random forest", lambda t: RandomForestRegressor(n_estimators=500)),
        Method(
            "XGBoost",
            lambda t: XGBRegressor(n_estimators=300, max_depth=3, learning_rate=0.05, subsample=0.8, n_jobs=1),
        ),
        Method("OLS (statsmodels)", lambda t: OLSRegressor()),
        Method("ANN-Dense", lambda t: ANNDense()),
    ]


def fba_methods(network, medium: MediumSpec | None = None, composition: bool = False) -> list[Method]:
    """FBA baselines on ``network`` (one :class:`UptakeModel` per table, built on first use);
    ``composition`` adds :class:`FBACompositionBounds`, the exact-FBA reservoir route (slower:
    hundreds of FBA solves per training medium)."""
    cache: dict[tuple[str, ...], UptakeModel] = {}

    def model_for(table: ExperimentTable) -> UptakeModel:
        key = tuple(table.composition_ids)
        if key not in cache:
            cache[key] = UptakeModel.from_table(network, table, medium)
        return cache[key]

    affine = "affine calibration a*growth+b fitted on the training folds"
    return [
        Method("FBA, best single bound", lambda t: FBAFixedBound(model_for(t)), "bound from a grid, training folds"),
        Method("FBA, best single bound + affine", lambda t: FBAFixedBound(model_for(t), calibrate=True), affine),
        Method("FBA, per-compound bounds (L-BFGS-B)", lambda t: FBAFittedBounds(model_for(t)), "training folds"),
        Method(
            "FBA, per-compound bounds (L-BFGS-B) + affine",
            lambda t: FBAFittedBounds(model_for(t), calibrate=True),
            affine,
        ),
    ] + ([Method(
        "FBA, composition-dependent bounds (exact route)",
        lambda t: FBACompositionBounds(model_for(t)),
        "a logistic uptake layer trained through FBA (LP duals), base bounds that limit growth included; no calibration",
    )] if composition else [])
