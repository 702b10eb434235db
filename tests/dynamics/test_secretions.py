"""Secreted products that feed back as substrates (acetate): bookkeeping against closed forms, the net
fluxes against COBRApy's pFBA, the surrogate, the estimator and the CLI."""

from __future__ import annotations

import json

import cobra
import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner
from torch import nn

from amn.dynamics import CurveSet, DynamicAMN, DynamicFBA, GrowthModel
from amn.dynamics.baselines import PlainDynamicFBA
from amn.dynamics.network import dynamic_network
from amn.errors import ParameterError, UnknownReactionError
from tests.dynamics.conftest import BASE

Y, Y_P, ALPHA = 0.1, 0.05, 0.8  # gDW/mmol of the substrate and of the product; mmol of product per mmol taken up


class ByProduct(nn.Module):
    """Substrate A (column 0) grows at ``Y u_A`` and makes ``ALPHA`` mmol of product P (column 1) per mmol;
    P is taken up only once A is gone, at ``Y_P u_P`` (diauxie on a by-product)."""

    def forward(self, u):
        on = (u[:, 0] <= 0).to(u.dtype)
        mu = Y * u[:, 0] + Y_P * u[:, 1] * on
        return mu, torch.stack([u[:, 0], u[:, 1] * on - ALPHA * u[:, 0]], dim=1)


def _toy(secreted):
    module = DynamicFBA(ByProduct(), [10.0, 1.0], u_max=10.0, substeps=8, od_to_biomass=0.4, secreted=secreted)
    module.double().fix_kinetics(5.0, 1e-9)
    return module


def test_a_product_accumulates_by_its_yield_and_feeds_back_as_a_substrate():
    times = torch.linspace(0.0, 30.0, 61, dtype=torch.float64)
    c0 = torch.tensor([[10.0, 0.0]], dtype=torch.float64)
    log_od, conc = _toy([1])(c0, times, torch.tensor([-3.0], dtype=torch.float64), return_state=True)
    x = 0.4 * np.exp(log_od[0, 0].numpy())
    a, p = conc[0, 0, :, 0].numpy(), conc[0, 0, :, 1].numpy()
    growing = a > 1.0  # while A lasts: mu = Y vmax, A falls and P rises by the yields of the biomass made
    np.testing.assert_allclose(a[growing], 10.0 - (x[growing] - x[0]) / Y, atol=1e-8)
    np.testing.assert_allclose(p[growing], ALPHA * (x[growing] - x[0]) / Y, atol=1e-8)
    assert p.max() > 0.5 * ALPHA * 10.0 and a[-1] == p[-1] == 0.0  # A made into P, then P taken up
    # at every time, the biomass made is that of the A used and of the P taken up (the Euler step's
    # overshoot at A's depletion aside): X0 + Y A0 + Y_P ALPHA A0 at the end
    made = Y * (10.0 - a) + Y_P * (ALPHA * (10.0 - a) - p)
    np.testing.assert_allclose(x[1:] - x[0], made[1:], rtol=1e-3)
    # the product's uptake is open although it starts at 0 mM only when it is declared secreted
    plain_od = _toy([])(c0, times, torch.tensor([-3.0], dtype=torch.float64))
    assert 0.4 * np.exp(plain_od[0, 0, -1].item()) == pytest.approx(x[0] + Y * 10.0, rel=0.02)


def _cobra_pfba(oxygen: float, glucose: float, acetate: float) -> tuple[float, float]:
    """Growth and net acetate uptake of COBRApy's pFBA on the textbook as the dynamic network sets it up:
    the base and the compounds open, every other uptake closed, no maintenance."""
    model = cobra.io.load_model("textbook")
    bounds = {r.removesuffix("_i"): 1000.0 for r in BASE} | {"EX_o2_e": oxygen, "EX_glc__D_e": glucose,
                                                             "EX_ac_e": acetate}
    for reaction in model.exchanges:
        reaction.lower_bound = -bounds.get(reaction.id, 0.0)
    model.reactions.ATPM.lower_bound = 0.0
    fluxes = cobra.flux_analysis.pfba(model).fluxes
    return fluxes["Biomass_Ecoli_core"], -fluxes["EX_ac_e"]


@pytest.fixture(scope="module")
def acetate_exact() -> GrowthModel:
    return GrowthModel.build("textbook", ["glc__D_e"], base=BASE, layer="exact", oxygen=10.0, secretions=["ac_e"])


