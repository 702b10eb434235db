"""Mechanistic layers: closed-form toy optimum, pFBA growth on e_coli_core, gradients, dtypes, checkpointing."""

from __future__ import annotations

import cobra
import numpy as np
import pytest
import torch
from cobra.flux_analysis import pfba

from amn.errors import ParameterError
from amn.layers import PDHG, QP, RNNEB, RNNUB, RNNW, ExactFBA, InteriorPoint, ProjectedPDHG
from amn.network import make_unidirectional
from amn.training import AMNLoss

GLUCOSE = 0.1


@pytest.fixture(scope="module")
def toy():
    """Upper glycolysis (the paper's Fig. 1 network) with a wasteful branch, glucose uptake <= 0.1.

    glc_e -> g6p (GLCpts) -> f6p (PGI) -> fdp (PFK) -> dhap + g3p (FBA),
    dhap -> g3p (TPI), g3p -> (GROWTH, the objective); g6p -> 6pgl (G6PDH2r)
    -> (DM_6pgl) wastes carbon.  Each glucose gives two g3p only through
    glycolysis, so the optimum is unique and in closed form: every glycolytic
    flux = uptake = 0.1, GROWTH = 0.2, the branch and the glucose outflow 0.
    """
    model = cobra.Model("toy")
    model.compartments = {"e": "extracellular", "c": "cytosol"}
    ids = ["glc__D_e", "g6p_c", "f6p_c", "fdp_c", "dhap_c", "g3p_c", "6pgl_c"]
    mets = {i: cobra.Metabolite(i, compartment=i[-1]) for i in ids}
    model.add_metabolites(list(mets.values()))
    reactions = {
        "EX_glc__D_e": ({"glc__D_e": -1}, -GLUCOSE),
        "GLCpts": ({"glc__D_e": -1, "g6p_c": 1}, 0),
        "PGI": ({"g6p_c": -1, "f6p_c": 1}, 0),
        "PFK": ({"f6p_c": -1, "fdp_c": 1}, 0),
        "FBA": ({"fdp_c": -1, "dhap_c": 1, "g3p_c": 1}, 0),
        "TPI": ({"dhap_c": -1, "g3p_c": 1}, 0),
        "G6PDH2r": ({"g6p_c": -1, "6pgl_c": 1}, 0),
        "DM_6pgl_c": ({"6pgl_c": -1}, 0),
        "GROWTH": ({"g3p_c": -1}, 0),
    }
    for rid, (stoich, lb) in reactions.items():
        r = cobra.Reaction(rid, lower_bound=lb, upper_bound=1000)
        model.add_reactions([r])
        r.add_metabolites({mets[m]: v for m, v in stoich.items()})
    model.objective = "GROWTH"
    net = make_unidirectional(model)
    mats = net.matrices(medium=["EX_glc__D_e_i"])
    expected = np.zeros(len(net.reaction_ids))
    for rid, value in {"EX_glc__D_e_i": 0.1, "GLCpts": 0.1, "PGI": 0.1, "PFK": 0.1, "FBA": 0.1, "TPI": 0.1, "GROWTH": 0.2}.items():
        expected[net.reaction_ids.index(rid)] = value
    return net, mats, expected


def _u(value=GLUCOSE, batch=1):
    return torch.full((batch, 1), value, dtype=torch.float64)


@pytest.mark.parametrize(
    "make, iterations, tol",
    [
        (lambda m: ProjectedPDHG(m), 1000, 2e-4),
        (lambda m: PDHG(m), 3000, 1e-6),
        (lambda m: RNNUB(m, objective_scale=1.0), 10000, 1e-3),
        (lambda m: RNNEB(m), 3000, 1e-5),
        (lambda m: PDHG(m, bound="EB"), 3000, 1e-6),
    ],
    ids=["ProjectedPDHG", "PDHG", "RNN-UB", "RNN-EB", "PDHG-EB"],
)
def test_solver_layers_reach_the_toy_optimum(toy, make, iterations, tol):
    _, mats, expected = toy
    V = make(mats).run(_u(), iterations=iterations).V.detach().numpy()[0]
    assert np.abs(V - expected).max() < tol


