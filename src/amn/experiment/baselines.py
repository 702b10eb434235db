"""Baselines of the experimental benchmark (method 4 of the AMN paper, plus ridge and GP).

Statistical baselines learn growth from the 0/1 composition indicators: ridge,
a Gaussian process with one length scale per compound (ARD), random forest,
XGBoost, ordinary least squares (statsmodels) and a plain dense network.

Mechanistic baselines run FBA on the genome-scale network: every composition
compound present in a medium gets an uptake bound, absent ones are closed, the
base medium stays open at its medium-file bound, and every other uptake of the
model is closed.  :class:`FBAFixedBound` picks one bound for all variable
compounds from a small grid; :class:`FBAFittedBounds` fits one bound per
compound with L-BFGS-B, its gradient taken from the LP duals (the reduced cost
of an uptake column is d growth / d upper bound).  Both fit on the training
folds only and may add an affine calibration ``a * growth + b`` (``calibrate``),
which the method table reports.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.optimize import minimize
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
from sklearn.linear_model import LogisticRegressionCV, RidgeCV
from sklearn.model_selection import KFold
from sklearn.neural_network import MLPClassifier, MLPRegressor
from xgboost import XGBClassifier, XGBRegressor

from amn.errors import DatasetMismatchError, MediumError
from amn.experiment.protocol import Method
from amn.experiment.table import ExperimentTable, Task
from amn.media.spec import MediumSpec
from amn.solve.highs import HighsLP
from amn.solve.pfba import FluxProblem

#: Media whose growth :class:`UptakeModel` remembers before it forgets them all.
MEMO_SIZE = 200_000
#: Uptake bounds tried by :class:`FBAFixedBound` (mmol/gDW/h).
BOUND_GRID = (0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0)


def _matrix(X, columns: Sequence[str] | None = None) -> np.ndarray:
    """``X`` as a float array; a DataFrame is reordered to ``columns`` when they are given."""
    if isinstance(X, pd.DataFrame) and columns is not None:
        missing = [c for c in columns if c not in X.columns]
        if missing:
            raise DatasetMismatchError(f"composition table lacks column(s) {', '.join(missing[:5])}")
        X = X[list(columns)]
    return np.asarray(X, dtype=float)


# ---------------------------------------------------------------------------------------------
# FBA on media given by composition indicators


class UptakeModel:
    """FBA growth of media given as 0/1 composition rows on one unidirectional network.

    A present composition compound gets its bound (the medium-file bound for
    base compounds, a learned bound for the ``variable_ids``); absent ones and
    every uptake outside the medium are closed; base uptakes of the medium file
    that the table does not list stay open at their bound.  The LP is built
    once and kept warm in HiGHS; copies (``clone``, ``deepcopy``) share it.
    """

    def __init__(self, network, composition_ids: Sequence[str], medium: MediumSpec | None = None) -> None:
        self.composition_ids = list(composition_ids)
        self.model_id = network.model.id
        fixed = {} if medium is None else dict(zip(medium.minimal, medium.max_value[np.asarray(medium.level) <= 1]))
        if medium is not None:
            medium.check(network)
        self.variable_ids = [r for r in self.composition_ids if r not in fixed]
        if not self.variable_ids:
            raise MediumError(f"model {self.model_id}: every composition compound is in the base medium")
        self.extra_ids = [r for r in fixed if r not in set(self.composition_ids)]
        self.problem = FluxProblem.from_network(network, self.composition_ids + self.extra_ids)
        self._fixed = np.array([fixed.get(r, np.nan) for r in self.composition_ids])
        self._extra = np.array([fixed[r] for r in self.extra_ids])
        self._variable = np.flatnonzero(np.isnan(self._fixed))
        self._lp: HighsLP | None = None
        self._memo: dict[bytes, float] = {}

    @classmethod
    def from_table(cls, network, table: ExperimentTable, medium: MediumSpec | None = None) -> "UptakeModel":
        return cls(network, table.composition_ids, medium)

    def __deepcopy__(self, memo) -> "UptakeModel":
        return self  # immutable apart from the warm LP, which copies may share

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_lp": None, "_memo": {}}  # HiGHS objects do not pickle; rebuilt on demand

    @property
    def medium_ids(self) -> list[str]:
        """Uptakes that a medium may open: the composition ids, then the base uptakes not in the table."""
        return self.composition_ids + self.extra_ids

    def indicators(self, X) -> np.ndarray:
        """Composition rows as a 0/1 array in ``composition_ids`` order."""
        A = _matrix(X, self.composition_ids)
        if A.ndim != 2 or A.shape[1] != len(self.composition_ids):
            raise DatasetMismatchError(
                f"expected {len(self.composition_ids)} composition columns ({self.composition_ids[0]}, ...), "
                f"got shape {A.shape}"
            )
        if not np.isin(A, (0.0, 1.0)).all():
            raise DatasetMismatchError("composition values must be 0 or 1")
        return A

    def medium_bounds(self, X, variable_bounds: np.ndarray) -> np.ndarray:
        """Media x ``medium_ids`` upper bounds for the given bounds of the ``variable_ids``."""
        A = self.indicators(X)
        per_compound = self._fixed.copy()
        per_compound[self._variable] = variable_bounds
        return np.hstack([A * per_compound, np.broadcast_to(self._extra, (len(A), len(self._extra)))])

    def limiting(self, X, variable_bounds: np.ndarray) -> np.ndarray:
        """Positions (in ``composition_ids``) of the base uptakes that limit FBA growth in some medium:
        present, with a non-zero reduced cost at the medium-file bound, the variable compounds at
        ``variable_bounds``.  These are the base bounds worth learning."""
        A = self.indicators(X)
        _, dg = self.growth(self.medium_bounds(A, variable_bounds), gradient=True)
        fixed = np.flatnonzero(~np.isnan(self._fixed))
        return fixed[(np.abs(dg[:, fixed]) * A[:, fixed] > 1e-9).any(axis=0)]

    def _solver(self) -> HighsLP:
        if self._lp is None:
            p = self.problem
            self._lp = HighsLP(p.S, p.lower, p.upper, p.c, maximize=p.maximize)
            closed = np.zeros(len(p.uptake_columns))
            self._lp.set_bounds(p.uptake_columns, closed, closed)
        return self._lp

    def growth(self, bounds: np.ndarray, gradient: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """FBA growth of every row of ``bounds`` (media x ``medium_ids``), 0 where no steady state exists,
        and optionally d growth / d bound (media x ``medium_ids``, from the reduced costs).

        Growth values are memoised by medium (the optimum is unique, whatever the
        basis), so grids re-used across folds cost nothing.  Reduced costs are not
        unique at degenerate optima: a gradient call restarts the solver cold, so it
        depends only on its own rows.
        """
        lp = self._solver()
        columns = self.problem.medium_columns
        growth = np.zeros(len(bounds))
        grad = np.zeros_like(bounds) if gradient else None
        if gradient:
            lp.clear_basis()
        elif len(self._memo) > MEMO_SIZE:
            self._memo.clear()
        for i, upper in enumerate(bounds):
            key = None if gradient else upper.tobytes()
            if key in self._memo:
                growth[i] = self._memo[key]
                continue
            lp.set_bounds(columns, np.zeros(len(columns)), upper)
            solution = lp.solve()
            if solution.optimal:
                growth[i] = solution.objective
                if grad is not None:
                    grad[i] = lp.duals()[0][columns]
            if key is not None:
                self._memo[key] = growth[i]
        return growth, grad


def _affine(g: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares ``a, b`` of ``y ~ a * g + b`` (``a = 0`` when ``g`` is constant)."""
    centred = g - g.mean()
    denominator = float(centred @ centred)
    a = float(centred @ (y - y.mean())) / denominator if denominator > 1e-12 else 0.0
    return a, float(y.mean() - a * g.mean())


