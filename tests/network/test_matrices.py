"""Matrices of a unidirectional network: definitions, steady state, projections, LP split."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse as sp
import torch
from cobra.flux_analysis import pfba

from amn.errors import UnknownReactionError
from amn.network import independent_rows
from tests.conftest import random_media


@pytest.fixture(scope="module")
def mats(textbook_net):
    return textbook_net.matrices(medium=textbook_net.uptake_ids[:7], measured=["Biomass_Ecoli_core", "PGI_for"])


def test_s_matches_cobra_and_pfba_solution_is_a_steady_state(textbook_net, mats):
    from cobra.util.array import create_stoichiometric_matrix

    assert np.array_equal(mats.S.toarray(), create_stoichiometric_matrix(textbook_net.model))
    v = pfba(textbook_net.model).fluxes[textbook_net.reaction_ids].to_numpy()
    assert np.abs(mats.S @ v).max() < 1e-9
    assert np.abs(mats.S @ v).max() < 1e-6 * np.abs(v).max()


def test_v2m_is_production_and_m2v_inverts_consumption(mats):
    S = mats.S.toarray()
    assert np.array_equal(mats.V2M.toarray(), np.where(S > 0, S, 0))
    M2V = mats.M2V.toarray()
    assert M2V.shape == S.T.shape
    consumption = np.where(S < 0, -S, 0)
    assert np.allclose(M2V.T * consumption, (S < 0).astype(float))
    # S = production - consumption
    assert np.allclose(S, mats.V2M.toarray() - consumption)


def test_pin_and_pout_select_exactly_the_named_reactions(textbook_net, mats):
    rng = np.random.default_rng(0)
    v = rng.random(len(textbook_net.reaction_ids))
    pos = {rid: j for j, rid in enumerate(textbook_net.reaction_ids)}
    assert np.array_equal(mats.Pin @ v, v[[pos[r] for r in mats.medium]])
    assert np.array_equal(mats.Pout @ v, v[[pos["Biomass_Ecoli_core"], pos["PGI_for"]]])
    assert np.array_equal(mats.Pin.sum(axis=1).A1, np.ones(7))


def test_unknown_medium_reaction_raises(textbook_net):
    with pytest.raises(UnknownReactionError, match="EX_unobtainium_e_i"):
        textbook_net.matrices(medium=["EX_glc__D_e_i", "EX_unobtainium_e_i"])


def test_an_id_of_the_cobra_model_names_its_split_halves(textbook_net):
    with pytest.raises(UnknownReactionError, match=r"PGI, EX_glc__D_e \(split in the unidirectional network: "
                                                   r"PGI_for/PGI_rev, EX_glc__D_e_i/EX_glc__D_e_o\)"):
        textbook_net.index(["PGI_for", "PGI", "EX_glc__D_e"])
    with pytest.raises(UnknownReactionError, match=r"unknown reaction id\(s\) nope$"):
        textbook_net.index(["nope"])


def test_torch_conversion_is_exact(mats):
    for name in ("S", "V2M", "M2V", "Pin", "Pout"):
        dense = mats.torch(name, dtype=torch.float64).to_dense().numpy()
        assert np.array_equal(dense, getattr(mats, name).toarray())


def test_independent_rows_closed_form():
    A = np.array([[1.0, 0, 1], [0, 1, 1], [1, 1, 2], [0, 0, 0], [2, 0, 2]])
    rows = independent_rows(sp.csr_matrix(A))
    assert len(rows) == 2 and np.linalg.matrix_rank(A[rows]) == 2
    assert 3 not in rows


def test_lp_split_s_int_is_full_row_rank_and_projectors_hold(textbook_net):
    mats = textbook_net.matrices(medium=textbook_net.uptake_ids)
    split = mats.lp_split()
    S_int = split.S_int.toarray()
    assert np.linalg.matrix_rank(S_int) == S_int.shape[0]
    internal_rank = np.linalg.matrix_rank(mats.S.toarray()[np.setdiff1d(np.arange(mats.S.shape[0]), split.external_rows)])
    assert S_int.shape[0] == internal_rank
    Q, P = split.projectors()
    assert np.allclose(S_int @ Q, np.eye(S_int.shape[0]), atol=1e-9)
    assert np.allclose(S_int @ P, 0, atol=1e-9)  # -P = I - Q S_int projects onto the null space of S_int
    assert np.allclose(P @ P, -P, atol=1e-9)


def test_lp_split_form_gives_the_fba_optimum(textbook, textbook_net):
    """max c.V s.t. S_int V = 0, S_ext^T V <= b_ext equals COBRApy's FBA for the same uptake bounds."""
    mats = textbook_net.matrices(medium=textbook_net.uptake_ids)
    split = mats.lp_split()
    c = mats.objective
    base_bounds = np.array([textbook_net.model.reactions.get_by_id(r).upper_bound for r in mats.medium])
    for medium in random_media(textbook, 8, seed=7):
        bounds = base_bounds.copy()
        with textbook:
            for rid, b in medium.items():
                textbook.reactions.get_by_id(rid).lower_bound = -b
                bounds[mats.medium.index(f"{rid}_i")] = b
            expected = textbook.slim_optimize()
        res = scipy.optimize.linprog(
            -c,
            A_ub=split.S_ext.T.toarray(),
            b_ub=split.b_ext(bounds)[0],
            A_eq=split.S_int.toarray(),
            b_eq=np.zeros(split.S_int.shape[0]),
            bounds=(None, None),
            method="highs",
        )
        if np.isnan(expected):
            assert res.status == 2
        else:
            assert -res.fun == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_lp_split_needs_a_medium(textbook_net):
    with pytest.raises(UnknownReactionError):
        textbook_net.matrices().lp_split()


