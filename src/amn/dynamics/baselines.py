"""Baselines of curve prediction, each with ``fit(curves[, until])`` and ``predict(curves)``.

- :class:`SigmoidForecast`: per medium, a modified logistic or Gompertz curve
  (Zwietering et al. 1990) fitted with scipy to the known part of the curve: the forecast split.
- :class:`PointRegressor`: a random forest or ridge regression straight from the
  concentrations to the ln-OD points (held-out media).
- :class:`CurveParameterBoosting`: gradient boosting from the concentrations to
  the Gompertz parameters of each training curve (held-out media).
- :class:`PlainDynamicFBA`: dynamic FBA with fixed Michaelis–Menten uptake, no lag,
  nothing learned (held-out media and forecast alike).
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from scipy.optimize import OptimizeWarning, curve_fit
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from amn.dynamics.curves import CurveSet
from amn.dynamics.model import DynamicFBA
from amn.errors import ParameterError


def logistic(t, a, mu, lam):
    """Modified logistic: ln-OD gain over the first point, asymptote ``a``, maximal rate ``mu``, lag ``lam``."""
    return a / (1 + np.exp(np.clip(4 * mu / max(a, 1e-9) * (lam - t) + 2, -50, 50)))


def gompertz(t, a, mu, lam):
    """Modified Gompertz: ln-OD gain over the first point (parameters as :func:`logistic`)."""
    return a * np.exp(-np.exp(np.clip(mu * np.e / max(a, 1e-9) * (lam - t) + 1, -50, 50)))


CURVES = {"logistic": logistic, "gompertz": gompertz}


def fit_sigmoid(t: np.ndarray, gain: np.ndarray, kind: str = "gompertz", sigma: np.ndarray | None = None) -> np.ndarray:
    """``(a, mu, lam)`` of a sigmoid fitted to a ln-OD gain curve (least squares, bounded; a flat fit on failure)."""
    f = CURVES[kind]
    span = float(t[-1] - t[0]) or 1.0
    a0 = max(float(gain.max()), 1e-3)
    start = (a0, max(a0 / span, 1e-3), float(t[0]) + span / 3)
    bounds = ([0.0, 0.0, float(t[0]) - span], [10.0, 5.0, float(t[-1]) + 2 * span])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            params, _ = curve_fit(f, t, gain, p0=start, bounds=bounds, sigma=sigma, maxfev=5000)
    except (RuntimeError, ValueError):
        params = np.array([max(float(gain.mean()), 0.0), 0.0, float(t[0])])
    return np.asarray(params, float)


class SigmoidForecast:
    """Per-medium logistic / Gompertz fit of the points up to ``until``, extrapolated (forecast split).

    Parameters
    ----------
    kind : {"gompertz", "logistic"}
    """

    def __init__(self, kind: str = "gompertz") -> None:
        if kind not in CURVES:
            raise ParameterError(f"kind must be one of {', '.join(CURVES)}, got {kind!r}")
        self.kind = kind

    def fit(self, curves: CurveSet, until: float | None = None) -> SigmoidForecast:
        self.params_ = {}
        for i, medium in enumerate(curves.ids):
            known = curves.read[i] & (curves.times <= (np.inf if until is None else until + 1e-9))
            y = curves.log_od[i]
            sigma = None if curves.sd is None else np.sqrt(curves.sd[i][known] ** 2 + 0.05 ** 2)
            self.params_[medium] = fit_sigmoid(curves.times[known], y[known] - curves.log_od0[i], self.kind, sigma)
        return self

    def predict(self, curves: CurveSet) -> np.ndarray:
        f = CURVES[self.kind]
        return np.array([curves.log_od0[i] + f(curves.times, *self.params_[m]) for i, m in enumerate(curves.ids)])


def on_every_time(curves: CurveSet) -> np.ndarray:
    """The ln OD of every curve at every time: a curve not read at a time is interpolated there (linear
    between its readings, flat before its first and after its last), for the methods that regress whole curves."""
    return np.array([np.interp(curves.times, curves.times[read], y[read]) for y, read in zip(curves.log_od, curves.read)])


class PointRegressor:
    """Concentrations -> the ln-OD points, by a random forest (300 trees) or ridge regression (held-out media).

    Curves read at different times are regressed on every time, each interpolated where it was not
    read (:func:`on_every_time`).

    Parameters
    ----------
    kind : {"rf", "ridge"}
    seed : int
    """

    def __init__(self, kind: str = "rf", seed: int = 0) -> None:
        if kind not in ("rf", "ridge"):
            raise ParameterError(f"kind must be 'rf' or 'ridge', got {kind!r}")
        self.kind, self.seed = kind, seed

    def fit(self, curves: CurveSet, until: float | None = None) -> PointRegressor:
        if until is not None:
            raise ParameterError("PointRegressor predicts new media, not the later points of known ones (until)")
        if self.kind == "rf":
            self.model_ = RandomForestRegressor(300, random_state=self.seed, n_jobs=1)
        else:
            self.model_ = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13)))
        self.model_.fit(curves.media.to_numpy(float), on_every_time(curves))
        return self

    def predict(self, curves: CurveSet) -> np.ndarray:
        return self.model_.predict(curves.media.to_numpy(float))


class CurveParameterBoosting:
    """Gradient boosting from the concentrations to each training curve's Gompertz ``(a, mu, lam)`` (held-out media).

    The predicted curve starts from the medium's first point.
    """

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def fit(self, curves: CurveSet, until: float | None = None) -> CurveParameterBoosting:
        if until is not None:
            raise ParameterError("CurveParameterBoosting predicts new media, not the later points of known ones (until)")
        params = np.array([fit_sigmoid(curves.times[read], y[read] - y0)
                           for y, read, y0 in zip(curves.log_od, curves.read, curves.log_od0)])
        X = curves.media.to_numpy(float)
        self.models_ = [GradientBoostingRegressor(random_state=self.seed).fit(X, params[:, j]) for j in range(3)]
        return self

    def predict(self, curves: CurveSet) -> np.ndarray:
        X = curves.media.to_numpy(float)
        a, mu, lam = (np.clip(m.predict(X), 0, None) for m in self.models_)
        return np.array([curves.log_od0[i] + gompertz(curves.times, a[i], mu[i], lam[i]) for i in range(len(X))])


class PlainDynamicFBA:
    """Dynamic FBA with fixed Michaelis–Menten uptake ``vmax * C / (km + C)``, no lag, nothing learned.

    Parameters
    ----------
    growth_model : GrowthModel
        The network and growth map (:class:`~amn.dynamics.estimator.GrowthModel`).
    vmax : float
        mmol/gDW/h, every compound.
    km : float
        mM, every compound.
    substeps : int
    od_to_biomass : float
    """

    def __init__(self, growth_model, vmax: float = 10.0, km: float = 0.01, substeps: int = 4,
                 od_to_biomass: float = 0.4) -> None:
        self.growth_model, self.vmax, self.km = growth_model, vmax, km
        self.substeps, self.od_to_biomass = substeps, od_to_biomass

    def fit(self, curves: CurveSet, until: float | None = None) -> PlainDynamicFBA:
        """Nothing to learn: builds the fixed model for the curves' compounds."""
        dn = self.growth_model.dynamic_network
        scale = dn.initial_state(curves.media.to_numpy(float)).max(axis=0)
        self.module_ = DynamicFBA(self.growth_model.growth_map, scale, u_max=self.growth_model.u_max,
                                  substeps=self.substeps, od_to_biomass=self.od_to_biomass,
                                  secreted=dn.secreted_index).double()
        self.module_.fix_kinetics(self.vmax, self.km)
        return self

    def predict(self, curves: CurveSet) -> np.ndarray:
        with torch.no_grad():
            c0 = torch.as_tensor(self.growth_model.dynamic_network.initial_state(curves.media.to_numpy(float)))
            return self.module_(c0, torch.as_tensor(curves.times), torch.as_tensor(curves.log_od0),
                                start=torch.as_tensor(curves.start))[0].numpy()
