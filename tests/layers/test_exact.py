"""The exact FBA/pFBA layer: HiGHS forward, LP/QP-sensitivity backward."""

from __future__ import annotations

import cobra
import numpy as np
import pytest
import torch

import amn
from amn.layers.exact import ExactFBA
from amn.media import RandomMedia, sample_rng
from amn.media.spec import core_medium
from amn.solve.pfba import CobraLabeler, FluxProblem, HighsLabeler

H = 1e-4  # finite-difference step


@pytest.fixture(scope="module")
def core():
    network = amn.make_unidirectional("textbook")
    spec = core_medium(network)
    media = np.array([RandomMedia(spec, 6).draw(sample_rng(0, i), i) for i in range(6)])
    return network, list(spec.reaction_ids), media


def toy(cap: float = 1000.0) -> tuple[amn.UnidirectionalNetwork, list[str]]:
    """a_e -> a -> b (two parallel routes R1, R2), c_e -> c -> 2 b, growth 2 b ->; a transport capped."""
    model = cobra.Model("toy")
    a_e, a, b, c_e, c = (cobra.Metabolite(i, compartment=i[-1]) for i in ("a_e", "a_c", "b_c", "c_e", "c_c"))
    reactions = {
        "EX_a_e": ({a_e: -1}, -10, 1000), "EX_c_e": ({c_e: -1}, -10, 1000),
        "TA": ({a_e: -1, a: 1}, 0, cap), "TC": ({c_e: -1, c: 1}, 0, 1000),
        "R1": ({a: -1, b: 1}, 0, 1000), "R2": ({a: -1, b: 1}, 0, 1000), "R3": ({c: -1, b: 2}, 0, 1000),
        "BIO": ({b: -2}, 0, 1000),
    }
    for rid, (stoichiometry, lb, ub) in reactions.items():
        r = cobra.Reaction(rid, lower_bound=lb, upper_bound=ub)
        model.add_reactions([r])
        r.add_metabolites(stoichiometry)
    model.objective = "BIO"
    return amn.make_unidirectional(model), ["EX_a_e_i", "EX_c_e_i"]


