"""The unrolled dynamic model: the stepping against closed forms, members, the mechanistic layer in the loop."""

from __future__ import annotations

import cobra
import numpy as np
import pytest
import torch
from torch import nn

from amn.dynamics import DynamicFBA, SurrogateGrowth
from amn.dynamics.baselines import PlainDynamicFBA
from tests.dynamics.conftest import synthetic_curves


class YieldGrowth(nn.Module):
    """One substrate, growth = Y u, uptake = u: exponential growth at Y vmax until the substrate is gone."""

    def __init__(self, y: float) -> None:
        super().__init__()
        self.y = y

    def forward(self, u):
        return self.y * u[:, 0], u


def _model(y=0.1, vmax=5.0, substeps=4, members=1, **options):
    module = DynamicFBA(YieldGrowth(y), [10.0], u_max=10.0, substeps=substeps, od_to_biomass=0.4, members=members,
                        **options)
    module.double().fix_kinetics(vmax, 1e-12)
    return module


def test_exponential_phase_is_exact_and_substrate_follows_the_yield():
    # mu = Y vmax = 0.5 1/h; X0 = 0.4 * e^-3 gDW/L; 10 mM lasts until X = X0 + Y C0 (t* ~ 7.8 h)
    module = _model()
    times = torch.linspace(5.0, 10.0, 11, dtype=torch.float64)
    c0 = torch.tensor([[10.0]], dtype=torch.float64)
    log_od, conc = module(c0, times, torch.tensor([-3.0], dtype=torch.float64), return_state=True)
    t = times.numpy() - 5.0
    early = t < 2.5
    np.testing.assert_allclose(log_od[0, 0].numpy()[early], -3.0 + 0.5 * t[early], atol=1e-9)
    x = 0.4 * np.exp(log_od[0, 0].numpy())
    np.testing.assert_allclose(conc[0, 0, :, 0].numpy()[early], 10.0 - (x[early] - x[0]) / 0.1, atol=1e-8)



def test_fixed_kinetics_take_up_at_vmax_from_the_first_time():
    # no lag: mu = Y vmax = 0.5 1/h from t = 0 on, the first step included
    module = _model()
    times = torch.linspace(0.0, 2.0, 5, dtype=torch.float64)
    log_od = module(torch.tensor([[10.0]], dtype=torch.float64), times, torch.tensor([-3.0], dtype=torch.float64))
    np.testing.assert_allclose(log_od[0, 0].numpy(), -3.0 + 0.5 * times.numpy(), atol=1e-9)


def test_the_unrolled_model_makes_its_tensors_on_the_device_of_its_inputs():
    # on the meta device, any tensor made on the CPU inside the loop would stop the forward pass
    module = DynamicFBA(SurrogateGrowth(2, 10.0, 8, 8), [10.0, 5.0], substeps=2, members=3, background=True)
    module = module.to(device="meta", dtype=torch.float64)
    meta = {"device": "meta", "dtype": torch.float64}
    c0 = torch.empty(4, 2, **meta)
    log_od, conc = module(c0, torch.linspace(0.0, 5.0, 6, **meta), torch.empty(4, **meta), return_state=True)
    assert log_od.device.type == conc.device.type == "meta"
    assert log_od.shape == (3, 4, 6) and conc.shape == (3, 4, 6, 2)

def test_growth_stops_at_depletion_with_the_yield_biomass():
    module = _model(substeps=20)
    times = torch.linspace(5.0, 30.0, 26, dtype=torch.float64)
    log_od, conc = module(torch.tensor([[2.0]], dtype=torch.float64), times, torch.tensor([-3.0], dtype=torch.float64),
                          return_state=True)
    x0 = 0.4 * np.exp(-3.0)
    plateau = np.log((x0 + 0.1 * 2.0) / 0.4)
    assert conc.min() >= 0
    assert conc[0, 0, -1, 0] == pytest.approx(0.0, abs=1e-9)
    assert log_od[0, 0, -1].item() == pytest.approx(plateau, abs=0.02)
    assert log_od[0, 0, -1].item() == pytest.approx(log_od[0, 0, -5].item(), abs=1e-12)  # flat after depletion


