"""Reduction by a flux dataset keeps every sample's optimum."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cobra.flux_analysis import pfba

from amn.errors import DatasetMismatchError, UnknownReactionError
from amn.network import Knockouts, reduce_network
from amn.solve import HighsLP
from tests.conftest import random_media


def _pfba_dataset(textbook, network, media):
    rows = []
    for medium in media:
        with network.model:
            for rid, bound in medium.items():
                network.model.reactions.get_by_id(f"{rid}_i").upper_bound = bound
            if np.isnan(network.model.slim_optimize()):
                continue
            rows.append(pfba(network.model).fluxes[network.reaction_ids])
    return pd.DataFrame(rows).reset_index(drop=True)


def test_reduced_network_keeps_growth_of_every_sample(textbook, textbook_net):
    media = random_media(textbook, 15, seed=11)
    fluxes = _pfba_dataset(textbook, textbook_net, media)
    keep = ["EX_fru_e_i"]
    reduced = reduce_network(textbook_net, fluxes, keep=keep)
    dropped = set(textbook_net.reaction_ids) - set(reduced.reaction_ids)
    assert dropped and all((fluxes[r].abs() == 0).all() for r in dropped)
    assert "EX_fru_e_i" in reduced.reaction_ids and reduced.objective == textbook_net.objective
    assert all(m.reactions for m in reduced.model.metabolites)  # no orphan metabolites
    full_lp, small_lp = HighsLP.from_network(textbook_net), HighsLP.from_network(reduced)
    for medium in media:
        growth = []
        for net, lp in ((textbook_net, full_lp), (reduced, small_lp)):
            lp.reset_bounds()
            cols = net.index([f"{r}_i" for r in medium if f"{r}_i" in net.reaction_ids])
            kept = [b for r, b in medium.items() if f"{r}_i" in net.reaction_ids]
            lp.set_bounds(cols, np.zeros(len(cols)), np.array(kept))
            growth.append(lp.solve().objective)
        if not np.isnan(growth[0]):
            assert growth[1] == pytest.approx(growth[0], rel=1e-6, abs=1e-9)
    assert reduced.recombination.shape == (len(textbook_net.original_ids), len(reduced.reaction_ids))


def test_mismatched_flux_table_is_rejected(textbook_net):
    table = pd.DataFrame(np.ones((2, len(textbook_net.reaction_ids))), columns=textbook_net.reaction_ids)
    with pytest.raises(DatasetMismatchError, match="no flux for 1"):
        reduce_network(textbook_net, table.drop(columns=["PGI_for"]))
    with pytest.raises(DatasetMismatchError, match="unknown"):
        reduce_network(textbook_net, table.assign(XYZ=1.0))
    with pytest.raises(DatasetMismatchError, match="NaN"):
        reduce_network(textbook_net, table.assign(PGI_for=np.nan))
    with pytest.raises(UnknownReactionError):
        reduce_network(textbook_net, table, keep=["not_a_reaction"])


def test_knockouts_on_a_reduced_network_match_cobrapy_on_the_full_model(textbook, textbook_net):
    """Genes whose reactions reduction removed stay genes of the network: knocking one out removes nothing
    more, and each sample grows as COBRApy's knock_out of that gene on the full model lets it (the removed
    reactions carried no flux in any sample, so the optimum stays)."""
    media = random_media(textbook, 15, seed=11)
    reduced = reduce_network(textbook_net, _pfba_dataset(textbook, textbook_net, media))
    knockouts = Knockouts(reduced)
    gone = sorted(g.id for g in reduced.model.genes if not g.reactions)
    assert gone and {g.id for g in reduced.model.genes} == {g.id for g in textbook_net.model.genes}
    assert all(knockouts.columns([g]).size == 0 for g in gone)
    lp = HighsLP.from_network(reduced)
    for gene in gone[:4]:
        for medium in media[:5]:
            lp.reset_bounds()
            cols = reduced.index([f"{r}_i" for r in medium if f"{r}_i" in reduced.reaction_ids])
            kept = [b for r, b in medium.items() if f"{r}_i" in reduced.reaction_ids]
            lp.set_bounds(cols, np.zeros(len(cols)), np.array(kept))
            removed = knockouts.columns([gene])
            lp.set_bounds(removed, np.zeros(removed.size), np.zeros(removed.size))
            with textbook:
                for rid, bound in medium.items():
                    textbook.reactions.get_by_id(rid).lower_bound = -bound
                textbook.genes.get_by_id(gene).knock_out()
                expected = textbook.slim_optimize(error_value=0.0)
            assert (lp.solve().objective or 0.0) == pytest.approx(expected, rel=1e-6, abs=1e-7)
