"""Statistical baselines: targets learned from the table's inputs alone (no metabolic model).

Ridge, a Gaussian process with one length scale per compound (ARD), random
forest, XGBoost (optional), ordinary least squares (statsmodels) and a plain
dense network; the scikit-learn ones are used as they are, these wrap what
scikit-learn lacks.  Each takes one target or several (a 2-D ``y``: one column per target).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import statsmodels.api as sm
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
from sklearn.model_selection import KFold
from sklearn.neural_network import MLPRegressor
from threadpoolctl import threadpool_limits

from amn.solve.composition import _matrix


def _varying(X: np.ndarray) -> np.ndarray:
    """Columns that are not constant (the base medium carries no information)."""
    return np.flatnonzero(np.ptp(X, axis=0) > 0)


class OLSRegressor(RegressorMixin, BaseEstimator):
    """Ordinary least squares (statsmodels) on the varying columns plus an intercept;
    ``results_`` keeps the statsmodels results (coefficients, standard errors, p-values)."""

    def fit(self, X, y) -> OLSRegressor:
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

    def fit(self, X, y) -> ARDGaussianProcess:
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
    """Plain dense network (one hidden ReLU layer, L-BFGS) on the inputs, each target standardised.

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

    def fit(self, X, y) -> ANNDense:
        X, y = _matrix(X), np.asarray(y, dtype=float)
        # per target (the same numbers as the scalar mean and SD for one target)
        self.y_mean_, scale = y.mean(axis=0), y.std(axis=0)
        self.y_scale_ = np.where(scale > 0, scale, 1.0)
        z = (y - self.y_mean_) / self.y_scale_
        inner = KFold(self.cv, shuffle=True, random_state=self.random_state)
        errors = []
        # tiny matrix products: one BLAS thread is faster, and several spin idle on a loaded
        # machine (87 s against 14 s for the CLI test's 10 folds on 2 busy cores, measured)
        with warnings.catch_warnings(), threadpool_limits(1):
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