def test_a_background_share_of_the_first_reading_is_not_biomass():
    # OD = rho OD0 + (1 - rho) OD0 e^(mu t) in the exponential phase; biomass starts at (1 - rho) of the reading
    module = _model(background=True)
    rho = 0.75
    with torch.no_grad():
        module.logit_background.fill_(np.log(rho / (1 - rho)))
    times = torch.linspace(5.0, 35.0, 31, dtype=torch.float64)  # past the (zero) lag gate's half-open start
    log_od = module(torch.tensor([[2.0]], dtype=torch.float64), times, torch.tensor([-3.0], dtype=torch.float64))
    t = times.numpy() - 5.0
    od0 = np.exp(-3.0)
    early = t <= 2
    np.testing.assert_allclose(log_od[0, 0].numpy()[early], np.log(rho * od0 + (1 - rho) * od0 * np.exp(0.5 * t[early])),
                               atol=1e-9)
    plateau = np.log(rho * od0 + ((1 - rho) * 0.4 * od0 + 0.1 * 2.0) / 0.4)
    assert log_od[0, 0, -1].item() == pytest.approx(plateau, abs=0.02)


def test_learned_amounts_scale_the_table_to_mm():
    # a table value of 1 with an amount of 3 mM grows the yield biomass of 3 mM
    module = _model(substeps=20, learn_amounts=True)
    with torch.no_grad():
        module.log_amount.fill_(np.log(3.0))
    times = torch.linspace(5.0, 35.0, 31, dtype=torch.float64)
    log_od, conc = module(torch.tensor([[1.0]], dtype=torch.float64), times, torch.tensor([-3.0], dtype=torch.float64),
                          return_state=True)
    assert conc[0, 0, 0, 0].item() == pytest.approx(3.0)
    x0 = 0.4 * np.exp(-3.0)
    assert log_od[0, 0, -1].item() == pytest.approx(np.log((x0 + 0.1 * 3.0) / 0.4), abs=0.02)
    assert not _model().log_amount.requires_grad and module.log_amount.requires_grad is False  # fixed by fix_kinetics


def test_members_are_independent_models():
    torch.manual_seed(0)
    pair = DynamicFBA(YieldGrowth(0.1), [10.0], members=2).double()
    times = torch.linspace(0.0, 6.0, 7, dtype=torch.float64)
    c0 = torch.tensor([[4.0], [8.0]], dtype=torch.float64)
    y0 = torch.tensor([-3.0, -3.0], dtype=torch.float64)
    both = pair(c0, times, y0)
    for m in range(2):
        single = DynamicFBA(YieldGrowth(0.1), [10.0], members=1).double()
        state = {k: v[m:m + 1] if k != "scale" else v for k, v in pair.state_dict().items()}
        single.load_state_dict(state)
        torch.testing.assert_close(single(c0, times, y0)[0], both[m])


def test_exact_layer_growth_is_cobra_fba(core_exact):
    dn = core_exact.dynamic_network
    u = torch.tensor([[4.0, 0.0], [2.0, 3.0]], dtype=torch.float64)
    growth, uptakes = core_exact.growth_map(u)
    model = dn.network.model
    for i in range(2):
        with model:
            for rid in model.reactions:
                if rid.id.endswith("_i") and rid.id.startswith("EX_"):
                    rid.upper_bound = 0.0
            for rid, bound in zip(dn.medium, np.r_[dn.base_bounds, u[i].numpy()]):
                model.reactions.get_by_id(rid).upper_bound = bound
            reference = cobra.flux_analysis.pfba(model)
        assert growth[i].item() == pytest.approx(reference.fluxes[dn.network.objective_id], rel=1e-6)
        assert uptakes[i, 0].item() == pytest.approx(reference.fluxes[dn.uptakes[0]], abs=1e-6)
    assert (uptakes <= u + 1e-9).all()


def test_surrogate_in_the_loop_follows_the_exact_layer(core_surrogate, core_exact):
    # the frozen surrogate reproduces the exact layer's growth and, stepped, its curves
    assert core_surrogate.surrogate_r2["growth"] > 0.98
    exact = synthetic_curves(core_exact)
    surrogate = synthetic_curves(core_surrogate)
    assert np.abs(exact.log_od - surrogate.log_od).max() < 0.1


def test_interior_point_layer_matches_exact(core_exact):
    from amn.dynamics import GrowthModel
    from tests.dynamics.conftest import BASE, COMPOUNDS

    ipm = GrowthModel.build("textbook", COMPOUNDS, base=BASE, layer="ipm")
    u = torch.tensor([[4.0, 0.0], [2.0, 3.0], [0.5, 0.5]], dtype=torch.float64)
    torch.testing.assert_close(ipm.growth_map(u)[0], core_exact.growth_map(u)[0], atol=1e-6, rtol=1e-6)