@pytest.mark.slow
def test_lp_split_iml1515_is_invertible(iml1515):
    _, network = iml1515
    split = network.matrices(medium=network.uptake_ids).lp_split()
    G = (split.S_int @ split.S_int.T).toarray()
    assert np.linalg.cond(G) < 1e12


def test_independent_rows_with_planted_dependencies():
    rng = np.random.default_rng(3)
    base = sp.random(60, 120, density=0.05, random_state=4, format="csr")
    base = sp.vstack([base, sp.random(20, 120, density=0.3, random_state=5)])  # dense core, no singletons
    mix = rng.integers(-2, 3, size=(15, base.shape[0])).astype(float)
    A = sp.vstack([base, sp.csr_matrix(mix) @ base], format="csr")  # 15 dependent rows
    rows = independent_rows(A)
    dense = A.toarray()
    assert len(rows) == np.linalg.matrix_rank(dense)
    assert np.linalg.matrix_rank(dense[rows]) == len(rows)


def test_fba_arrays_are_the_one_source_of_s_bounds_and_objective(textbook_net, mats):
    from amn.network import fba_arrays
    from amn.solve.pfba import FluxProblem

    arrays = fba_arrays(textbook_net)
    reactions = textbook_net.model.reactions
    assert np.array_equal(arrays.S.toarray(), mats.S.toarray())
    assert np.array_equal(arrays.lower, [r.lower_bound for r in reactions]) and np.array_equal(arrays.lower, mats.lower)
    assert np.array_equal(arrays.upper, [r.upper_bound for r in reactions]) and np.array_equal(arrays.upper, mats.upper)
    assert np.array_equal(arrays.c, mats.objective) and arrays.maximize
    assert np.array_equal(fba_arrays(textbook_net.model).c, arrays.c)  # a cobra.Model works too
    problem = FluxProblem.from_network(textbook_net, textbook_net.uptake_ids[:3])
    assert np.array_equal(problem.S.toarray(), arrays.S.toarray()) and np.array_equal(problem.upper, arrays.upper)
    with textbook_net.model:  # read from the model when called, not cached
        reactions[0].upper_bound = 1.0
        assert fba_arrays(textbook_net).upper[0] == 1.0 == mats.upper[0]
