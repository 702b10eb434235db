"""FluxAMNRegressor and its projection layer on e_coli_core, against COBRApy pFBA and HiGHS's QP solver."""

from __future__ import annotations

import cobra
import highspy
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from amn.errors import DatasetMismatchError, NotFittedError, ParameterError, UnknownReactionError
from amn.layers.projection import NetArrays, SteadyStateProjection
from amn.models.flux import FluxAMNRegressor
from amn.network import Knockouts

# genes whose knockout removes a reaction of e_coli_core and leaves growth on glucose
GENES = {"pgi": "b4025", "zwf": "b1852", "gnd": "b2029", "ppsA": "b1702", "pgl": "b0767"}
TARGETS = ["PGI", "G6PDH2r", "GND", "PFK", "PYK", "PDH", "CS", "ICDHyr", "MDH", "EX_o2_e_i", "EX_co2_e_o",
           "EX_ac_e_o", "RPE", "TKT1", "PGK_rev"]


def _signed(network, flux: pd.Series, rid: str) -> float:
    """The target value of ``rid`` in a COBRApy (net) solution: original id +net, unidirectional id its sign."""
    if rid in network.original_ids:
        return float(flux[rid])
    part = network.model.reactions.get_by_id(rid)
    sign = float(part.notes["AMN_SIGN"])
    return sign * float(flux[part.notes["AMN_ORIGINAL_ID"]])


@pytest.fixture(scope="module")
def simulated(textbook, textbook_net):
    """32 conditions: glucose uptake 3-10, aerobic, wild type or one gene of GENES out; labelled by COBRApy pFBA."""
    rng = np.random.default_rng(0)
    rows, targets = [], []
    names = [None, *GENES]
    for k in range(32):
        glucose = rng.uniform(3.0, 10.0)
        gene = names[k % len(names)]
        with textbook as model:
            model.reactions.EX_glc__D_e.lower_bound = -glucose
            if gene is not None:
                model.genes.get_by_id(GENES[gene]).knock_out()
            flux = cobra.flux_analysis.pfba(model).fluxes
        row = {"glucose": glucose, "growth": float(flux["Biomass_Ecoli_core"])}
        row.update({f"KO_{g}": float(g == gene) for g in GENES})
        rows.append(row)
        targets.append({rid: _signed(textbook_net, flux, rid) for rid in TARGETS})
    X, Y = pd.DataFrame(rows), pd.DataFrame(targets)
    roles = {"measured": {"glucose": "EX_glc__D_e_i", "growth": "Biomass_Ecoli_core"},
             "knockouts": {f"KO_{g}": ("gene", b) for g, b in GENES.items()},
             "targets": {rid: rid for rid in TARGETS}}
    return X, Y, roles


@pytest.fixture(scope="module")
def fitted(textbook_net, simulated):
    X, Y, roles = simulated
    return FluxAMNRegressor(textbook_net, prior="dense", epochs=3, **roles).fit(X.iloc[:24], Y.iloc[:24])


def _qp_reference(S, h, q, lower, upper) -> np.ndarray:
    """min 1/2 v'diag(h)v - q'v s.t. S v = 0, lower <= v <= upper, by HiGHS's QP solver."""
    n, m = S.shape[1], S.shape[0]
    solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, m
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = -q, lower, upper
    lp.row_lower_, lp.row_upper_ = np.zeros(m), np.zeros(m)
    A = sp.csc_matrix(S)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
    solver.passModel(lp)
    hessian = highspy.HighsHessian()
    hessian.dim_, hessian.format_ = n, highspy.HessianFormat.kTriangular
    hessian.start_, hessian.index_, hessian.value_ = np.arange(n + 1), np.arange(n), h
    solver.passHessian(hessian)
    solver.run()
    assert solver.modelStatusToString(solver.getModelStatus()) == "Optimal"
    return np.array(solver.getSolution().col_value)


def test_net_arrays_match_the_original_model(textbook, textbook_net):
    arrays = NetArrays.from_network(textbook_net)
    assert arrays.reaction_ids == [r.id for r in textbook.reactions]
    assert np.allclose(arrays.lower, [r.lower_bound for r in textbook.reactions])
    assert np.allclose(arrays.upper, [r.upper_bound for r in textbook.reactions])
    flux = textbook.optimize().fluxes.to_numpy()  # a steady state of the original model
    assert np.abs(arrays.S @ flux).max() < 1e-8