def test_qp_meets_the_toy_steady_state_given_growth_target(toy):
    """With the uptake fixed (EB) and the growth target 0.2, the only steady state is the optimum."""
    _, mats, expected = toy
    layer = QP(mats, bound="EB", objective=None, momentum=0.9)
    V = layer.run(_u(), iterations=5000, targets=torch.tensor([[0.2]])).V.numpy()[0]
    assert np.abs(V - expected).max() < 1e-3
    assert np.abs(mats.S @ V).max() < 1e-4


def test_qp_targets_survive_checkpoint_recomputation(toy):
    """Checkpointed blocks are recomputed in backward: the targets must still be there."""
    _, mats, _ = toy
    grads = []
    for every in (None, 7):
        u = _u().double().requires_grad_(True)
        layer = QP(mats, bound="EB", objective=None, iterations=40, checkpoint_every=every)
        layer.run(u, targets=torch.tensor([[0.2]], dtype=torch.float64)).V.sum().backward()
        grads.append(u.grad.clone())
    torch.testing.assert_close(grads[0], grads[1])


def test_rnn_w_substrate_weights_with_a_trace_substrate():
    """R: A + 1e-4 T -> B.  Doubling the trace supply T doubles nothing physically; the published
    count weighting (mean of M_i / |S_iR|) raises R by half, the stoichiometric one by 1e-4."""
    model = cobra.Model("trace")
    model.compartments = {"e": "extracellular"}
    mets = {m: cobra.Metabolite(m, compartment="e") for m in ("A", "T", "B")}
    reaction = cobra.Reaction("R", lower_bound=0, upper_bound=1000)
    model.add_reactions([reaction])
    reaction.add_metabolites({mets["A"]: -1, mets["T"]: -1e-4, mets["B"]: 1})
    for met in mets.values():
        model.add_boundary(met, type="exchange")
    model.objective = "R"
    net = make_unidirectional(model)
    mats = net.matrices(medium=["EX_A_i", "EX_T_i"])
    supply = torch.tensor([[1.0, 1e-4], [1.0, 2e-4]], dtype=torch.float64)  # balanced, then trace doubled
    r = net.reaction_ids.index("R")
    for weights, expected in (("count", 1.5), ("stoichiometry", (1 + 2e-4) / (1 + 1e-4))):
        V = RNNW(mats, iterations=1, substrate_weights=weights).run(supply).V[:, r].detach()
        assert float(V[1] / V[0]) == pytest.approx(expected)
    with pytest.raises(ValueError, match="substrate_weights"):
        RNNW(mats, substrate_weights="mass")


def test_rnn_w_fixed_points(toy):
    net, mats, expected = toy
    layer = RNNW(mats, iterations=30)
    V = layer(_u()).detach().numpy()[0]
    # even branching at glc_e (GLCpts vs outflow) and at g6p (PGI vs G6PDH2r):
    # GLCpts = 0.05, PGI = G6PDH2r = 0.025, GROWTH = 2 PGI = 0.05
    for rid, value in {"GLCpts": 0.05, "PGI": 0.025, "G6PDH2r": 0.025, "TPI": 0.025, "GROWTH": 0.05}.items():
        assert V[net.reaction_ids.index(rid)] == pytest.approx(value, abs=1e-12)
    assert np.abs(mats.S @ V).max() < 1e-12
    # the optimum's branching ratios give the optimum (outflow of glucose closed too)
    layer.set_branching({("g6p_c", "G6PDH2r"): 0.0, ("g6p_c", "PGI"): 1.0,
                         ("glc__D_e", "EX_glc__D_e_o"): 0.0, ("glc__D_e", "GLCpts"): 1.0}, net.metabolite_ids)
    assert np.abs(layer(_u()).detach().numpy()[0] - expected).max() < 1e-12
    with pytest.raises(ValueError, match="does not consume"):
        layer.set_branching({("g3p_c", "PGI"): 1.0}, net.metabolite_ids)


