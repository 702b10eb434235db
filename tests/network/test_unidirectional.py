"""Unidirectional conversion checked against COBRApy on the original models."""

from __future__ import annotations

import cobra
import numpy as np
import pytest
from cobra.flux_analysis import pfba

from amn.network import make_unidirectional, stoichiometric_matrix
from amn.solve import HighsLP
from tests.conftest import random_media


def test_every_flux_is_positive_and_every_reaction_is_split_as_published(textbook, textbook_net):
    uni = textbook_net.model
    assert all(r.lower_bound >= 0 and r.upper_bound >= 0 for r in uni.reactions)
    for r in textbook.reactions:
        if r in textbook.exchanges:
            assert {f"{r.id}_i", f"{r.id}_o"} <= set(uni.reactions.list_attr("id"))
            inflow = uni.reactions.get_by_id(f"{r.id}_i")
            # the inflow produces the external metabolite, with the original uptake capacity
            assert all(c > 0 for c in inflow.metabolites.values())
            assert inflow.upper_bound == max(-r.lower_bound, 0)
        elif r.lower_bound < 0:
            fwd, rev = uni.reactions.get_by_id(f"{r.id}_for"), uni.reactions.get_by_id(f"{r.id}_rev")
            assert rev.upper_bound == -r.lower_bound and fwd.upper_bound == r.upper_bound
            assert {m.id: -c for m, c in rev.metabolites.items()} == {m.id: c for m, c in r.metabolites.items()}
        else:
            assert uni.reactions.get_by_id(r.id).bounds == r.bounds
    n_split = sum(r.lower_bound < 0 and r not in textbook.exchanges for r in textbook.reactions)
    assert len(uni.reactions) == len(textbook.reactions) + n_split + len(textbook.exchanges)


def test_names_rules_annotations_and_objective_are_kept(textbook, textbook_net):
    uni = textbook_net.model
    pgi = textbook.reactions.PGI
    for part in ("PGI_for", "PGI_rev"):
        r = uni.reactions.get_by_id(part)
        assert r.name == pgi.name and r.gene_reaction_rule == pgi.gene_reaction_rule
        assert r.annotation == pgi.annotation
    assert uni.genes.get_by_id("b4025").name == textbook.genes.b4025.name
    assert textbook_net.objective == {"Biomass_Ecoli_core": 1.0}


def test_source_model_is_left_unchanged(textbook):
    before = [(r.id, r.bounds) for r in textbook.reactions]
    make_unidirectional(textbook)
    assert [(r.id, r.bounds) for r in textbook.reactions] == before


def _assert_same_growth(original: cobra.Model, network, media) -> None:
    lp = HighsLP.from_network(network)
    position = {rid: j for j, rid in enumerate(network.reaction_ids)}
    growths = []
    for medium in media:
        with original:
            for rid, bound in medium.items():
                original.reactions.get_by_id(rid).lower_bound = -bound
            expected = original.slim_optimize()
        lp.reset_bounds()
        columns = [position[f"{rid}_i"] for rid in medium]
        lp.set_bounds(columns, np.zeros(len(columns)), np.array(list(medium.values())))
        got = lp.solve().objective
        if np.isnan(expected):
            assert np.isnan(got)
        else:
            assert got == pytest.approx(expected, rel=1e-6, abs=1e-9)
            growths.append(expected)
    # the media must really differ, or the comparison proves little
    assert len(np.unique(np.round(growths, 6))) >= len(media) // 2


def test_fba_growth_equals_original_on_random_media_e_coli_core(textbook, textbook_net):
    _assert_same_growth(textbook, textbook_net, random_media(textbook, 50, seed=1))


@pytest.mark.slow
def test_fba_growth_equals_original_on_random_media_iml1515(iml1515):
    original, network = iml1515
    _assert_same_growth(original, network, random_media(original, 50, seed=2))


@pytest.mark.slow
def test_fba_growth_equals_original_on_random_media_recon3d(recon3d):
    original, network = recon3d
    _assert_same_growth(original, network, random_media(original, 12, seed=3, max_bound=5.0))


def _assert_pfba_recombines(original: cobra.Model, network, media) -> None:
    S = stoichiometric_matrix(original)
    lower = np.array([r.lower_bound for r in original.reactions])
    for medium in media:
        with original, network.model:
            for rid, bound in medium.items():
                original.reactions.get_by_id(rid).lower_bound = -bound
                network.model.reactions.get_by_id(f"{rid}_i").upper_bound = bound
            growth = original.slim_optimize()
            if np.isnan(growth):
                continue
            lower_now = np.array([r.lower_bound for r in original.reactions])
            u = pfba(network.model).fluxes[network.reaction_ids].to_numpy()
        v = network.recombine(u)
        assert np.abs(S @ v).max() < 1e-6
        assert v @ np.array([r.objective_coefficient for r in original.reactions]) == pytest.approx(growth, rel=1e-6)
        assert (v >= np.minimum(lower_now, lower) - 1e-6).all()


def test_pfba_fluxes_recombined_are_a_steady_state_of_the_original(textbook, textbook_net):
    _assert_pfba_recombines(textbook, textbook_net, random_media(textbook, 10, seed=4))


@pytest.mark.slow
def test_pfba_fluxes_recombined_iml1515(iml1515):
    original, network = iml1515
    _assert_pfba_recombines(original, network, random_media(original, 3, seed=5))


def test_sbml_round_trip(tmp_path, textbook_net):
    path = textbook_net.write_sbml(tmp_path / "uni.xml")
    back = make_unidirectional(path)  # recognised as unidirectional: not split again
    assert back.reaction_ids == textbook_net.reaction_ids
    assert [r.bounds for r in back.model.reactions] == [r.bounds for r in textbook_net.model.reactions]
    assert back.objective == textbook_net.objective
    assert back.uptake_ids == textbook_net.uptake_ids
    assert (back.recombination != textbook_net.recombination).nnz == 0
    assert back.model.slim_optimize() == pytest.approx(textbook_net.model.slim_optimize(), rel=1e-9)


def test_gzipped_sbml_and_json_models_load(tmp_path, textbook):
    cobra.io.save_json_model(textbook, str(tmp_path / "core.json"))
    cobra.io.write_sbml_model(textbook, str(tmp_path / "core.xml.gz"))
    for path in ("core.json", "core.xml.gz"):
        net = make_unidirectional(tmp_path / path)
        assert len(net.reaction_ids) == 154
        assert net.model.slim_optimize() == pytest.approx(textbook.slim_optimize(), rel=1e-9)
