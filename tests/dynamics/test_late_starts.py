"""Curves first read after the others (flasks sampled one after another): each culture is simulated from
its own first reading, its lags counted from there; before it, its state holds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from amn.dynamics import CurveSet, DynamicAMN, DynamicFBA, read_curve_table
from amn.dynamics.baselines import CurveParameterBoosting, PlainDynamicFBA, SigmoidForecast
from tests.dynamics.conftest import synthetic_curves


def test_a_curve_first_read_later_is_read_with_its_start(tmp_path):
    pd.DataFrame({"ID": [1, 2], "glc__D_e": [5.0, 2.0]}).to_csv(tmp_path / "media.csv", index=False)
    pd.DataFrame({"T_1": [0.0, 1.0, 2.0], "OD_1": [-3.0, -2.0, -1.0],
                  "T_2": [0.5, 1.5, None], "OD_2": [-3.1, -2.5, None]}).to_csv(tmp_path / "curves.csv", index=False)
    with pytest.warns(UserWarning, match=r"curves read at different times .*; 1 first read after 0 h, each simulated "
                                         r"from its first reading"):
        data = read_curve_table(tmp_path / "media.csv", tmp_path / "curves.csv")
    np.testing.assert_array_equal(data.times, [0.0, 0.5, 1.0, 1.5, 2.0])
    np.testing.assert_array_equal(data.first, [0, 1])
    np.testing.assert_array_equal(data.start, [0.0, 0.5])
    np.testing.assert_array_equal(data.log_od0, [-3.0, -3.1])


class Yield(nn.Module):
    """Growth 0.1 gDW/mmol of what is taken up, every bound taken up."""

    def forward(self, u):
        return 0.1 * u.sum(dim=1), u


def test_a_late_culture_is_the_early_one_shifted_in_time():
    # one medium twice, started at 0 h and at 1 h on a uniform grid: the same curve, 2 points later
    torch.manual_seed(0)
    module = DynamicFBA(Yield(), [10.0, 5.0], substeps=2, background=True, lag0=1.0, width0=0.3).double()
    times = torch.arange(0.0, 8.01, 0.5, dtype=torch.float64)
    c0 = torch.tensor([[8.0, 2.0], [8.0, 2.0]], dtype=torch.float64)
    y0 = torch.tensor([-3.0, -3.0], dtype=torch.float64)
    with torch.no_grad():
        log_od, conc = module(c0, times, y0, return_state=True, start=torch.tensor([0.0, 1.0], dtype=torch.float64))
    early, late = log_od[0, 0].numpy(), log_od[0, 1].numpy()
    assert early[-1] > early[0] + 1.0  # it grows
    np.testing.assert_allclose(late[:3], -3.0, atol=1e-12)  # held until it starts
    np.testing.assert_allclose(late[2:], early[:-2], atol=1e-10)
    np.testing.assert_allclose(conc[0, 1, 2:].numpy(), conc[0, 0, :-2].numpy(), atol=1e-10)
    # every culture from the first time: the same as no start at all
    with torch.no_grad():
        same = module(c0, times, y0, start=torch.zeros(2, dtype=torch.float64))
        plain = module(c0, times, y0)
    np.testing.assert_array_equal(same.numpy(), plain.numpy())


def _late(curves: CurveSet, late: list[int], skip: int = 2) -> CurveSet:
    """The curves with some media first read ``skip`` readings late (their earlier readings removed), their
    values those of a culture that started there: its first reading, then its own curve shifted."""
    log_od = curves.log_od.copy()
    sd = None if curves.sd is None else curves.sd.copy()
    for i in late:
        log_od[i, skip:] = curves.log_od[i, :-skip]
        log_od[i, :skip] = np.nan
        if sd is not None:
            sd[i, :skip] = np.nan
    return CurveSet(curves.media, curves.times, log_od, sd, "late")


def test_plain_dynamic_fba_simulates_a_late_curve_from_its_start(core_exact):
    curves = synthetic_curves(core_exact, n=6)  # plain dynamic FBA, 0.02 noise
    model = PlainDynamicFBA(core_exact, vmax=5.0, km=0.1, substeps=2).fit(curves)
    exact = model.predict(curves)
    shifted = _late(CurveSet(curves.media, curves.times, exact), late=[1, 4])
    again = model.predict(shifted)
    np.testing.assert_allclose(again[[1, 4]][:, 2:], exact[[1, 4]][:, :-2], atol=1e-9)
    np.testing.assert_allclose(np.delete(again, [1, 4], axis=0), np.delete(exact, [1, 4], axis=0), atol=0)


def test_every_method_fits_and_predicts_late_curves(core_surrogate):
    curves = _late(synthetic_curves(core_surrogate, n=8), late=[0, 5])
    amn = DynamicAMN(growth_model=core_surrogate, epochs=30, substeps=2).fit(curves)
    assert amn.history_[-1]["loss"] < amn.history_[0]["loss"]
    prediction = amn.predict(curves)
    assert np.isfinite(prediction).all()
    np.testing.assert_allclose(prediction[[0, 5]][:, :3], curves.log_od0[[0, 5], None].repeat(3, 1), atol=1e-12)
    assert amn.score(curves) > 0.5
    for method in (SigmoidForecast("gompertz"), CurveParameterBoosting()):
        predicted = method.fit(curves).predict(curves)
        assert np.isfinite(predicted[curves.read]).all()
        error = np.abs(predicted - curves.log_od)[curves.read]
        assert np.median(error) < 0.2
