"""Baselines: statistical ones on small synthetic data, FBA ones with known answers on the E. coli core
model, and FBA with a fixed bound on iML1515 against COBRApy."""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression
from threadpoolctl import threadpool_limits

from amn.baselines.fba import FBACompositionBounds, FBAFittedBounds, FBAFixedBound
from amn.baselines.registry import fba_methods, run_methods, statistical_methods
from amn.baselines.statistical import ANNDense, ARDGaussianProcess, OLSRegressor
from amn.data import locate
from amn.dataset.table import validate_table
from amn.errors import DataError
from amn.evaluation.validation import cross_validate
from amn.media.spec import MediumSpec, read_medium
from amn.solve.composition import UptakeModel

CARBON = ["EX_glc__D_e_i", "EX_fru_e_i", "EX_succ_e_i", "EX_pyr_e_i"]
BASE = ["EX_nh4_e_i", "EX_pi_e_i", "EX_h2o_e_i", "EX_h_e_i", "EX_o2_e_i", "EX_co2_e_i"]


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    with threadpool_limits(1):
        yield


def synthetic(n: int = 60, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame((rng.random((n, 5)) < 0.5).astype(float), columns=[f"c{i}" for i in range(5)])
    X["base"] = 1.0
    y = X.to_numpy()[:, :5] @ np.array([0.3, -0.2, 0.1, 0.0, 0.25]) + rng.normal(scale=0.05, size=n)
    return X, y


def test_statistical_baselines_learn_a_linear_signal():
    X, y = synthetic()
    table = validate_table(X.assign(y=y), target="y")
    methods = [m for m in statistical_methods() if m.name != "random forest"]  # forest: below
    results = run_methods(methods, table, seeds=(0,), n_splits=5)
    q2 = {r.name: r.mean() for r in results}
    assert q2["ridge"] > 0.85 and q2["OLS (statsmodels)"] > 0.85 and q2["Gaussian process (ARD)"] > 0.85
    assert q2["XGBoost"] > 0.5 and q2["ANN-Dense"] > 0.7


def test_classification_baselines_run():
    X, y = synthetic(80)
    table = validate_table(X.assign(grows=(y > np.median(y)).astype(int)), target="grows")
    results = run_methods(statistical_methods("classification")[:2], table, seeds=(0,), n_splits=5)
    assert all(r.task == "classification" and r.mean() > 0.8 for r in results)


def test_ols_matches_least_squares_and_ignores_constant_columns():
    X, y = synthetic()
    ols = OLSRegressor().fit(X, y)
    reference = LinearRegression().fit(X.iloc[:, :5], y)
    np.testing.assert_allclose(ols.predict(X), reference.predict(X.iloc[:, :5]), atol=1e-10)
    assert ols.results_.params.shape == (6,) and ols.support_.tolist() == [0, 1, 2, 3, 4]


def test_gp_length_scales_per_compound():
    X, y = synthetic(80)
    gp = ARDGaussianProcess(n_restarts_optimizer=0, random_state=0).fit(X, y)
    scales = gp.gp_.kernel_.k1.k2.length_scale
    assert len(scales) == 5 and scales[3] > 5 * scales[0]  # compound 3 has no effect


def test_ann_dense_picks_its_penalty_on_training_data_only():
    X, y = synthetic()
    model = ANNDense(alphas=(0.1, 10.0), random_state=0).fit(X, y)
    assert model.alpha_ in (0.1, 10.0)
    again = ANNDense(alphas=(0.1, 10.0), random_state=0).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), again.predict(X))


# --- FBA baselines on the E. coli core model: known answers -----------------------------------


@pytest.fixture(scope="module")
def core(textbook_net):
    medium = MediumSpec(
        tuple(BASE + CARBON), np.r_[np.ones(6), np.full(4, 100.0)], np.full(10, 1000.0), 0.0, source="core medium"
    )
    media = pd.DataFrame(list(product([0.0, 1.0], repeat=4))[1:], columns=CARBON)
    return UptakeModel(textbook_net, CARBON, medium), media


