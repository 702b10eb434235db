"""Simulated growth / no-growth screens: labels against COBRApy's own FBA, seeded flips, both compositions."""

from __future__ import annotations

import numpy as np
import pytest

from amn.dataset.simulate import TARGET, simulate_growth_screen
from amn.errors import ParameterError, UnknownGeneError, UnknownReactionError
from amn.media.from_model import default_base


def _cobra_growth(model, open_bounds: dict[str, float], knocked_out: str | None = None) -> float:
    """COBRApy FBA on the original model: every exchange closed for uptake except ``open_bounds``
    (unidirectional uptake ids ``<exchange>_i``), a gene or reaction knocked out by COBRApy's ``knock_out``;
    an infeasible LP is no growth."""
    with model:
        for exchange in model.exchanges:
            exchange.lower_bound = 0.0
        for uptake, bound in open_bounds.items():
            model.reactions.get_by_id(uptake[:-2]).lower_bound = -bound
        if knocked_out:
            (model.genes if knocked_out in model.genes else model.reactions).get_by_id(knocked_out).knock_out()
        value = model.slim_optimize(error_value=np.nan)
    return 0.0 if np.isnan(value) else value


def test_carbon_screen_labels_are_cobrapy_fba_with_seeded_flips(textbook, textbook_net):
    screen = simulate_growth_screen(textbook_net, bound=10.0, threshold=0.01, flip=0.2, seed=3)
    base = default_base(textbook_net)
    assert set(base) == {"EX_h_e_i", "EX_h2o_e_i", "EX_nh4_e_i", "EX_o2_e_i", "EX_pi_e_i"}  # no carbon in the base
    assert "EX_glc__D_e_i" in screen.source_ids and "EX_nh4_e_i" not in screen.source_ids
    reference = np.array([_cobra_growth(textbook, {**base, source: 10.0}) for source in screen.source])
    np.testing.assert_allclose(screen.growth, reference, atol=1e-7)
    clean = (reference > 0.01).astype(int)
    assert 0 < clean.sum() < len(clean)  # both classes (formate and CO2 do not grow)
    labels = screen.table[TARGET].to_numpy()
    np.testing.assert_array_equal(labels != clean, screen.flipped)
    assert screen.flipped.sum() == round(0.2 * len(labels))
    presence = screen.table.drop(columns=TARGET)
    assert set(np.unique(presence)) == {0.0, 1.0} and (presence[screen.base_ids] == 1).all().all()
    assert (presence[screen.source_ids].sum(axis=1) == 1).all()  # one source per medium, each source once
    assert (presence[screen.source_ids].sum(axis=0) == 1).all()


def test_screen_is_deterministic_given_the_seed_and_bounds_tables_hold_the_bounds(textbook_net):
    one = simulate_growth_screen(textbook_net, bound=(10.0, 3.0, 0.63), composition="bounds", seed=1)
    again = simulate_growth_screen(textbook_net, bound=(10.0, 3.0, 0.63), composition="bounds", seed=1)
    other = simulate_growth_screen(textbook_net, bound=(10.0, 3.0, 0.63), composition="bounds", seed=2)
    assert one.table.equals(again.table) and not one.table.equals(other.table)
    cells = one.table[one.source_ids].to_numpy()
    assert set(np.unique(cells[cells > 0])) <= {10.0, 3.0, 0.63}
    assert (one.table[one.base_ids] == 1000.0).all().all()  # the base at its model-file bounds
    assert one.medium.minimal == one.base_ids and one.medium.variable == one.source_ids


def test_nitrogen_screen_keeps_the_carbon_source_in_the_base(textbook, textbook_net):
    screen = simulate_growth_screen(textbook_net, nutrient="nitrogen", flip=0.0)
    assert "EX_glc__D_e_i" in screen.base_ids and "EX_nh4_e_i" in screen.source_ids
    assert {"EX_gln__L_e_i", "EX_glu__L_e_i"} <= set(screen.source_ids)
    base = default_base(textbook_net, "nitrogen")
    for source, grows in zip(screen.source, screen.table[TARGET]):
        assert grows == (_cobra_growth(textbook, {**base, source: 10.0}) > 0.01)


def test_screen_refuses_bad_parameters(textbook_net):
    with pytest.raises(ParameterError, match="flip"):
        simulate_growth_screen(textbook_net, flip=0.5)
    with pytest.raises(ParameterError, match="nutrient"):
        simulate_growth_screen(textbook_net, nutrient="sulfur")
    with pytest.raises(UnknownReactionError, match="EX_nothing_e_i"):
        simulate_growth_screen(textbook_net, sources=["EX_nothing_e_i"])
    with pytest.raises(ParameterError, match="n_media"):
        simulate_growth_screen(textbook_net, n_media=1000)


def test_knockout_screen_rows_are_each_source_in_the_wild_type_and_each_knockout(textbook, textbook_net):
    knockouts = ["b4025", "b2779", "SUCDi"]  # pgi, eno (genes), succinate dehydrogenase (a reaction)
    plain = simulate_growth_screen(textbook_net, flip=0.0, seed=4)
    screen = simulate_growth_screen(textbook_net, flip=0.1, knockouts=knockouts, seed=4)
    n, per = len(plain.source), 1 + len(knockouts)
    assert len(screen.table) == n * per and screen.knockout_ids == tuple(knockouts)
    assert list(screen.table.columns) == [*plain.base_ids, *plain.source_ids, *knockouts, TARGET]
    np.testing.assert_array_equal(screen.source, np.repeat(plain.source, per))
    knocked = screen.table[knockouts].to_numpy()
    np.testing.assert_array_equal(knocked, np.tile(np.vstack([np.zeros(3), np.eye(3)]), (n, 1)))
    base = default_base(textbook_net)
    reference = np.array([_cobra_growth(textbook, {**base, source: 10.0}, knockouts[row.argmax()] if row.any() else None)
                          for source, row in zip(screen.source, knocked)])
    np.testing.assert_allclose(screen.growth, reference, atol=1e-7)
    np.testing.assert_allclose(screen.growth[::per], plain.growth, atol=1e-9)  # the wild-type rows
    assert (reference[~knocked.any(axis=1)] > reference[knocked.any(axis=1)].reshape(n, 3).max(axis=1) + 1e-3).any()
    clean = (reference > 0.01).astype(int)
    np.testing.assert_array_equal(screen.table[TARGET].to_numpy() != clean, screen.flipped)
    assert screen.flipped.sum() == round(0.1 * n * per)
    with pytest.raises(UnknownGeneError, match="nogene"):
        simulate_growth_screen(textbook_net, knockouts=["nogene"])