def test_the_exact_layer_gives_the_net_uptake_of_cobra_pfba(acetate_exact):
    dn = acetate_exact.dynamic_network
    assert dn.state == ["glc__D_e", "ac_e"] and dn.products == ["ac_e"] and dn.outflows == ["EX_ac_e_o"]
    for glucose, acetate in [(10.0, 0.0), (4.0, 0.0), (0.0, 6.0), (3.0, 5.0)]:
        mu, v = acetate_exact.growth_map(torch.tensor([[glucose, acetate]], dtype=torch.float64))
        growth, net_acetate = _cobra_pfba(10.0, glucose, acetate)
        assert mu.item() == pytest.approx(growth, abs=1e-6)
        assert v[0, 1].item() == pytest.approx(net_acetate, abs=1e-5)
    assert _cobra_pfba(10.0, 10.0, 0.0)[1] < -1.0  # oxygen-limited overflow: acetate is made


def test_plain_dynamic_fba_grows_again_on_the_acetate_it_made(acetate_exact):
    media = pd.DataFrame({"glc__D_e": [20.0]})
    times = np.linspace(0.0, 16.0, 17)
    blank = CurveSet(media, times, np.full((1, len(times)), -4.0))
    with_feedback = PlainDynamicFBA(acetate_exact, vmax=10.0, km=0.01).fit(blank)
    log_od, conc = with_feedback.module_(torch.as_tensor(acetate_exact.dynamic_network.initial_state(media)),
                                         torch.as_tensor(times), torch.tensor([-4.0], dtype=torch.float64),
                                         return_state=True)
    glucose, acetate = conc[0, 0, :, 0].numpy(), conc[0, 0, :, 1].numpy()
    gone = int(np.argmax(glucose == 0))
    assert acetate[gone] > 5.0 and acetate[-1] < 0.1 * acetate[gone]
    assert log_od[0, 0, -1] > log_od[0, 0, gone] + 0.1  # a second growth phase on acetate
    without = GrowthModel.build("textbook", ["glc__D_e"], base=BASE, layer="exact", oxygen=10.0)
    plain = PlainDynamicFBA(without, vmax=10.0, km=0.01).fit(blank).predict(blank)
    assert plain[0, -1] == pytest.approx(plain[0, gone], abs=1e-9)  # no feedback: growth stops with the glucose
    assert log_od[0, 0, -1] > plain[0, -1] + 0.1


def test_secretions_are_named_like_compounds_and_checked():
    # a secretion that is a compound of the media (named by its exchange) is that compound, not a product
    dn = dynamic_network("textbook", ["glc__D_e", "ac_e"], base=BASE, secretions=["EX_ac_e"], samples=20)
    assert dn.products == [] and dn.secreted == ["ac_e"] and dn.state == ["glc__D_e", "ac_e"]
    assert "EX_ac_e_o" in dn.network.reaction_ids  # kept by the reduction
    with pytest.raises(UnknownReactionError, match="--secretions: column lac_X: no uptake of model e_coli_core"):
        dynamic_network("textbook", ["glc__D_e"], base=BASE, secretions=["lac_X"], samples=20)
    with pytest.raises(UnknownReactionError, match="column EX_ac_e: the same uptake EX_ac_e_i as column ac_e"):
        dynamic_network("textbook", ["glc__D_e"], base=BASE, secretions=["ac_e", "EX_ac_e"], samples=20)
    model = cobra.io.load_model("textbook")
    model.reactions.EX_ac_e.upper_bound = 0.0  # taken up, never secreted
    with pytest.raises(UnknownReactionError, match=r"--secretions: ac_e: model e_coli_core cannot secrete it \(no open outflow EX_ac_e_o\)"):
        dynamic_network(model, ["glc__D_e"], base=BASE, secretions=["ac_e"], samples=20)


@pytest.fixture(scope="module")
def acetate_surrogate() -> GrowthModel:
    return GrowthModel.build("textbook", ["glc__D_e"], base=BASE, oxygen=10.0, secretions=["ac_e"], samples=400,
                             surrogate_epochs=1500)


def test_the_surrogate_learns_the_secretion(acetate_surrogate, acetate_exact):
    assert acetate_surrogate.surrogate_r2["secreted"] > 0.95
    bounds = torch.tensor([[10.0, 0.0], [2.0, 0.0], [0.0, 5.0]], dtype=torch.float64)
    _, v = acetate_surrogate.growth_map(bounds)
    _, exact = acetate_exact.growth_map(bounds)
    np.testing.assert_allclose(v[:, 1].numpy(), exact[:, 1].numpy(), atol=0.1 * 10.0)


def _glucose_curves(growth_model: GrowthModel, n: int = 8) -> CurveSet:
    media = pd.DataFrame({"glc__D_e": np.linspace(4.0, 20.0, n)}, index=pd.Index([f"m{i}" for i in range(n)], name="ID"))
    times = np.linspace(0.0, 14.0, 15)
    blank = CurveSet(media, times, np.full((n, len(times)), -4.0))
    y = PlainDynamicFBA(growth_model, vmax=8.0, km=0.1).fit(blank).predict(blank)
    return CurveSet(media, times, y, np.full(y.shape, 0.02), "glucose")