def test_uptake_model_growth_and_gradient(core, textbook_net):
    model, media = core
    assert model.variable_ids == CARBON and model.extra_ids == BASE
    bounds = model.medium_bounds(media, np.array([3.0, 6.0, 2.0, 4.0]))
    growth, grad = model.growth(bounds, gradient=True)
    reference = textbook_net.model.copy()
    for i in (0, 7, 14):
        with reference:
            for r in textbook_net.uptake_ids:
                reference.reactions.get_by_id(r).upper_bound = 0.0
            for r, value in zip(model.medium_ids, bounds[i]):
                reference.reactions.get_by_id(r).upper_bound = value
            assert growth[i] == pytest.approx(reference.slim_optimize(), abs=1e-7)
    step = np.zeros_like(bounds)
    step[:, : len(CARBON)] = 1e-4 * bounds[:, : len(CARBON)] / np.maximum(bounds[:, : len(CARBON)], 1e-12)
    finite = (model.growth(bounds + step)[0] - growth) / 1e-4
    np.testing.assert_allclose((grad * (step > 0)).sum(axis=1), finite, atol=1e-5)
    assert (growth[media.sum(axis=1).to_numpy() > 0] > 0).all()


def test_fixed_bound_finds_the_generating_bound(core):
    model, media = core
    y = model.growth(model.medium_bounds(media, np.full(4, 5.0)))[0]
    fitted = FBAFixedBound(model, grid=(1.0, 2.0, 5.0, 10.0)).fit(media, y)
    assert fitted.bound_ == 5.0 and (fitted.coef_, fitted.intercept_) == (1.0, 0.0)
    np.testing.assert_allclose(fitted.predict(media), y, atol=1e-9)
    calibrated = FBAFixedBound(model, grid=(2.0, 5.0), calibrate=True).fit(media, 2 * y + 0.1)
    assert calibrated.bound_ == 5.0
    assert (calibrated.coef_, calibrated.intercept_) == pytest.approx((2.0, 0.1))


def test_fitted_bounds_recover_per_compound_bounds(core):
    model, media = core
    truth = np.array([3.0, 6.0, 2.0, 4.0])
    y = model.growth(model.medium_bounds(media, truth))[0]
    fitted = FBAFittedBounds(model, grid=(1.0, 5.0), max_iter=100).fit(media, y)
    np.testing.assert_allclose(fitted.bounds_.to_numpy(), truth, rtol=1e-3)
    assert fitted.score(media, y) > 0.999999
    table = fitted.uptake_bounds(media)
    assert list(table.columns) == model.medium_ids and (table.loc[:, CARBON].to_numpy() <= truth * 1.001).all()


def test_composition_bounds_learn_interactions_that_fba_reproduces(core, textbook_net):
    """Glucose is taken up less when fructose is present: per-compound bounds cannot fit that,
    composition-dependent bounds can, and plain COBRApy with the learned bounds gives the same growth."""
    from amn.solve.cobra_bounds import check_bounds

    model, media = core
    truth = np.tile([6.0, 4.0, 2.0, 3.0], (len(media), 1))
    truth[media["EX_fru_e_i"].to_numpy() == 1, 0] = 2.0
    bounds = np.hstack([media.to_numpy() * truth, np.broadcast_to(model._extra, (len(media), len(model.extra_ids)))])
    y = model.growth(bounds)[0]
    per_compound = FBAFittedBounds(model, max_bound=10.0, grid=(1.0, 5.0), max_iter=100).fit(media, y)
    fitted = FBACompositionBounds(model, max_bound=10.0, alpha=0.0, grid=(1.0, 5.0), max_iter=300).fit(media, y)
    assert per_compound.score(media, y) < 0.99 < fitted.score(media, y)
    learned = fitted.uptake_bounds(media)
    assert (learned.loc[media["EX_glc__D_e_i"] == 0, "EX_glc__D_e_i"] == 0).all()
    agreement = check_bounds(textbook_net.model, learned, fitted.predict(media))
    assert agreement.max_abs_diff < 1e-6


