"""Baselines: the sigmoid fits recover known curves; the regressors have the expected shapes."""

from __future__ import annotations

import numpy as np
import pytest

from amn.dynamics import CurveSet
from amn.dynamics.baselines import CurveParameterBoosting, SigmoidForecast, fit_sigmoid, gompertz, logistic
from amn.errors import ParameterError
from tests.dynamics.conftest import synthetic_media, thinned


@pytest.mark.parametrize("kind,f", [("gompertz", gompertz), ("logistic", logistic)])
def test_sigmoid_fit_recovers_parameters(kind, f):
    t = np.linspace(0, 24, 40)
    params = fit_sigmoid(t, f(t, 2.5, 0.6, 4.0), kind)
    np.testing.assert_allclose(params, [2.5, 0.6, 4.0], rtol=1e-4)


def test_sigmoid_forecast_extrapolates_a_sigmoid():
    media = synthetic_media(3)
    t = np.linspace(0, 24, 25)
    y = np.array([-3 + gompertz(t, a, 0.5, 3.0) for a in (1.0, 2.0, 2.5)])
    model = SigmoidForecast("gompertz").fit(CurveSet(media, t, y), until=10.0)
    np.testing.assert_allclose(model.predict(CurveSet(media, t, y)), y, atol=1e-3)


def test_boosting_predicts_curves_from_the_first_point():
    media = synthetic_media(20)
    t = np.linspace(0, 24, 13)
    y = np.array([-3 + gompertz(t, 1 + g / 5, 0.5, 3.0) for g in media["glc__D_e"]])
    p = CurveParameterBoosting().fit(CurveSet(media, t, y)).predict(CurveSet(media, t, y))
    assert p.shape == y.shape
    np.testing.assert_allclose(p[:, 0], y[:, 0], atol=1e-6)
    with pytest.raises(ParameterError):
        CurveParameterBoosting().fit(CurveSet(media, t, y), until=5.0)


def test_sigmoid_baselines_fit_curves_at_their_own_readings():
    media = synthetic_media(20)
    t = np.linspace(0, 24, 25)
    y = np.array([-3 + gompertz(t, 1 + g / 5, 0.5, 3.0) for g in media["glc__D_e"]])
    sparse = thinned(CurveSet(media, t, y), keep=0.5)
    forecast = SigmoidForecast("gompertz").fit(sparse, until=12.0).predict(sparse)
    np.testing.assert_allclose(forecast, y, atol=1e-3)  # the whole curve, from the readings before 12 h
    boosted = CurveParameterBoosting().fit(sparse).predict(sparse)
    assert np.isfinite(boosted).all()
    np.testing.assert_allclose(boosted, CurveParameterBoosting().fit(CurveSet(media, t, y)).predict(sparse), atol=0.05)