# --- e_coli_core: growth of pFBA ---------------------------------------------------------
MINIMAL = ["EX_co2_e_i", "EX_glc__D_e_i", "EX_h_e_i", "EX_h2o_e_i", "EX_nh4_e_i", "EX_o2_e_i", "EX_pi_e_i"]


@pytest.fixture(scope="module")
def core_media(textbook_net):
    """Four media of the published e_coli_core kind (minimal uptakes at 10, a few carbon sources) and pFBA."""
    rng = np.random.default_rng(11)
    medium = list(textbook_net.uptake_ids)
    mats = textbook_net.matrices(medium=medium)
    variable = [i for i, r in enumerate(medium) if r not in MINIMAL]
    bounds = np.zeros((4, len(medium)))
    growth, fluxes = [], []
    model = textbook_net.model
    for row in bounds:
        row[[medium.index(r) for r in MINIMAL]] = 10.0
        for j in rng.choice(variable, size=rng.integers(1, 4), replace=False):
            row[j] = 2.5 * rng.integers(1, 5)
        with model:
            for rid, b in zip(medium, row):
                model.reactions.get_by_id(rid).upper_bound = b
            sol = pfba(model)
        growth.append(sol.fluxes["Biomass_Ecoli_core"])
        fluxes.append(sol.fluxes[textbook_net.reaction_ids].to_numpy())
    return mats, torch.as_tensor(bounds), np.array(growth), np.array(fluxes)


@pytest.mark.parametrize(
    "make, iterations, tol",
    [(ProjectedPDHG, 1000, 0.01), (PDHG, 3000, 0.01), (RNNUB, 10000, 0.02)],
    ids=["ProjectedPDHG", "PDHG", "RNN-UB"],
)
def test_solver_layers_reach_pfba_growth_on_e_coli_core(core_media, make, iterations, tol):
    mats, bounds, growth, _ = core_media
    with torch.no_grad():
        V = make(mats).run(bounds, iterations=iterations).V.numpy()
    predicted = V @ mats.objective
    assert np.max(np.abs(predicted - growth) / growth) < tol


def test_projected_pdhg_matches_pfba_fluxes(core_media):
    mats, bounds, _, fluxes = core_media
    with torch.no_grad():
        V = ProjectedPDHG(mats, iterations=1000)(bounds).numpy()
    r2 = 1 - np.sum((V - fluxes) ** 2) / np.sum((fluxes - fluxes.mean()) ** 2)
    assert r2 > 0.999
    assert np.abs(V @ mats.S.T.toarray()).max() < 1e-8  # steady state to round-off


