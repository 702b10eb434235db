"""The interior-point layer: toy optimum, HiGHS pFBA on e_coli_core (UB, EB, knockouts), learning mode, gradients, dtypes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from amn.layers import InteriorPoint
from amn.solve.pfba import FluxProblem, HighsLabeler
from tests.layers.test_layers import _u, core_media, toy  # noqa: F401  (fixtures)

ITERATIONS = 40


@pytest.fixture(scope="module")
def highs(textbook_net, core_media):  # noqa: F811
    """HiGHS pFBA of the core media (two LPs, as the training-set generator labels them)."""
    mats, bounds, _, _ = core_media
    labeler = HighsLabeler(FluxProblem.from_network(textbook_net, mats.medium))

    def solve(knocked=()):
        labels = [labeler.label(row, np.asarray(k, dtype=int)) for row, k in zip(bounds.numpy(), knocked or [()] * len(bounds))]
        return np.array([label.fluxes for label in labels])

    return solve


def _growth_error(V, fluxes, c):
    return np.max(np.abs(V @ c - fluxes @ c) / (fluxes @ c))


def test_toy_optimum(toy):  # noqa: F811
    _, mats, expected = toy
    for bound in ("UB", "EB"):
        V = InteriorPoint(mats, bound=bound, iterations=ITERATIONS)(_u()).detach().numpy()[0]
        assert np.abs(V - expected).max() < 1e-7, bound


def test_matches_highs_pfba_on_e_coli_core(core_media, highs):  # noqa: F811
    mats, bounds, _, _ = core_media
    fluxes = highs()
    with torch.no_grad():
        V = InteriorPoint(mats, iterations=ITERATIONS)(bounds).numpy()
    assert _growth_error(V, fluxes, mats.objective) < 1e-4
    assert np.abs(V - fluxes).max() < 1e-4 * np.abs(fluxes).max()
    assert np.abs(V @ mats.S.T.toarray()).max() < 1e-7
    assert V.min() >= 0


def test_eb_mode_from_pfba_uptakes(core_media, highs):  # noqa: F811
    mats, _, _, _ = core_media
    fluxes = highs()
    uptakes = torch.as_tensor(fluxes[:, mats.medium_index])
    with torch.no_grad():
        V = InteriorPoint(mats, bound="EB", iterations=ITERATIONS)(uptakes).numpy()
    assert np.allclose(V[:, mats.medium_index], uptakes.numpy(), rtol=1e-14, atol=0)  # fixed fluxes stay fixed
    assert _growth_error(V, fluxes, mats.objective) < 1e-4


def test_knockouts_are_exact_zeros_and_match_highs(core_media, highs):  # noqa: F811
    mats, bounds, _, _ = core_media
    ids = mats.reaction_ids
    knocked = [[ids.index("PFK")], [ids.index("PGI_for"), ids.index("PGI_rev")], [ids.index("CYTBD")], []]
    mask = torch.zeros(len(bounds), len(ids), dtype=torch.bool)
    for row, cols in enumerate(knocked):
        mask[row, cols] = True
    fluxes = highs(knocked)
    with torch.no_grad():
        V = InteriorPoint(mats, iterations=ITERATIONS)(bounds, knockout=mask).numpy()
    assert np.all(V[mask.numpy()] == 0)
    assert _growth_error(V, fluxes, mats.objective) < 1e-4
    assert np.abs(_growth_error(V, highs(), mats.objective)) > 1e-3  # the knockouts change growth


def test_learning_mode_projects_onto_the_polytope(core_media, highs):  # noqa: F811
    """Without objective the layer returns the closest steady state to V0 (V0 itself when V0 is one);
    the default barrier floor smooths the projection at the bounds."""
    mats, bounds, _, _ = core_media
    fluxes = torch.as_tensor(highs())
    layer = InteriorPoint(mats, objective=False, iterations=ITERATIONS)
    with torch.no_grad():
        exact = InteriorPoint(mats, objective=False, iterations=ITERATIONS, mu_min=1e-12)(bounds, fluxes).numpy()
        smooth = layer(bounds, fluxes).numpy()
        noisy = layer(bounds, fluxes + 0.5 * torch.randn(fluxes.shape, generator=torch.Generator().manual_seed(0))).numpy()
    assert np.abs(exact - fluxes.numpy()).max() < 1e-4
    assert np.abs(smooth - fluxes.numpy()).max() < 0.05 * np.abs(fluxes.numpy()).max()
    assert np.abs(noisy @ mats.S.T.toarray()).max() < 1e-5
    lo, up = (b.numpy() for b in layer.bounds(bounds))
    assert np.all(noisy >= lo - 1e-9) and np.all(noisy <= up + 1e-9)


@pytest.mark.parametrize("objective", [True, False], ids=["solver", "learning"])
def test_gradcheck(toy, objective):  # noqa: F811
    _, mats, _ = toy
    layer = InteriorPoint(mats, objective=objective, iterations=25, checkpoint_every=10)
    weights = torch.linspace(0.5, 1.5, layer.n, dtype=torch.float64)
    u = torch.tensor([[0.07], [0.13]], dtype=torch.float64, requires_grad=True)
    V0 = torch.rand(2, layer.n, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 0.05
    V0.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda u, V0: layer(u, V0) @ weights, (u, V0))


def test_growth_gradient_is_finite_and_converges(core_media):  # noqa: F811
    """Unrolled past convergence, backward stays finite and stops changing (the central point's sensitivity)."""
    mats, bounds, _, _ = core_media
    grads = []
    for iterations in (30, 60):
        u = bounds.clone().requires_grad_(True)
        (InteriorPoint(mats, iterations=iterations, checkpoint_every=10)(u) @ torch.as_tensor(mats.objective)).sum().backward()
        grads.append(u.grad)
    assert torch.isfinite(grads[1]).all() and grads[1].abs().sum() > 0
    assert torch.allclose(grads[0], grads[1], atol=1e-8)


def test_float32(core_media):  # noqa: F811
    mats, bounds, _, _ = core_media
    layer = InteriorPoint(mats, iterations=ITERATIONS)
    with torch.no_grad():
        V64 = layer(bounds)
        V32 = layer.float()(bounds.float())
    assert V32.dtype == torch.float32
    assert (V32.double() - V64).abs().max() < 1e-4 * V64.abs().max()


def test_bad_arguments_raise(toy):  # noqa: F811
    _, mats, _ = toy
    with pytest.raises(ValueError, match="bound must be"):
        InteriorPoint(mats, bound="XB")
    with pytest.raises(ValueError, match="eta"):
        InteriorPoint(mats, eta=1.0)
    with pytest.raises(ValueError, match="batch x 1"):
        InteriorPoint(mats)(torch.zeros(2, 3, dtype=torch.float64))
