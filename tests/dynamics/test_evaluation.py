"""Curve scores and growth rates off curves, against closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from amn.dynamics import CurveSet, curve_r2, growth_rates, heldout, rmse
from amn.dynamics.baselines import PointRegressor
from amn.dynamics.evaluation import forecast_time, q2, unforeseen_falls
from tests.dynamics.conftest import synthetic_media, thinned


def test_curve_r2_counts_negative_as_zero():
    y = np.array([[0.0, 1.0, 2.0, 3.0]] * 3)
    p = np.array([[0.0, 1.0, 2.0, 3.0], [0.5, 1.0, 2.0, 2.5], [3.0, 2.0, 1.0, 0.0]])
    np.testing.assert_allclose(curve_r2(y, p), [1.0, 1 - 0.5 / 5.0, 0.0])
    assert rmse(y[:1], p[1:2]) == pytest.approx(np.sqrt(0.5 / 4))
    mask = np.array([False, False, True, True])
    assert curve_r2(y[:1], p[1:2], mask)[0] == pytest.approx(1 - 0.25 / 0.5)


def test_growth_rate_off_an_exponential_curve():
    t = np.arange(60) / 6
    log_od = np.log(0.05) + np.minimum(0.4 * t, 2.0)  # rate 0.4 1/h, then flat
    assert growth_rates(t, log_od[None])[0] == pytest.approx(0.4, rel=1e-6)


def test_q2():
    assert q2([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == 1.0
    assert q2([1.0, 2.0, 3.0, np.nan], [2.0, 2.0, 2.0, 5.0]) == pytest.approx(0.0)


def test_forecast_time():
    assert forecast_time(np.arange(20.0), 0.4) == 7.0


def test_unforeseen_falls_are_those_after_the_window_and_the_bound_holds_them_flat():
    t = np.arange(6.0)
    log_od = np.array([[0.0, 1.0, 2.0, 2.0, 1.0, 1.0],   # falls by 1 at t = 4, after the window: unforeseen
                       [0.0, 2.0, 1.0, 1.0, 1.0, 1.0],   # falls at t = 2, inside the window: seen
                       [0.0, 1.0, 2.0, 3.0, 2.8, 2.7],   # never falls by more than 0.5
                       [0.0, 1.0, 2.0, 1.6, 1.4, 1.4]])  # falls step by step, 0.6 below its peak at t = 4
    falls, bound = unforeseen_falls(t, log_od, until=2.0)
    assert falls.tolist() == [0, 3]
    held = log_od.copy()
    held[0, 4:] = 2.0
    held[3, 4:] = 1.6
    np.testing.assert_allclose(bound, curve_r2(log_od, held))
    assert bound[1] == bound[2] == 1.0 and bound[0] < 1.0
    assert unforeseen_falls(t, log_od, until=5.0)[0].size == 0  # nothing left to forecast


def test_heldout_point_regressor_on_linear_curves():
    media = synthetic_media(40)
    times = np.linspace(0, 5, 6)
    y = -3 + np.outer(media["glc__D_e"].to_numpy() + 0.5, times) * 0.1
    result = heldout(lambda s: PointRegressor("ridge", s), CurveSet(media, times, y), n_splits=5)
    assert result.mean_r2 > 0.99
    assert result.predictions.shape == (1, 40, 6)


def test_curves_read_at_different_times_are_scored_at_their_own_readings():
    y = np.array([[0.0, 1.0, np.nan, 3.0], [0.0, np.nan, 2.0, np.nan]])
    p = np.array([[0.0, 1.0, 9.0, 2.0], [0.0, 9.0, 1.0, 9.0]])
    expected = [1 - 1.0 / ((np.array([0.0, 1.0, 3.0]) - 4 / 3) ** 2).sum(), 1 - 1.0 / 2.0]
    np.testing.assert_allclose(curve_r2(y, p), expected)
    assert rmse(y, p) == pytest.approx(np.sqrt(2.0 / 5))
    assert np.isnan(rmse(y, np.where(np.isnan(y), 0.0, np.nan)))  # a failed prediction where read is not dropped
    t = np.arange(60) / 6
    curve = np.log(0.05) + np.minimum(0.4 * t, 2.0)
    sparse = np.where(np.arange(60) % 2 == 0, curve, np.nan)  # read every 20 minutes on a 10-minute grid
    assert growth_rates(t, sparse[None])[0] == pytest.approx(growth_rates(t[::2], curve[None, ::2])[0], rel=1e-12)
    falls, bound = unforeseen_falls(np.arange(5.0), np.array([[0.0, 2.0, np.nan, 1.0, 1.0]]), until=1.0)
    assert falls.tolist() == [0] and bound[0] < 1.0


def test_heldout_point_regressor_on_curves_read_at_different_times():
    media = synthetic_media(40)
    times = np.linspace(0, 5, 6)
    y = -3 + np.outer(media["glc__D_e"].to_numpy() + 0.5, times) * 0.1
    read = thinned(CurveSet(media, times, y)).read
    read[:, -1] = True  # read to the end: between its readings, a straight line is interpolated exactly
    sparse = CurveSet(media, times, np.where(read, y, np.nan))
    assert not sparse.read.all()
    result = heldout(lambda s: PointRegressor("ridge", s), sparse, n_splits=5)
    assert result.mean_r2 > 0.99
    np.testing.assert_allclose(result.r2, curve_r2(sparse.log_od, result.predictions[0])[None])