# --- gradients, dtypes, checkpointing, bad input ------------------------------------------
LAYERS = {
    "ProjectedPDHG": lambda m: ProjectedPDHG(m, iterations=25),
    "PDHG": lambda m: PDHG(m, iterations=25, theta=0.0),  # theta=0: no (detached) primal-weight update
    "RNN-UB": lambda m: RNNUB(m, iterations=25),
    "RNN-EB": lambda m: RNNEB(m, iterations=25),
    "QP": lambda m: QP(m, iterations=25),
    "RNN-W": lambda m: RNNW(m, iterations=10),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_gradcheck(toy, name):
    _, mats, _ = toy
    layer = LAYERS[name](mats)
    weights = torch.linspace(0.5, 1.5, layer.n, dtype=torch.float64)
    u = torch.tensor([[0.07], [0.13]], dtype=torch.float64, requires_grad=True)
    V0 = torch.rand(2, layer.n, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 0.05
    V0.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda u, V0: layer(u, V0) * weights, (u, V0))


def test_gradcheck_rnn_w_weights(toy):
    _, mats, _ = toy
    layer = RNNW(mats, iterations=10)
    W = layer.W.detach().clone().requires_grad_(True)

    def f(W):
        layer.W.data = W.detach()  # the parameter's value; autograd goes through torch.func below
        return torch.func.functional_call(layer, {"W": W}, (_u(),))

    assert torch.autograd.gradcheck(f, (W,))


@pytest.mark.parametrize("cls", [ProjectedPDHG, PDHG, RNNUB, QP])
def test_float32_agrees_with_float64(core_media, cls):
    mats, bounds, _, _ = core_media
    layer = cls(mats, iterations=200)
    with torch.no_grad():
        V64 = layer(bounds)
        V32 = layer.float()(bounds.float())
    assert V32.dtype == torch.float32
    scale = V64.abs().max()
    assert (V32.double() - V64).abs().max() < 1e-3 * scale


@pytest.mark.parametrize("cls", [ProjectedPDHG, PDHG, RNNUB, RNNEB, QP])
def test_checkpointing_gives_the_same_gradients(core_media, cls):
    mats, bounds, _, _ = core_media
    grads = []
    for every in (None, 7):
        layer = cls(mats, iterations=40, checkpoint_every=every)
        u = bounds.clone().requires_grad_(True)
        (layer(u) @ torch.as_tensor(mats.objective + 0.01)).sum().backward()
        grads.append(u.grad)
    assert torch.allclose(grads[0], grads[1], rtol=1e-10, atol=1e-12)
    assert grads[0].abs().sum() > 0


def test_trace_and_warm_start(core_media):
    mats, bounds, _, _ = core_media
    layer = ProjectedPDHG(mats)
    with torch.no_grad():
        sol = layer.run(bounds, iterations=60, trace_at=[0, 30, 60])
        half = layer.run(bounds, iterations=30)
        resumed = layer.run(bounds, state0=half.state, iterations=30)
    assert sorted(sol.trace) == [0, 30, 60]
    assert torch.allclose(sol.trace[30], half.V) and torch.allclose(resumed.V, sol.V)


def test_bad_inputs_raise(toy):
    _, mats, _ = toy
    layer = ProjectedPDHG(mats, iterations=5)
    with pytest.raises(ValueError, match="batch x 1"):
        layer(torch.zeros(2, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="V0 must be"):
        layer(_u(), torch.zeros(1, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="bound must be"):
        PDHG(mats, bound="XB")
    with pytest.raises(ValueError, match="medium"):
        RNNUB(mats.network)  # a network without a medium


@pytest.mark.parametrize(
    "make",
    [
        lambda m: QP(m, bound="XB"),
        lambda m: PDHG(m, bound="XB"),
        lambda m: ProjectedPDHG(m, bound="XB"),
        lambda m: InteriorPoint(m, bound="XB"),
        lambda m: ExactFBA(m, bound="XB"),
        lambda m: AMNLoss(torch.as_tensor(m.S.toarray()), torch.tensor([0]), torch.tensor([0]), bound="XB"),
    ],
    ids=["QP", "PDHG", "ProjectedPDHG", "InteriorPoint", "ExactFBA", "AMNLoss"],
)
def test_one_bound_check_everywhere(toy, make):
    """Every layer and the loss check the medium-input mode alike: a ParameterError (a ValueError), one line."""
    _, mats, _ = toy
    message = r"^bound must be 'UB' \(uptake upper bounds\) or 'EB' \(exact uptakes\), got 'XB'$"
    with pytest.raises(ParameterError, match=message):
        make(mats)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: QP(m, momentum=1.0),
        lambda m: QP(m, iterations=-1),
        lambda m: QP(m, checkpoint_every=0),
        lambda m: RNNUB(m, dt=0),
        lambda m: RNNEB(m, gain=-1.0),
        lambda m: RNNW(m, substrate_weights="mass"),
        lambda m: ProjectedPDHG(m, relaxation=2.0),
        lambda m: PDHG(m, theta=2.0),
        lambda m: InteriorPoint(m, eps=-1.0),
        lambda m: ExactFBA(m, method="milp"),
        lambda m: ExactFBA(m, gamma=0.0),
    ],
)
def test_parameters_outside_their_domain_raise_parameter_error(toy, make):
    _, mats, _ = toy
    with pytest.raises(ParameterError) as raised:
        make(mats)
    assert isinstance(raised.value, ValueError) and "\n" not in str(raised.value)
