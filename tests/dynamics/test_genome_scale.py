"""iML1515 on the M28 media: every compound has an uptake, the reduced network keeps them (slow)."""

from __future__ import annotations

import pytest

from amn.data import locate
from amn.dynamics import read_curve_table
from amn.dynamics.network import dynamic_network, label, sample_bounds
from amn.network import load_model

pytestmark = pytest.mark.slow


def test_iml1515_reduced_on_m28_keeps_growth():
    m28 = "experimental/ecoli_m28_timecourses"
    curves = read_curve_table(locate(f"{m28}/M28_media.csv"), locate(f"{m28}/M28_OD_20.csv"))
    model = load_model("iML1515")
    maintenance = model.reactions.ATPM.lower_bound
    dn = dynamic_network(model, curves.compounds, samples=30)
    assert model.reactions.ATPM.lower_bound == maintenance > 0  # the caller's model is left as it was
    assert dn.full_reactions > 3000
    assert len(dn.network.reaction_ids) < dn.full_reactions / 3
    assert set(dn.uptakes) <= set(dn.network.reaction_ids)
    full = dynamic_network(model, curves.compounds, reduce=False)
    bounds = sample_bounds(3, len(dn.uptakes), 10.0, seed=5)
    _, reduced_growth = label(dn.network, dn.medium, dn.base_bounds, bounds)
    _, full_growth = label(full.network, full.medium, full.base_bounds, bounds)
    assert reduced_growth == pytest.approx(full_growth, rel=1e-6, abs=1e-9)