def test_a_dynamic_amn_with_secretions_fits_saves_and_loads(acetate_surrogate, tmp_path):
    curves = _glucose_curves(acetate_surrogate)
    amn = DynamicAMN(growth_model=acetate_surrogate, secretions=["ac_e"], epochs=3, substeps=2).fit(curves)
    assert amn.compounds_ == ["glc__D_e"] and amn.products_ == ["ac_e"] and amn.state_ == ["glc__D_e", "ac_e"]
    log_od, conc = amn.simulate(curves.media, curves.times, curves.log_od[:, 0])
    assert conc.shape == (8, 15, 2) and conc[..., 1].max() > 0.1 and conc.min() >= 0  # acetate made from 0 mM
    assert {"lag_h_ac_e", "vmax_ac_e", "km_ac_e"} <= set(amn.kinetics(curves.media).columns)
    loaded = DynamicAMN.load(amn.save(tmp_path / "m"))
    assert loaded.products_ == ["ac_e"] and json.loads((tmp_path / "m" / "model.json").read_text())["params"][
        "secretions"] == ["ac_e"]
    again = loaded.simulate(curves.media, curves.times, curves.log_od[:, 0])
    np.testing.assert_allclose(again[0], log_od, atol=1e-12)
    np.testing.assert_allclose(again[1], conc, atol=1e-12)
    # a growth model built with other secretions than the estimator's is refused
    with pytest.raises(ParameterError, match=r"secretions \[\] differ from those of the growth model \(\['ac_e'\]\)"):
        DynamicAMN(growth_model=acetate_surrogate, epochs=1).fit(curves)
    with pytest.raises(ParameterError, match="secretions: compound names"):
        DynamicAMN(growth_model=acetate_surrogate, secretions=[3], epochs=1).fit(curves)


def test_the_cli_tracks_a_secreted_product(tmp_path):
    from amn.cli.dynamic import dynamic

    n = 6
    pd.DataFrame({"ID": range(1, n + 1), "glc__D_e": np.linspace(4, 20, n)}).to_csv(tmp_path / "media.csv", index=False)
    t = np.linspace(0, 8, 9)
    curves = {}
    for i in range(1, n + 1):
        curves |= {f"T_{i}": t, f"OD_{i}": -3 + 2.5 / (1 + np.exp(-(t - 4))) * (i / n), f"DEV_{i}": 0.02}
    pd.DataFrame(curves).to_csv(tmp_path / "curves.csv", index=False)
    runner = CliRunner()
    result = runner.invoke(dynamic, ["fit", "--media", str(tmp_path / "media.csv"), "--curves", str(tmp_path / "curves.csv"),
                                     "--out", str(tmp_path / "m"), "--model", "textbook", "--base", ",".join(BASE),
                                     "--secretions", "ac_e", "--epochs", "2", "--samples", "200", "--quiet"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(dynamic, ["predict", str(tmp_path / "m"), "--media", str(tmp_path / "media.csv"), "--times",
                                     "0,4,8", "--out", str(tmp_path / "p.csv")])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "p.csv")
    assert list(table.columns) == ["medium", "time", "log_od", "glc__D_e", "ac_e"]
    assert (table.loc[table["time"] == 0, "ac_e"] == 0).all() and (table["ac_e"] >= 0).all()
    result = runner.invoke(dynamic, ["fit", "--media", str(tmp_path / "media.csv"), "--curves", str(tmp_path / "curves.csv"),
                                     "--out", str(tmp_path / "n"), "--model", "textbook", "--base", ",".join(BASE),
                                     "--secretions", "nothing_e", "--quiet"])
    assert isinstance(result.exception, UnknownReactionError) and "\n" not in str(result.exception)
    assert "--secretions: column nothing_e: no uptake of model e_coli_core" in str(result.exception)


def test_the_depletion_figure_draws_a_product_that_starts_at_zero(tmp_path):
    import matplotlib

    from amn.dynamics.figures import plot_depletion

    t = np.linspace(0.0, 10.0, 6)
    conc = np.stack([10.0 - t, np.minimum(t, 10.0 - t)], axis=1)[None]  # glucose falls, acetate rises from 0 then falls
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # labels as text in the SVG
        plot_depletion(t, conc, ["glc__D_e", "ac_e"], ["m1"], tmp_path / "d")
    svg = (tmp_path / "d.svg").read_text()
    assert "glc__D_e" in svg and "ac_e" in svg