def jacobian(layer: ExactFBA, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fluxes V and d V[i] / d x[i] (batch x n x n_in) by autograd, from one forward pass
    (FBA fluxes need not be unique: another solve may return another optimal vertex)."""
    x = torch.tensor(x, requires_grad=True)
    V = layer(x)
    J = [torch.autograd.grad(V[:, j].sum(), x, retain_graph=True)[0] for j in range(V.shape[1])]
    return V.detach().numpy(), torch.stack(J, dim=1).numpy()


@pytest.mark.parametrize("method", ["fba", "pfba"])
def test_forward_matches_highs_and_cobra(core, method):
    network, medium, media = core
    layer = ExactFBA(network.matrices(medium=medium), method=method)
    V = layer(torch.tensor(media)).numpy()
    highs = HighsLabeler(FluxProblem.from_network(network, medium), method)
    labels = [highs.label(u) for u in media]
    np.testing.assert_allclose(V, np.array([label.fluxes for label in labels]), atol=1e-9)
    cobra_growth = [CobraLabeler(network, medium, "fba").label(u).growth for u in media[:3]]
    np.testing.assert_allclose(layer.growth(torch.tensor(media[:3])).numpy(), cobra_growth, rtol=1e-7)


def test_qp_is_a_pfba_optimum(core):
    """The regularised pFBA keeps the growth and the total flux of pFBA (exact regularisation)."""
    network, medium, media = core
    matrices = network.matrices(medium=medium)
    V = ExactFBA(matrices, method="qp", gamma=1e-3)(torch.tensor(media)).numpy()
    pfba = ExactFBA(matrices, method="pfba")(torch.tensor(media)).numpy()
    np.testing.assert_allclose(np.abs(V @ matrices.S.T.toarray()).max(), 0.0, atol=1e-9)
    assert (V >= matrices.lower - 1e-9).all() and (V[:, matrices.medium_index] <= media + 1e-9).all()
    np.testing.assert_allclose(V @ matrices.objective, pfba @ matrices.objective, rtol=1e-9)
    np.testing.assert_allclose(V.sum(axis=1), pfba.sum(axis=1), rtol=1e-9)


def test_dtype_device_and_validation(core):
    network, medium, media = core
    layer = ExactFBA(network.matrices(medium=medium), method="fba")
    out = layer(torch.tensor(media[:2], dtype=torch.float32))
    assert out.dtype == torch.float32 and out.shape == (2, len(network.reaction_ids))
    with pytest.raises(ValueError, match="batch x 20"):
        layer(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="method"):
        ExactFBA(network.matrices(medium=medium), method="milp")


@pytest.mark.parametrize("method", ["fba", "pfba", "qp"])
def test_gradients_match_central_differences(core, method):
    """On non-degenerate (sample, uptake) pairs — the fluxes are affine on [u - h, u + h], i.e.
    the optimal basis / active set does not change — autograd equals central differences."""
    network, medium, media = core
    layer = ExactFBA(network.matrices(medium=medium), method=method)
    media = media[:4]
    V0, J = jacobian(layer, media)
    checked = 0
    for k in range(len(medium)):
        open_ = media[:, k] >= H
        if not open_.any():
            continue
        step = np.zeros_like(media)
        step[:, k] = H
        Vp = layer(torch.tensor(media + step)).numpy()
        Vm = layer(torch.tensor(np.maximum(media - step, 0.0))).numpy()
        for i in np.flatnonzero(open_):
            if np.abs((Vp[i] - V0[i]) - (V0[i] - Vm[i])).max() > 1e-9:  # a kink or another vertex
                continue
            np.testing.assert_allclose(J[i, :, k], (Vp[i] - Vm[i]) / (2 * H), atol=1e-7, err_msg=f"{medium[k]}")
            checked += 1
    # pFBA/QP: all 57 open pairs of these media are non-degenerate; FBA: 39 (alternative optima)
    assert checked >= (0.6 if method == "fba" else 0.9) * (media >= H).sum()


def test_growth_gradient_is_the_reduced_cost(core):
    network, medium, media = core
    layer = ExactFBA(network.matrices(medium=medium), method="pfba")
    x = torch.tensor(media, requires_grad=True)
    layer.growth(x).sum().backward()
    highs = HighsLabeler(FluxProblem.from_network(network, medium), "fba")
    for i, u in enumerate(media):
        highs.label(u)
        reduced_cost = highs.fba.duals()[0][highs.problem.medium_columns]
        # uptakes at their bound carry the dual (>= 0); the others do not depend on theirs
        np.testing.assert_allclose(x.grad[i].numpy(), np.maximum(reduced_cost, 0.0), atol=1e-9)


def test_gradcheck_regularised_qp():
    """The QP splits a's flux evenly over the parallel routes: a unique, differentiable optimum."""
    network, medium = toy()
    layer = ExactFBA(network.matrices(medium=medium), method="qp", gamma=0.1)
    x = torch.tensor([[3.0, 1.0], [0.5, 2.5]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(layer, (x,), eps=1e-6, atol=1e-7)
    V = layer(x).detach().numpy()
    ids = network.reaction_ids
    np.testing.assert_allclose(V[:, ids.index("R1")], V[:, ids.index("R2")], atol=1e-12)


def test_gradcheck_regularised_qp_on_core(core):
    """On the open uptakes of one medium (closed ones cannot go below 0)."""
    network, medium, media = core
    layer = ExactFBA(network.matrices(medium=medium), method="qp", gamma=1e-3)
    u = torch.tensor(media[0])
    open_ = u > 0

    def on_open(x: torch.Tensor) -> torch.Tensor:
        return layer(u.masked_scatter(open_, x).unsqueeze(0))

    x = u[open_].clone().requires_grad_(True)
    assert torch.autograd.gradcheck(on_open, (x,), eps=1e-6, atol=1e-6)


@pytest.mark.parametrize("method", ["fba", "pfba", "qp"])
def test_closed_form_toy(method):
    """growth = (u_a + 2 u_c) / 2: gradient (1/2, 1), and the uptakes follow their bounds."""
    network, medium = toy()
    layer = ExactFBA(network.matrices(medium=medium), method=method)
    x = torch.tensor([[3.0, 1.0]], requires_grad=True, dtype=torch.float64)
    growth = layer.growth(x)
    growth.backward()
    assert growth.item() == pytest.approx(2.5, rel=1e-8)
    np.testing.assert_allclose(x.grad.numpy(), [[0.5, 1.0]], rtol=1e-8)
    ids = network.reaction_ids
    J = jacobian(layer, x.detach().numpy())[1][0]
    np.testing.assert_allclose(J[[ids.index("TA"), ids.index("TC"), ids.index("BIO")]], [[1, 0], [0, 1], [0.5, 1]], atol=1e-8)
    # (atol: pFBA holds the growth 1e-9 below the FBA optimum, and so do its derivatives)


@pytest.mark.parametrize("method", ["fba", "pfba", "qp"])
def test_degenerate_vertex_gives_a_one_sided_derivative(method):
    """TA is capped at 5: growth = min(u_a, 5)/2 + u_c has a kink at u_a = 5, where both the
    uptake bound and the cap are active (a degenerate vertex).  The left derivative is 1/2,
    the right one 0; the layer returns one of them, the one of the basis HiGHS ends at, which
    depends on where the warm start came from."""
    network, medium = toy(cap=5.0)
    layer = ExactFBA(network.matrices(medium=medium), method=method)
    growth = [layer.growth(torch.tensor([[u, 1.0]], dtype=torch.float64)).item() for u in (5.0 - H, 5.0, 5.0 + H)]
    assert (growth[1] - growth[0]) / H == pytest.approx(0.5) and (growth[2] - growth[1]) / H == pytest.approx(0.0, abs=1e-6)
    for before in (4.0, 6.0):
        layer(torch.tensor([[before, 1.0]], dtype=torch.float64))
        x = torch.tensor([[5.0, 1.0]], requires_grad=True, dtype=torch.float64)
        layer.growth(x).backward()
        assert min(abs(x.grad[0, 0].item() - 0.5), abs(x.grad[0, 0].item())) < 1e-8


def test_infeasible_sample_gives_nan_and_zero_gradient(core):
    """With no medium at all the ATP maintenance demand cannot be met."""
    network, medium, media = core
    layer = ExactFBA(network.matrices(medium=medium), method="pfba")
    x = torch.tensor(np.vstack([media[0], np.zeros(len(medium))]), requires_grad=True)
    with pytest.warns(RuntimeWarning, match="1 of 2 samples have no optimum"):
        V = layer(x)
    assert torch.isfinite(V[0]).all() and torch.isnan(V[1]).all()
    V.nan_to_num(0.0).sum().backward()
    assert torch.isfinite(x.grad).all() and (x.grad[1] == 0).all()


def test_exact_bounds_fix_the_uptakes():
    network, medium = toy()
    layer = ExactFBA(network.matrices(medium=medium), method="pfba", bound="EB")
    x = torch.tensor([[3.0, 1.0]], dtype=torch.float64, requires_grad=True)
    V = layer(x)
    np.testing.assert_allclose(V[0, layer.columns].detach().numpy(), [3.0, 1.0])
    V[0, layer.columns].sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1.0, 1.0]])