class _FBARegressor(RegressorMixin, BaseEstimator):
    """Shared prediction side of the FBA baselines: ``coef_ * growth + intercept_``."""

    def _calibration(self, g: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        return _affine(g, y) if self.calibrate else (1.0, 0.0)

    def uptake_bounds(self, X) -> pd.DataFrame:
        """Media x uptake ids: the upper bounds FBA runs with (all other uptakes closed)."""
        index = X.index if isinstance(X, pd.DataFrame) else None
        bounds = self.uptake_model.medium_bounds(X, self.bounds_.to_numpy())
        return pd.DataFrame(bounds, index=index, columns=self.uptake_model.medium_ids)

    def fba_growth(self, X) -> np.ndarray:
        """Uncalibrated FBA growth with the fitted bounds."""
        return self.uptake_model.growth(self.uptake_model.medium_bounds(X, self.bounds_.to_numpy()))[0]

    def predict(self, X) -> np.ndarray:
        return self.coef_ * self.fba_growth(X) + self.intercept_


class FBAFixedBound(_FBARegressor):
    """FBA with one uptake bound for every variable compound present, the best of ``grid`` on the
    training data (least squares, after the affine calibration when ``calibrate``)."""

    def __init__(self, uptake_model: UptakeModel, grid: Sequence[float] = BOUND_GRID, calibrate: bool = False) -> None:
        self.uptake_model = uptake_model
        self.grid = grid
        self.calibrate = calibrate

    def fit(self, X, y) -> "FBAFixedBound":
        y = np.asarray(y, dtype=float)
        k = len(self.uptake_model.variable_ids)
        best = None
        for bound in self.grid:
            g = self.uptake_model.growth(self.uptake_model.medium_bounds(X, np.full(k, float(bound))))[0]
            a, b = self._calibration(g, y)
            sse = float(np.sum((a * g + b - y) ** 2))
            if best is None or sse < best[0]:
                best = (sse, float(bound), a, b)
        _, self.bound_, self.coef_, self.intercept_ = best
        self.bounds_ = pd.Series(self.bound_, index=self.uptake_model.variable_ids)
        return self


class FBAFittedBounds(_FBARegressor):
    """FBA with one uptake bound per variable compound, fitted by L-BFGS-B in ``[0, max_bound]``.

    Starts from the best single bound of the grid; minimises the training mean
    squared error over var(y) (scale free), with the exact affine calibration
    refitted at every step when ``calibrate``.  The gradient comes from the LP
    duals; FBA growth is piecewise linear in the bounds, so it is a subgradient
    at the kinks.
    """

    def __init__(
        self,
        uptake_model: UptakeModel,
        max_bound: float = 20.0,
        calibrate: bool = False,
        grid: Sequence[float] = BOUND_GRID,
        max_iter: int = 50,
    ) -> None:
        self.uptake_model = uptake_model
        self.max_bound = max_bound
        self.calibrate = calibrate
        self.grid = grid
        self.max_iter = max_iter

    def fit(self, X, y) -> "FBAFittedBounds":
        y = np.asarray(y, dtype=float)
        um = self.uptake_model
        A = um.indicators(X)
        start = FBAFixedBound(um, self.grid, self.calibrate).fit(A, y)
        scale = max(float(np.var(y)), 1e-12) * len(y)
        variable = um._variable

        def loss(bounds: np.ndarray) -> tuple[float, np.ndarray]:
            g, dg = um.growth(um.medium_bounds(A, bounds), gradient=True)
            a, b = self._calibration(g, y)
            residual = a * g + b - y
            # envelope theorem: (a, b) are optimal, so only d growth / d bound contributes
            d_bound = (2.0 * a * residual) @ (dg[:, variable] * A[:, variable])
            return float(residual @ residual) / scale, d_bound / scale

        result = minimize(
            loss,
            start.bounds_.to_numpy(),
            jac=True,
            method="L-BFGS-B",
            bounds=[(0.0, self.max_bound)] * len(um.variable_ids),
            options={"maxiter": self.max_iter},
        )
        self.bounds_ = pd.Series(result.x, index=um.variable_ids)
        self.n_iter_ = int(result.nit)
        g = um.growth(um.medium_bounds(A, result.x))[0]
        self.coef_, self.intercept_ = self._calibration(g, y)
        return self


class FBACompositionBounds(_FBARegressor):
    """The exact-FBA route of the reservoir: composition -> uptake bounds -> FBA, no surrogate.

    Each learned uptake ``j`` gets, in medium ``i``, the bound
    ``present_ij * max_j * sigmoid(w_j . C_i + b_j)``: one logistic layer on the
    variable compounds' indicators ``C`` (the reservoir's uptake layer), so a
    compound's uptake may depend on what else is in the medium.  Learned: the
    variable compounds and the base uptakes that limit FBA growth in some training
    medium (:meth:`UptakeModel.limiting`), all with ``max_j = max_bound``: a medium
    file's base bound is a modelling default, not a measured uptake, so it may go up
    as well as down (capped at the medium-file bound instead, seed-0 Q^2 on the
    E. coli table was 0.759 against 0.804).
    Trained by L-BFGS on the mean squared error over var(y) plus ``alpha * ||w||^2``,
    the gradient of FBA growth taken from the LP duals; FBA growth is piecewise linear,
    so it is a subgradient at kinks.  ``uptake_bounds`` gives bounds that plain
    COBRApy reproduces exactly (no calibration).  Defaults ``alpha=0.05``,
    ``max_iter=100``: on the E. coli table (seed 0, 10 folds) ``1e-3``/200 overfit
    (training R^2 0.92, Q^2 0.57); ``alpha`` 0.05 and 0.01 gave Q^2 0.804 and 0.801.
    """

    def __init__(self, uptake_model: UptakeModel, max_bound: float = 20.0, alpha: float = 0.05,
                 max_iter: int = 100, grid: Sequence[float] = BOUND_GRID) -> None:
        self.uptake_model = uptake_model
        self.max_bound = max_bound
        self.alpha = alpha
        self.max_iter = max_iter
        self.grid = grid

    def _bounds(self, A: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Medium bounds (media x medium_ids), the learned bounds' sigmoid and the layer inputs."""
        um = self.uptake_model
        k = len(self.learned_)
        inputs = np.hstack([A[:, um._variable], np.ones((len(A), 1))])
        W = theta.reshape(k, inputs.shape[1])
        sig = 1.0 / (1.0 + np.exp(-(inputs @ W.T)))
        bounds = um.medium_bounds(A, np.zeros(len(um.variable_ids)))
        bounds[:, self.learned_] = A[:, self.learned_] * self.cap_ * sig
        return bounds, sig, inputs

    def fit(self, X, y) -> "FBACompositionBounds":
        y = np.asarray(y, dtype=float)
        um = self.uptake_model
        A = um.indicators(X)
        start = FBAFittedBounds(um, self.max_bound, grid=self.grid).fit(A, y)
        limiting = um.limiting(A, start.bounds_.to_numpy())
        self.learned_ = np.concatenate([um._variable, limiting]).astype(int)
        self.cap_ = np.concatenate([np.full(len(um._variable), self.max_bound),
                                    np.maximum(self.max_bound, um._fixed[limiting])])
        # start where the per-compound fit ended (base uptakes at their medium-file bound), no interactions
        base = um.medium_bounds(A, start.bounds_.to_numpy())
        first = np.clip(base[:, self.learned_].max(axis=0) / self.cap_, 1e-3, 0.95)
        n_in = len(um._variable) + 1
        theta0 = np.zeros((len(self.learned_), n_in))
        theta0[:, -1] = np.log(first / (1 - first))
        scale = max(float(np.var(y)), 1e-12) * len(y)
        weights = np.ones_like(theta0)
        weights[:, -1] = 0.0  # the biases are not penalised

        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            bounds, sig, inputs = self._bounds(A, theta)
            g, dg = um.growth(bounds, gradient=True)
            residual = g - y
            d_bound = 2.0 * residual[:, None] * dg[:, self.learned_] * A[:, self.learned_] * self.cap_ * sig * (1 - sig)
            penalised = weights * theta.reshape(theta0.shape)
            grad = d_bound.T @ inputs / scale + 2 * self.alpha * penalised
            return float(residual @ residual) / scale + self.alpha * float(np.sum(penalised * theta.reshape(theta0.shape))), grad.ravel()

        result = minimize(loss, theta0.ravel(), jac=True, method="L-BFGS-B", options={"maxiter": self.max_iter})
        self.theta_ = result.x
        self.n_iter_ = int(result.nit)
        self.learned_ids_ = [um.composition_ids[j] for j in self.learned_]
        self.coef_, self.intercept_ = 1.0, 0.0
        return self

    def uptake_bounds(self, X) -> pd.DataFrame:
        index = X.index if isinstance(X, pd.DataFrame) else None
        bounds = self._bounds(self.uptake_model.indicators(X), self.theta_)[0]
        return pd.DataFrame(bounds, index=index, columns=self.uptake_model.medium_ids)

    def fba_growth(self, X) -> np.ndarray:
        return self.uptake_model.growth(self._bounds(self.uptake_model.indicators(X), self.theta_)[0])[0]


# ---------------------------------------------------------------------------------------------
# statistical baselines


def _varying(X: np.ndarray) -> np.ndarray:
    """Columns that are not constant (the base medium carries no information)."""
    return np.flatnonzero(np.ptp(X, axis=0) > 0)


class OLSRegressor(RegressorMixin, BaseEstimator):
    """Ordinary least squares (statsmodels) on the varying columns plus an intercept;
    ``results_`` keeps the statsmodels results (coefficients, standard errors, p-values)."""

    def fit(self, X, y) -> "OLSRegressor":
        X = _matrix(X)
        self.support_ = _varying(X)
        self.results_ = sm.OLS(np.asarray(y, dtype=float), sm.add_constant(X[:, self.support_], has_constant="add")).fit()
        return self

    def predict(self, X) -> np.ndarray:
        X = _matrix(X)
        return self.results_.predict(sm.add_constant(X[:, self.support_], has_constant="add"))


class ARDGaussianProcess(RegressorMixin, BaseEstimator):
    """Gaussian process regression, RBF kernel with one length scale per varying column (ARD),
    a signal variance and a white-noise term, all fitted by marginal likelihood."""

    def __init__(self, n_restarts_optimizer: int = 3, random_state: int | None = None) -> None:
        self.n_restarts_optimizer = n_restarts_optimizer
        self.random_state = random_state

    def fit(self, X, y) -> "ARDGaussianProcess":
        X = _matrix(X)
        self.support_ = _varying(X)
        kernel = ConstantKernel(1.0, (1e-3, 1e3)) * RBF(np.ones(len(self.support_)), (1e-2, 1e3)) + WhiteKernel(
            0.1, (1e-6, 1e1)
        )
        self.gp_ = GaussianProcessRegressor(
            kernel,
            normalize_y=True,
            n_restarts_optimizer=self.n_restarts_optimizer,
            random_state=self.random_state,
        )
        with warnings.catch_warnings():  # a length scale at its upper bound is ARD switching a compound off
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.gp_.fit(X[:, self.support_], np.asarray(y, dtype=float))
        return self

    def predict(self, X) -> np.ndarray:
        return self.gp_.predict(_matrix(X)[:, self.support_])


class ANNDense(RegressorMixin, BaseEstimator):
    """Plain dense network (one hidden ReLU layer, L-BFGS) on the indicators, target standardised.

    The L2 penalty is chosen among ``alphas`` by an inner ``cv``-fold CV on the
    training data (as RidgeCV does): on a hundred media it decides between
    overfitting and a smooth fit, and must not be picked on validation folds.
    """

    def __init__(
        self,
        hidden: tuple[int, ...] = (50,),
        alphas: Sequence[float] = (0.01, 0.1, 1.0, 10.0),
        cv: int = 3,
        max_iter: int = 500,
        random_state: int | None = None,
    ) -> None:
        self.hidden = hidden
        self.alphas = alphas
        self.cv = cv
        self.max_iter = max_iter
        self.random_state = random_state

    def _net(self, alpha: float) -> MLPRegressor:
        return MLPRegressor(
            hidden_layer_sizes=self.hidden, alpha=alpha, solver="lbfgs", max_iter=self.max_iter,
            random_state=self.random_state,
        )

    def fit(self, X, y) -> "ANNDense":
        X, y = _matrix(X), np.asarray(y, dtype=float)
        self.y_mean_, self.y_scale_ = float(y.mean()), float(y.std()) or 1.0
        z = (y - self.y_mean_) / self.y_scale_
        inner = KFold(self.cv, shuffle=True, random_state=self.random_state)
        errors = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for alpha in self.alphas:
                errors.append(sum(
                    float(np.sum((self._net(alpha).fit(X[tr], z[tr]).predict(X[va]) - z[va]) ** 2))
                    for tr, va in inner.split(X)
                ))
            self.alpha_ = float(self.alphas[int(np.argmin(errors))])
            self.net_ = self._net(self.alpha_).fit(X, z)
        return self

    def predict(self, X) -> np.ndarray:
        return self.net_.predict(_matrix(X)) * self.y_scale_ + self.y_mean_


# ---------------------------------------------------------------------------------------------
# the method registry


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