def test_plain_dynamic_fba_never_negative(core_exact):
    curves = synthetic_curves(core_exact, n=4)
    plain = PlainDynamicFBA(core_exact, vmax=10.0, km=0.01).fit(curves)
    with torch.no_grad():
        _, conc = plain.module_(torch.as_tensor(curves.media.to_numpy()), torch.as_tensor(curves.times),
                                torch.as_tensor(curves.log_od[:, 0]), return_state=True)
    assert conc.min() >= 0


class TwoSubstrates(nn.Module):
    """Growth = Y1 u1 + Y2 u2, uptakes = the bounds."""

    def forward(self, u):
        return 0.05 * u[:, 0] + 0.03 * u[:, 1], u


def test_a_later_lag_of_one_compound_is_a_diauxic_shift():
    # compound 1 from the start (0.05 * 5 = 0.25 1/h), compound 2 from 6 h on (+ 0.03 * 5): plenty of both
    module = DynamicFBA(TwoSubstrates(), [100.0, 100.0], u_max=10.0, substeps=10).double()
    module.fix_kinetics(5.0, 1e-12)
    with torch.no_grad():
        module.net.biases[-1][..., 2 * 2 + 1] = float(np.log(np.expm1(6.0)))
    module.lagged = True  # fix_kinetics turned the lags off; this one is set by hand
    times = torch.arange(0.0, 11.0, dtype=torch.float64)
    log_od = module(torch.tensor([[100.0, 100.0]], dtype=torch.float64), times,
                    torch.tensor([-4.0], dtype=torch.float64))[0, 0].numpy()
    slope = np.diff(log_od)
    np.testing.assert_allclose(slope[1:5], 0.25, atol=1e-4)  # the lag switches within ~0.1 h
    np.testing.assert_allclose(slope[7:], 0.40, atol=1e-4)


def test_lags_and_width_start_where_asked():
    module = DynamicFBA(TwoSubstrates(), [10.0, 10.0], lag0=7.0, width0=2.0).double()
    k = module.kinetics(torch.tensor([[10.0, 0.0], [0.0, 10.0]], dtype=torch.float64))
    assert k["lag"].shape == (1, 2, 2)
    np.testing.assert_allclose(k["lag"].detach().numpy(), 7.0, atol=0.5)
    np.testing.assert_allclose(k["width"].detach().numpy(), 2.0, atol=0.3)


def test_a_starved_culture_declines_at_its_death_rate_after_the_delay():
    # growth at 0.5 1/h until 2 mM are gone (t* ~ 4.8 h, Km ~ 0: the capacity drops to 0 at once), then
    # 3 h of starvation, then ln X falls at 0.3 1/h; before that, no death at all
    module = _model(substeps=20)
    n = module.n_compounds
    with torch.no_grad():
        module.net.biases[-1][..., 3 * n + 1] = float(np.log(np.expm1(0.3)))
        module.net.biases[-1][..., 3 * n + 2] = float(np.log(np.expm1(3.0)))
    times = torch.linspace(0.0, 20.0, 81, dtype=torch.float64)
    c0 = torch.tensor([[2.0]], dtype=torch.float64)
    log_od, conc = module(c0, times, torch.tensor([-3.0], dtype=torch.float64), return_state=True)
    log_od, c = log_od[0, 0].numpy(), conc[0, 0, :, 0].numpy()
    t = times.numpy()
    depleted = t[np.argmax(c < 1e-9)]
    plateau = np.log((0.4 * np.exp(-3.0) + 0.1 * 2.0) / 0.4)
    growing = (t > 1.0) & (t < depleted - 0.5)  # past the zero lag's half-open gate at t = 0
    np.testing.assert_allclose(np.diff(log_od[growing]), 0.5 * 0.25, atol=1e-6)  # no death while there is food
    waiting = (t > depleted + 0.5) & (t < depleted + 2.0)
    np.testing.assert_allclose(log_od[waiting], plateau, atol=0.02)
    dying = t > depleted + 4.0
    np.testing.assert_allclose(np.diff(log_od[dying]), -0.3 * 0.25, atol=1e-6)
    fixed = _model(substeps=20)  # fix_kinetics: no death
    flat = fixed(c0, times, torch.tensor([-3.0], dtype=torch.float64))[0, 0].numpy()
    assert flat[-1] == pytest.approx(flat[-20], abs=1e-12)