def test_projection_matches_highs_qp(textbook_net):
    arrays = NetArrays.from_network(textbook_net)
    n = len(arrays.reaction_ids)
    rng = np.random.default_rng(1)
    h = np.exp(rng.normal(0.0, 1.0, n))
    q = h * rng.normal(0.0, 3.0, (4, n))
    lower, upper = np.tile(arrays.lower, (4, 1)), np.tile(arrays.upper, (4, 1))
    growth = arrays.reaction_ids.index("Biomass_Ecoli_core")
    lower[:, growth] = upper[:, growth] = 0.3
    lower[:2, arrays.reaction_ids.index("PGI")] = upper[:2, arrays.reaction_ids.index("PGI")] = 0.0
    t = torch.as_tensor
    v = SteadyStateProjection(arrays.S)(t(q), t(h), t(lower), t(upper)).numpy()
    for b in range(4):
        reference = _qp_reference(arrays.S, h, q[b], lower[b], upper[b])
        mine, theirs = (0.5 * np.sum(h * x * x) - q[b] @ x for x in (v[b], reference))
        # as good as HiGHS's optimum (unique: H > 0; HiGHS stops within its tolerance, ~1e-6 relative)
        assert abs(mine - theirs) <= 1e-5 * abs(theirs)
    assert np.abs(arrays.S @ v.T).max() < 1e-6
    assert (v >= lower).all() and (v <= upper).all()
    assert (v[:2, arrays.reaction_ids.index("PGI")] == 0.0).all()


def test_projection_gradient_matches_finite_differences():
    S = np.array([[1.0, -1.0, -1.0, 0.0], [0.0, 0.0, 1.0, -1.0]])  # a branch: v0 = v1 + v2, v2 = v3
    layer = SteadyStateProjection(S)
    h = torch.tensor([1.0, 2.0, 1.0, 3.0], dtype=torch.float64)
    lower = torch.zeros(1, 4, dtype=torch.float64)
    upper = torch.full((1, 4), 10.0, dtype=torch.float64)
    q = torch.tensor([[4.0, 1.0, 2.0, 3.0]], dtype=torch.float64, requires_grad=True)
    weights = torch.tensor([1.0, -2.0, 0.5, 1.5], dtype=torch.float64)
    (layer(q, h, lower, upper) @ weights).sum().backward()
    eps = 1e-6
    numeric = []
    for j in range(4):
        dq = torch.zeros_like(q)
        dq[0, j] = eps
        plus = layer(q.detach() + dq, h, lower, upper) @ weights
        minus = layer(q.detach() - dq, h, lower, upper) @ weights
        numeric.append(float((plus - minus).sum()) / (2 * eps))
    assert np.allclose(q.grad.numpy().ravel(), numeric, atol=1e-6)


def test_knockouts_are_exact_zeros_and_constraints_hold(textbook_net, simulated, fitted):
    X = simulated[0]
    net = fitted.predict_net_fluxes(X)
    arrays = fitted.arrays_
    assert np.abs(arrays.S @ net.to_numpy().T).max() < 1e-6
    assert (net.to_numpy() >= arrays.lower - 1e-9).all() and (net.to_numpy() <= arrays.upper + 1e-9).all()
    uni = fitted.predict_fluxes(X)
    assert (uni.to_numpy() >= 0).all()
    mapping = Knockouts(textbook_net)
    for gene, b in GENES.items():
        rows = X[f"KO_{gene}"] == 1
        removed = mapping.reactions([b])
        assert removed and (uni.loc[rows, removed].to_numpy() == 0.0).all()
    assert np.array_equal(net["Biomass_Ecoli_core"].to_numpy(), X["growth"].to_numpy())
    assert np.array_equal(uni["EX_glc__D_e_i"].to_numpy(), X["glucose"].to_numpy())


def test_recovers_pfba_fluxes_better_than_the_mean(textbook_net, simulated, fitted):
    X, Y, roles = simulated
    test_X, test_Y = X.iloc[24:], Y.iloc[24:]
    from sklearn.dummy import DummyRegressor
    from sklearn.metrics import r2_score

    mean = DummyRegressor().fit(X.iloc[:24], Y.iloc[:24]).predict(test_X)
    baseline = r2_score(test_Y, mean, multioutput="variance_weighted")
    assert fitted.predict(test_X).shape == test_Y.shape
    assert fitted.score(test_X, test_Y) > max(baseline, 0.0) + 0.5
    ridge = FluxAMNRegressor(textbook_net, prior="ridge", **roles).fit(X.iloc[:24], Y.iloc[:24])
    assert ridge.score(test_X, test_Y) > max(baseline, 0.0) + 0.5


def test_data_of_the_network_is_read_from_the_network(fitted):
    # pFBA fluxes are steady states of the network: no target is biased, every read-out scale is 1
    assert fitted.mechanistic_.all()
    assert np.allclose(fitted.target_scale_, 1.0, atol=0.05)


def test_deterministic_given_a_seed(textbook_net, simulated, fitted):
    X, Y, roles = simulated
    again = FluxAMNRegressor(textbook_net, prior="dense", epochs=3, **roles).fit(X.iloc[:24], Y.iloc[:24])
    assert np.array_equal(again.predict(X), fitted.predict(X))