def test_fba_estimators_clone_and_cross_validate(core):
    model, media = core
    y = model.growth(model.medium_bounds(media, np.array([3.0, 6.0, 2.0, 4.0])))[0]
    result = cross_validate(FBAFixedBound(model, calibrate=True), media, y, seeds=(0,), cv=3)
    assert result.mean() > 0.5


# --- iML1515 against COBRApy ------------------------------------------------------------------


@pytest.mark.slow
def test_fixed_bound_on_iml1515_matches_cobrapy(iml1515):
    original, network = iml1515
    try:
        table = validate_table(pd.read_csv(locate("experimental/ecoli_dh5a_growth/iML1515_EXP.csv")), network=network)
        medium = read_medium(locate("media/iML1515_EXP_guided.csv"))
    except DataError:
        pytest.skip("experimental data not available")
    methods = fba_methods(network, medium)
    estimator = methods[0].build(table)
    media = table.X.iloc[[0, 4, 17, 52, 109]]
    estimator.fit(media, table.y.iloc[[0, 4, 17, 52, 109]])
    ours = estimator.predict(media)
    base = dict(zip(medium.minimal, medium.max_value[medium.level <= 1]))
    reference = []
    for _, row in media.iterrows():  # plain COBRApy on the original model: uptake = negative exchange flux
        with original:
            for r in original.exchanges:
                r.lower_bound = 0.0
            for rid, present in row.items():
                bound = base.get(rid, estimator.bound_)
                original.reactions.get_by_id(rid[:-2]).lower_bound = -bound * present
            reference.append(original.slim_optimize())
    np.testing.assert_allclose(ours, reference, atol=1e-7)
    assert len(set(np.round(reference, 6))) > 2  # the media differ


def test_limiting_base_uptakes_are_those_cobrapy_growth_responds_to(textbook_net):
    """Oxygen held low limits growth, the others (at 1000) do not: the reduced-cost test agrees
    with finite differences of COBRApy's optimum."""
    base_bounds = {"EX_nh4_e_i": 1000.0, "EX_pi_e_i": 1000.0, "EX_h2o_e_i": 1000.0, "EX_h_e_i": 1000.0,
                   "EX_o2_e_i": 3.0, "EX_co2_e_i": 1000.0}
    medium = MediumSpec(tuple(BASE + CARBON), np.r_[np.ones(6), np.full(4, 100.0)],
                        np.r_[[base_bounds[r] for r in BASE], np.full(4, 1000.0)], 0.0, source="core medium")
    media = pd.DataFrame(list(product([0.0, 1.0], repeat=4))[1:], columns=CARBON)
    for r in BASE:
        media[r] = 1.0
    model = UptakeModel(textbook_net, BASE + CARBON, medium)
    limiting = {model.composition_ids[j] for j in model.limiting(media, np.full(4, 10.0))}
    reference = textbook_net.model.copy()
    responds = set()
    for _, row in media.iterrows():
        with reference:
            for r in textbook_net.uptake_ids:
                reference.reactions.get_by_id(r).upper_bound = 0.0
            for r in BASE:
                reference.reactions.get_by_id(r).upper_bound = base_bounds[r]
            for r in CARBON:
                reference.reactions.get_by_id(r).upper_bound = 10.0 * row[r]
            growth = reference.slim_optimize()
            for r in BASE:
                with reference:
                    reference.reactions.get_by_id(r).upper_bound = base_bounds[r] + 0.01
                    if reference.slim_optimize() > growth + 1e-7:
                        responds.add(r)
    assert limiting == responds == {"EX_o2_e_i"}
