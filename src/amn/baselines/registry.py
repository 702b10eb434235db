"""The one list of methods that the command line and the benchmarks compare.

:func:`methods_for` is the method table of ``amn experiment cv`` and of the
benchmarks: the statistical baselines (:func:`statistical_methods`, every input
column of the table, one or several targets, regression or classification) and
the methods that need the metabolic model (:mod:`amn.baselines.mechanistic`:
FBA baselines, growth / no-growth by FBA, AMN-QP trained on the measured values,
the reservoir), each one asked for that cannot run on the table skipped with a
one-line warning saying why.  How methods run is :mod:`amn.baselines.method`.
A new method is one more entry here.

XGBoost is optional (``pip install 'artificial-metabolic-networks[boost]'``):
without it its baseline is left out with a warning.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegressionCV, RidgeCV
from sklearn.multioutput import MultiOutputRegressor
from sklearn.neural_network import MLPClassifier

from amn.baselines.mechanistic import flux_blocker, flux_methods, growth_methods
from amn.baselines.method import Method
from amn.baselines.statistical import ANNDense, ARDGaussianProcess, OLSRegressor, UnlimitedScaled
from amn.dataset.table import ExperimentTable, Task
from amn.media.spec import MediumSpec

XGBOOST_MISSING = "XGBoost baseline skipped: xgboost is not installed (pip install 'artificial-metabolic-networks[boost]')"


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


def statistical_methods(task: Task = "regression", n_targets: int = 1) -> list[Method]:
    """Baselines that need only the table (``random_state=None``: the protocol seeds each repeat).

    They read every input column (uptakes, knockout mask, measured and extra inputs).

    Parameters
    ----------
    task : {"regression", "classification"}
    n_targets : int, default 1
        Several regression targets: every baseline predicts all of them (ridge, the Gaussian process,
        random forest, OLS and ANN-Dense natively -- ridge with one penalty per target --; XGBoost one model per
        target, ``MultiOutputRegressor``).

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
            Method("logistic regression", lambda t: UnlimitedScaled(LogisticRegressionCV(
                Cs=13, l1_ratios=(0.0,), scoring="neg_log_loss", use_legacy_attributes=False))),
            Method("random forest", lambda t: RandomForestClassifier(n_estimators=500)),
            Method("XGBoost", lambda t: _xgboost("XGBClassifier")),
            Method("ANN-Dense", lambda t: UnlimitedScaled(MLPClassifier(hidden_layer_sizes=(50,), alpha=1e-2,
                                                                        solver="lbfgs", max_iter=2000))),
        ]
    else:
        methods = [
            Method("ridge", lambda t: RidgeCV(alphas=np.logspace(-3, 3, 25), alpha_per_target=n_targets > 1),
                   "one penalty per target (efficient leave-one-out on the training rows)" if n_targets > 1 else ""),
            Method("Gaussian process (ARD)", lambda t: ARDGaussianProcess()),
            Method("random forest", lambda t: RandomForestRegressor(n_estimators=500)),
            Method("XGBoost", (lambda t: MultiOutputRegressor(_xgboost("XGBRegressor", subsample=0.8, random_state=0)))
                   if n_targets > 1 else (lambda t: _xgboost("XGBRegressor", subsample=0.8)),
                   "one model per target" if n_targets > 1 else ""),
            Method("OLS (statsmodels)", lambda t: OLSRegressor()),
            Method("ANN-Dense", lambda t: ANNDense()),
        ]
    return methods if boost else [m for m in methods if m.name != "XGBoost"]


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

    Statistical baselines always (every input column, one or several targets); the growth-rate methods
    when asked for and when the table suits them (:func:`mechanistic_blocker`), else one warning each.

    Parameters
    ----------
    table : ExperimentTable
        The table (its task and targets decide the statistical baselines).
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
        When ``xgboost`` is not installed (its baseline is left out), and, when the table does not suit
        the growth-rate methods, one per method asked for (``network``, ``exact_route``, ``amn_epochs``,
        ``growth_model``) saying why it is skipped.

    Examples
    --------
    >>> names = [m.name for m in methods_for(table, network, medium, amn_epochs=200)]  # doctest: +SKIP
    """
    out = statistical_methods(table.task, len(table.targets))
    growth, skipped = growth_methods(table, network, medium, exact_route=exact_route, amn_epochs=amn_epochs,
                                     amn_network=amn_network, growth_model=growth_model, reservoir_fba=reservoir_fba)
    if network is not None and (len(table.targets) > 1 or table.knockout_ids or table.measured_reactions):
        why = flux_blocker(table)
        if why is None:
            growth += flux_methods(network)
        else:
            skipped.append(f"flux AMNs (--model) skipped: {why}")
    for line in skipped:
        warnings.warn(line, stacklevel=2)
    return out + growth