def test_errors(textbook_net, simulated, fitted):
    X, Y, roles = simulated
    with pytest.raises(NotFittedError):
        FluxAMNRegressor(textbook_net, **roles).predict(X)
    with pytest.raises(ParameterError):
        FluxAMNRegressor(textbook_net, prior="lasso", **roles).fit(X, Y)
    with pytest.raises(ParameterError):
        FluxAMNRegressor(textbook_net, max_correction=-1.0, **roles).fit(X, Y)
    with pytest.raises(UnknownReactionError):
        FluxAMNRegressor(textbook_net, **{**roles, "knockouts": {"KO_pgi": ("gene", "b9999")}}).fit(X, Y)
    with pytest.raises(DatasetMismatchError, match="KO_pgi: values must be 0 or 1"):  # not rounded to a knockout
        fitted.predict(X.assign(KO_pgi=0.7))


def test_stacked_readout_trusts_the_projection_on_data_of_the_network(fitted):
    # the pFBA targets are steady states: out of fold, projecting moves most of the prior's estimates toward them
    assert fitted.readout == "stacked"
    assert np.median(fitted.readout_weight_) > 0.9
    assert ((fitted.readout_weight_ >= 0) & (fitted.readout_weight_ <= 1)).all()


def test_save_and_load_give_the_same_predictions(tmp_path, textbook_net, simulated, fitted):
    X, Y, roles = simulated
    fitted.save(tmp_path / "flux")
    loaded = FluxAMNRegressor.load(tmp_path / "flux")
    assert np.array_equal(loaded.predict(X), fitted.predict(X))
    assert loaded.targets_ == fitted.targets_ and loaded.knockouts == fitted.knockouts
    def given(estimator):
        return {k: list(v) if isinstance(v, tuple) else v for k, v in estimator.get_params().items() if k != "network"}

    assert given(loaded) == given(fitted)
    ridge = FluxAMNRegressor(textbook_net, prior="ridge", **roles).fit(X, Y)
    ridge.save(tmp_path / "ridge")
    assert np.allclose(FluxAMNRegressor.load(tmp_path / "ridge", textbook_net).predict(X), ridge.predict(X), atol=1e-12)


def test_load_refuses_another_kind_of_model(tmp_path, fitted):
    import json

    from amn.errors import ModelLoadError

    fitted.save(tmp_path / "m")
    description = json.loads((tmp_path / "m" / "model.json").read_text())
    (tmp_path / "m" / "model.json").write_text(json.dumps({**description, "kind": "amn"}))
    with pytest.raises(ModelLoadError, match="saved by AMNRegressor, not by FluxAMNRegressor; load it with AMNRegressor.load or `amn predict`"):
        FluxAMNRegressor.load(tmp_path / "m")
    with pytest.raises(ModelLoadError, match="missing model.json"):
        FluxAMNRegressor.load(tmp_path / "nothing")


def test_ridge_prior_chooses_an_alpha_per_target_as_scikit_learn(textbook_net, simulated):
    from sklearn.linear_model import RidgeCV
    from sklearn.preprocessing import StandardScaler

    X, Y, roles = simulated
    model = FluxAMNRegressor(textbook_net, prior="ridge", **roles).fit(X.iloc[:24], Y.iloc[:24])
    Z = StandardScaler().fit_transform(X.iloc[:24][model.features_])
    reference = RidgeCV(alphas=list(model.alphas), alpha_per_target=True).fit(Z, Y.iloc[:24])
    assert np.array_equal(model.ridge_.alpha_, reference.alpha_) and len(model.ridge_.alpha_) == Y.shape[1]
    assert np.all(model.prior_error_ > 0)


def test_max_correction_keeps_the_prior_where_the_projection_moves_a_target_too_far(textbook_net, simulated):
    X, Y, roles = simulated
    train, test = (X.iloc[:24], Y.iloc[:24]), X.iloc[24:]
    closed = FluxAMNRegressor(textbook_net, prior="ridge", max_correction=0.0, **roles).fit(*train)
    prior = closed.ridge_.predict(closed._features(test))
    assert np.allclose(closed.predict(test), prior, atol=1e-12)  # no change allowed: the prior's estimate
    free = FluxAMNRegressor(textbook_net, prior="ridge", max_correction=None, **roles).fit(*train)
    net = torch.as_tensor(free.predict_net_fluxes(test).to_numpy())
    projected = ((net @ free._target_map_t.T) * free._scale_t).numpy()
    moved = np.abs(projected - prior) / free.prior_error_  # the projection's change, in standard errors
    bound = float(np.median(moved))  # a bound with targets on both sides
    gated = FluxAMNRegressor(textbook_net, prior="ridge", max_correction=bound, **roles).fit(*train)
    out, w = gated.predict(test), gated.readout_weight_
    assert (moved > bound).any() and (moved <= bound).any()
    assert np.allclose(out[moved > bound], prior[moved > bound], atol=1e-12)  # the prior's, not the projection's
    blend = w * projected + (1 - w) * prior
    assert np.allclose(out[moved <= bound], blend[moved <= bound], atol=1e-12)
    assert not np.allclose(blend[moved > bound], prior[moved > bound])  # the test changed something
