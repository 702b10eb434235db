"""FBA baselines of the experimental benchmark (method 4 of the AMN paper).

Mechanistic baselines run FBA on the genome-scale network: every composition
compound present in a medium gets an uptake bound, absent ones are closed, the
base medium stays open at its medium-file bound, and every other uptake of the
model is closed.  :class:`FBAFixedBound` picks one bound for all variable
compounds from a small grid; :class:`FBAFittedBounds` fits one bound per
compound with L-BFGS-B, its gradient taken from the LP duals (the reduced cost
of an uptake column is d growth / d upper bound).  Both fit on the training
folds only and may add an affine calibration ``a * growth + b`` (``calibrate``),
which the method table reports.

Compositions may be presence, uptake bounds or concentrations (the
:class:`UptakeModel`'s ``composition``): the fitted per-compound value is then a
bound, a scale on the table's bound, or bound per unit of concentration, and the
grid and cap default to the uptake model's (:data:`~amn.solve.composition.PARAMETER_GRIDS`).
A table's knockout columns (genes or reactions, 1 = knocked out) are applied in every
FBA solve of their rows: the uptake model closes the reactions each knockout removes.

:class:`FBAGrowthClassifier` is the growth / no-growth form: FBA growth above a
threshold chosen on the training rows (maximising balanced accuracy), FBA growth
minus the threshold as the score for ROC AUC.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import balanced_accuracy_score

from amn.errors import DatasetMismatchError, ParameterError
from amn.solve.composition import PARAMETER_GRIDS, UptakeModel

#: Uptake bounds tried by :class:`FBAFixedBound` on presence tables (mmol/gDW/h).
BOUND_GRID = PARAMETER_GRIDS["presence"]
#: The bound FBA gives a present compound when a presence table says nothing else: the usual default uptake of
#: genome-scale models (glucose in BiGG models), mmol/gDW/h.
DEFAULT_BOUND = 10.0


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
        """Uncalibrated FBA growth with the fitted bounds (each row's knockouts applied)."""
        um = self.uptake_model
        return um.growth(um.medium_bounds(X, self.bounds_.to_numpy()), knocked_out=um.knocked_out(X))[0]

    def predict(self, X) -> np.ndarray:
        return self.coef_ * self.fba_growth(X) + self.intercept_


class FBAFixedBound(_FBARegressor):
    """FBA with one uptake bound for every variable compound present, the best of ``grid`` on the
    training data (least squares, after the affine calibration when ``calibrate``)."""

    def __init__(self, uptake_model: UptakeModel, grid: Sequence[float] | None = None, calibrate: bool = False) -> None:
        self.uptake_model = uptake_model
        self.grid = grid
        self.calibrate = calibrate

    def fit(self, X, y) -> FBAFixedBound:
        y = np.asarray(y, dtype=float)
        um = self.uptake_model
        k, knocked_out = len(um.variable_ids), um.knocked_out(X)
        best = None
        for bound in self.grid or um.parameter_grid:
            g = um.growth(um.medium_bounds(X, np.full(k, float(bound))), knocked_out=knocked_out)[0]
            a, b = self._calibration(g, y)
            sse = float(np.sum((a * g + b - y) ** 2))
            if best is None or sse < best[0]:
                best = (sse, float(bound), a, b)
        _, self.bound_, self.coef_, self.intercept_ = best
        self.bounds_ = pd.Series(self.bound_, index=self.uptake_model.variable_ids)
        return self


class FBAFittedBounds(_FBARegressor):
    """FBA with one uptake bound per variable compound, fitted by L-BFGS-B in ``[0, max_bound]``.

    On bounds or concentration tables the fitted value is a per-compound scale (on the given bound,
    or per unit of concentration); ``grid`` and ``max_bound`` default to the uptake model's
    (``parameter_grid``, ``parameter_cap``).  Starts from the best single value of the grid; minimises the training mean
    squared error over var(y) (scale free), with the exact affine calibration
    refitted at every step when ``calibrate``.  The gradient comes from the LP
    duals; FBA growth is piecewise linear in the bounds, so it is a subgradient
    at the kinks.
    """

    def __init__(
        self,
        uptake_model: UptakeModel,
        max_bound: float | None = None,
        calibrate: bool = False,
        grid: Sequence[float] | None = None,
        max_iter: int = 50,
    ) -> None:
        self.uptake_model = uptake_model
        self.max_bound = max_bound
        self.calibrate = calibrate
        self.grid = grid
        self.max_iter = max_iter

    def fit(self, X, y) -> FBAFittedBounds:
        y = np.asarray(y, dtype=float)
        um = self.uptake_model
        A, knocked_out = um.values(X), um.knocked_out(X)
        factor = um.inputs(A)  # d bound / d parameter
        start = FBAFixedBound(um, self.grid, self.calibrate).fit(X, y)
        scale = max(float(np.var(y)), 1e-12) * len(y)
        variable = um._variable
        cap = um.parameter_cap if self.max_bound is None else self.max_bound

        def loss(bounds: np.ndarray) -> tuple[float, np.ndarray]:
            g, dg = um.growth(um.medium_bounds(A, bounds), gradient=True, knocked_out=knocked_out)
            a, b = self._calibration(g, y)
            residual = a * g + b - y
            # envelope theorem: (a, b) are optimal, so only d growth / d bound contributes
            d_bound = (2.0 * a * residual) @ (dg[:, variable] * factor[:, variable])
            return float(residual @ residual) / scale, d_bound / scale

        result = minimize(
            loss,
            start.bounds_.to_numpy(),
            jac=True,
            method="L-BFGS-B",
            bounds=[(0.0, cap)] * len(um.variable_ids),
            options={"maxiter": self.max_iter},
        )
        self.bounds_ = pd.Series(result.x, index=um.variable_ids)
        self.n_iter_ = int(result.nit)
        g = um.growth(um.medium_bounds(A, result.x), knocked_out=knocked_out)[0]
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
                 max_iter: int = 100, grid: Sequence[float] | None = BOUND_GRID) -> None:
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

    def fit(self, X, y) -> FBACompositionBounds:
        y = np.asarray(y, dtype=float)
        um = self.uptake_model
        if um.composition != "presence":
            raise ParameterError(f"composition-dependent bounds are for presence tables, not {um.composition}")
        A, knocked_out = um.indicators(X), um.knocked_out(X)
        start = FBAFittedBounds(um, self.max_bound, grid=self.grid).fit(X, y)
        limiting = um.limiting(X, start.bounds_.to_numpy())
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
            g, dg = um.growth(bounds, gradient=True, knocked_out=knocked_out)
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
        um = self.uptake_model
        return um.growth(self._bounds(um.indicators(X), self.theta_)[0], knocked_out=um.knocked_out(X))[0]


