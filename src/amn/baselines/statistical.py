"""Statistical baselines: targets learned from the table's inputs alone (no metabolic model).

Ridge, a Gaussian process with one length scale per compound (ARD), random
forest, XGBoost (optional), ordinary least squares (statsmodels) and a plain
dense network; the scikit-learn ones are used as they are, these wrap what
scikit-learn lacks.  Each takes one target or several (a 2-D ``y``: one column per target).
The models that need inputs of order one (the dense networks, logistic regression) see each
column at an "unlimited" bound (1000) divided by its maximum (:class:`UnlimitedScaled`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import statsmodels.api as sm
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
from sklearn.model_selection import KFold
from sklearn.neural_network import MLPRegressor
from threadpoolctl import threadpool_limits

from amn.media.spec import unlimited_scale
from amn.solve.composition import _matrix


def _varying(X: np.ndarray) -> np.ndarray:
    """Columns that are not constant (the base medium carries no information)."""
    return np.flatnonzero(np.ptp(X, axis=0) > 0)


def _scale(X: np.ndarray) -> np.ndarray:
    """Per column, what :func:`~amn.media.spec.unlimited_scale` divides it by."""
    return np.asarray(unlimited_scale(np.abs(X).max(axis=0, initial=0.0)))


class UnlimitedScaled(ClassifierMixin, BaseEstimator):
    """A classifier fitted on the inputs with each column at an "unlimited" bound (> 100: salts open
    at 1000 or 999999) divided by its training maximum; other columns as given.

    Unscaled, L-BFGS stops at its first step on such columns (scikit-learn's "ABNORMAL"), and a dense
    network then predicts the minority class everywhere.  ``random_state`` is passed to the
    classifier, so that cross-validation seeds it.
    """

    def __init__(self, estimator, random_state: int | None = None) -> None:
        self.estimator = estimator
        self.random_state = random_state

    def fit(self, X, y) -> UnlimitedScaled:
        X = _matrix(X)
        self.scale_ = _scale(X)
        estimator = clone(self.estimator)
        if "random_state" in estimator.get_params(deep=False):
            estimator.set_params(random_state=self.random_state)
        self.estimator_ = estimator.fit(X / self.scale_, y)
        self.classes_ = self.estimator_.classes_
        return self

    def predict(self, X) -> np.ndarray:
        return self.estimator_.predict(_matrix(X) / self.scale_)

    def predict_proba(self, X) -> np.ndarray:
        return self.estimator_.predict_proba(_matrix(X) / self.scale_)


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
    """Plain dense network (one hidden ReLU layer, L-BFGS) on the inputs (those at "unlimited"
    bounds scaled as :class:`UnlimitedScaled` does), each target standardised.

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
        self.scale_ = _scale(X)  # "unlimited" bounds (1000) divided by their maximum
        X = X / self.scale_
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
        return self.net_.predict(_matrix(X) / self.scale_) * self.y_scale_ + self.y_mean_