def best_threshold(score: np.ndarray, y: np.ndarray) -> float:
    """The threshold ``t`` of ``score > t`` with the best balanced accuracy on ``(score, y)``.

    Tried: below every score, each midpoint between consecutive distinct scores, and the
    largest score; ties go to the lowest ``t`` (a detection limit near zero growth is the prior).

    Parameters
    ----------
    score : numpy.ndarray
        One value per row, larger for class 1.
    y : numpy.ndarray
        0/1 classes.

    Returns
    -------
    float

    Examples
    --------
    >>> best_threshold(np.array([0.0, 0.0, 0.2, 0.5]), np.array([0, 0, 1, 1]))
    0.1
    """
    values = np.unique(score)
    candidates = np.r_[values[0] - 1.0, (values[:-1] + values[1:]) / 2, values[-1]]
    with warnings.catch_warnings():  # training rows of one class: sklearn warns, the score stands
        warnings.simplefilter("ignore", UserWarning)
        best = max(range(len(candidates)), key=lambda i: (balanced_accuracy_score(y, score > candidates[i]), -i))
    return float(candidates[best])


class FBAGrowthClassifier(ClassifierMixin, BaseEstimator):
    """Grows / does not grow by FBA: growth above a threshold chosen on the training rows.

    FBA runs with every variable compound at ``parameter`` times its cell (see
    :class:`UptakeModel`): by default the table's own bounds on a bounds table,
    :data:`DEFAULT_BOUND` for a present compound on a presence table, and 1
    (mmol/gDW/h per unit) on a concentration table (with ``half_saturation``,
    :data:`DEFAULT_BOUND` as the maximal uptake).  With ``grid``, the parameter is
    the one of the grid whose best threshold classifies the training rows best.
    The threshold maximises balanced accuracy on the training rows
    (:func:`best_threshold`), so a rare class is not given up for a high accuracy,
    and is at least 0: zero growth never counts as growth (training folds without
    a medium that does not grow would otherwise put it below every growth).
    ``decision_function`` is FBA growth minus the threshold: the score of ROC AUC.

    With one medium per carbon source, nothing per compound can be learned for a
    held-out source; one shared parameter and the threshold are what transfer.

    Parameters
    ----------
    uptake_model : UptakeModel
    parameter : float or mapping of str to float, optional
        The shared per-compound parameter (see above for the default), or one per variable compound
        (uptake id -> value; compounds it does not name take the default), e.g. given scales of
        concentrations.
    grid : sequence of float, optional
        Choose the parameter from these on the training rows instead.

    Attributes
    ----------
    parameter_ : float or mapping
    threshold_ : float
    classes_ : numpy.ndarray
        ``[0, 1]``.
    """

    def __init__(self, uptake_model: UptakeModel, parameter: float | Mapping[str, float] | None = None,
                 grid: Sequence[float] | None = None) -> None:
        self.uptake_model = uptake_model
        self.parameter = parameter
        self.grid = grid

    def _default(self) -> float:
        um = self.uptake_model
        if um.table_parameter is not None:
            return um.table_parameter
        return DEFAULT_BOUND if um.composition == "presence" or um.half_saturation else 1.0

    def _values(self, parameter) -> np.ndarray:
        """The parameter of every variable compound."""
        ids = self.uptake_model.variable_ids
        if isinstance(parameter, Mapping):
            return np.array([float(parameter.get(r, self._default())) for r in ids])
        return np.full(len(ids), float(parameter))

    def _growth(self, X, parameter) -> np.ndarray:
        um = self.uptake_model
        return um.growth(um.medium_bounds(X, self._values(parameter)), knocked_out=um.knocked_out(X))[0]

    def fit(self, X, y) -> FBAGrowthClassifier:
        """Choose the parameter (with ``grid``) and the threshold on ``(X, y)``, ``y`` 0/1.

        Raises
        ------
        DatasetMismatchError
            ``y`` is not 0/1, or ``X`` does not fit the uptake model.
        """
        y = np.asarray(y, dtype=float)
        if not np.isin(y, (0.0, 1.0)).all():
            raise DatasetMismatchError("FBAGrowthClassifier: the target must be 0 or 1")
        y = y.astype(int)
        self.uptake_model.values(X)  # checked once
        best = None
        for parameter in self.grid if self.grid else [self._default() if self.parameter is None else self.parameter]:
            g = self._growth(X, parameter)
            threshold = max(best_threshold(g, y), 0.0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                quality = balanced_accuracy_score(y, g > threshold)
            if best is None or quality > best[0]:
                best = (quality, parameter if isinstance(parameter, Mapping) else float(parameter), threshold)
        _, self.parameter_, self.threshold_ = best
        self.classes_ = np.array([0, 1])
        return self

    def fba_growth(self, X) -> np.ndarray:
        """FBA growth with the fitted parameter."""
        return self._growth(X, self.parameter_)

    def uptake_bounds(self, X) -> pd.DataFrame:
        """Media x uptake ids: the upper bounds FBA runs with (all other uptakes closed)."""
        um = self.uptake_model
        bounds = um.medium_bounds(X, self._values(self.parameter_))
        return pd.DataFrame(bounds, index=X.index if isinstance(X, pd.DataFrame) else None, columns=um.medium_ids)

    def decision_function(self, X) -> np.ndarray:
        """FBA growth minus the threshold (> 0: grows)."""
        return self.fba_growth(X) - self.threshold_

    def predict(self, X) -> np.ndarray:
        """1 where FBA growth exceeds the threshold."""
        return (self.decision_function(X) > 0).astype(int)
