"""Baselines: statistical ones on small synthetic data, FBA ones with known answers on the E. coli core
model, and FBA with a fixed bound on iML1515 against COBRApy."""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import KFold
from threadpoolctl import threadpool_limits

from amn.baselines.fba import BOUND_GRID, FBACompositionBounds, FBAFittedBounds, FBAFixedBound
from amn.baselines.mechanistic import fba_methods
from amn.baselines.method import run_methods
from amn.baselines.registry import statistical_methods
from amn.baselines.statistical import ANNDense, ARDGaussianProcess, OLSRegressor
from amn.data import locate
from amn.dataset.validation import validate_table
from amn.errors import DataError, DatasetMismatchError
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


def test_models_that_need_inputs_of_order_one_take_columns_at_unlimited_bounds():
    """Salts open at 999999 (iMM904's "unlimited") beside the compounds: unscaled, L-BFGS stops at
    its first step and the dense classifier predicts one class; scaled, every method learns."""
    X, y = synthetic(80)
    X["base"], X["salt"] = 999999.0, np.where(np.arange(80) % 2, 999999.0, 1000.0)  # constant, and varying
    grows = (y > np.median(y)).astype(int)
    classifiers = {m.name: m for m in statistical_methods("classification")}
    for name in ("logistic regression", "ANN-Dense"):
        result = cross_validate(classifiers[name].build(None), X, grows, task="classification", seeds=(0,),
                                cv=KFold(5, shuffle=True))
        assert result.mean("accuracy") > 0.8, name
    dense = ANNDense(random_state=0).fit(X.iloc[:60], y[:60])
    assert dense.scale_.tolist() == [1.0] * 5 + [999999.0, 999999.0]
    assert np.corrcoef(dense.predict(X.iloc[60:]), y[60:])[0, 1] > 0.8


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


# --- bounds and concentration tables, growth / no-growth ----------------------------------------


def _cobra_growth(model, bounds: dict[str, float]) -> float:
    """COBRApy FBA on the unidirectional model, every uptake closed but ``bounds``; infeasible: 0."""
    with model:
        for r in model.reactions:
            if r.id.endswith("_i") and r.id.startswith("EX_"):
                r.upper_bound = bounds.get(r.id, 0.0)
        value = model.slim_optimize(error_value=np.nan)
    return 0.0 if np.isnan(value) else value


def test_best_threshold_is_the_balanced_accuracy_optimum():
    from sklearn.metrics import balanced_accuracy_score

    from amn.baselines.fba import best_threshold

    rng = np.random.default_rng(0)
    score = np.r_[np.zeros(10), rng.uniform(0.05, 1.0, 30)]
    y = (score > 0.3).astype(int)
    y[[0, 15]] = 1 - y[[0, 15]]
    t = best_threshold(score, y)
    brute = max(balanced_accuracy_score(y, score > c) for c in np.r_[-1.0, np.sort(score)])
    assert balanced_accuracy_score(y, score > t) == pytest.approx(brute)
    assert np.sort(score)[np.sort(score) <= 0.3].max() < t < 0.3 + 0.05


def test_fba_classifier_uses_the_table_bounds_and_a_threshold_from_training_rows(textbook_net):
    """A bounds table: FBA growth is COBRApy's with the table's bounds; the threshold depends on the
    training rows only (changing held-out labels changes nothing)."""
    from amn.baselines.fba import FBAGrowthClassifier, best_threshold
    from amn.dataset.simulate import TARGET, simulate_growth_screen

    screen = simulate_growth_screen(textbook_net, bound=(10.0, 1.0, 0.5), composition="bounds", flip=0.0, seed=0)
    X, y = screen.table.drop(columns=TARGET), screen.table[TARGET].to_numpy()
    model = UptakeModel(textbook_net, list(X.columns), screen.medium, composition="bounds")
    reference = np.array([_cobra_growth(textbook_net.model, {c: v for c, v in row.items() if v > 0})
                          for _, row in X.iterrows()])
    train = np.arange(len(y)) % 3 != 0
    classifier = FBAGrowthClassifier(model).fit(X[train], y[train])
    np.testing.assert_allclose(classifier.fba_growth(X), reference, atol=1e-7)
    assert classifier.parameter_ == 1.0  # the table's own bounds
    assert classifier.threshold_ == pytest.approx(max(best_threshold(reference[train], y[train]), 0.0), abs=1e-9)
    flipped = y.copy()
    flipped[~train] = 1 - flipped[~train]
    again = FBAGrowthClassifier(model).fit(X[train], flipped[train])
    assert again.threshold_ == classifier.threshold_
    np.testing.assert_array_equal(classifier.predict(X), (reference > classifier.threshold_).astype(int))
    np.testing.assert_allclose(classifier.decision_function(X), reference - classifier.threshold_)
    assert classifier.score(X, y) == 1.0  # no flips: FBA with the true bounds is right everywhere


def test_fba_classifier_on_presence_uses_a_fixed_bound_or_the_grid(textbook_net):
    from amn.baselines.fba import DEFAULT_BOUND, FBAGrowthClassifier
    from amn.dataset.simulate import TARGET, simulate_growth_screen

    screen = simulate_growth_screen(textbook_net, flip=0.0, seed=0)
    X, y = screen.table.drop(columns=TARGET), screen.table[TARGET]
    model = UptakeModel(textbook_net, list(X.columns), screen.medium)
    fixed = FBAGrowthClassifier(model).fit(X, y)
    bounds = fixed.uptake_bounds(X)
    assert fixed.parameter_ == DEFAULT_BOUND
    assert (bounds[screen.source_ids].to_numpy() == DEFAULT_BOUND * X[screen.source_ids].to_numpy()).all()
    np.testing.assert_allclose(fixed.fba_growth(X), screen.growth, atol=1e-9)  # the screen's bound is 10 too
    gridded = FBAGrowthClassifier(model, grid=(0.5, 10.0)).fit(X, y)
    assert gridded.parameter_ in (0.5, 10.0) and gridded.score(X, y) == 1.0


def test_fitted_scales_on_bounds_and_concentration_tables(core, textbook_net):
    """Bounds: the fitted value is a per-compound scale on the table's bound; concentrations: bound per mM,
    linear or Michaelis-Menten; the base stays at its medium-file bound."""
    _, media = core
    rng = np.random.default_rng(0)
    given = media.to_numpy() * rng.choice([2.0, 4.0, 8.0], size=media.shape)
    table = pd.DataFrame(given, columns=CARBON)
    medium = MediumSpec(tuple(BASE + CARBON), np.r_[np.ones(6), np.full(4, 100.0)], np.r_[np.ones(6) * 1000.0,
                        np.full(4, 100.0)], 0.0, source="core medium")
    bounds_model = UptakeModel(textbook_net, CARBON, medium, composition="bounds")
    scale = np.array([0.5, 1.5, 1.0, 2.0])
    truth_bounds = bounds_model.medium_bounds(table, scale)
    np.testing.assert_allclose(truth_bounds[:, :4], given * scale)
    y = bounds_model.growth(truth_bounds)[0]
    fitted = FBAFittedBounds(bounds_model, max_iter=100).fit(table, y)
    np.testing.assert_allclose(fitted.predict(table), y, atol=1e-4)
    np.testing.assert_allclose(fitted.bounds_.to_numpy(), scale, rtol=2e-2)
    concentration = UptakeModel(textbook_net, CARBON, medium, composition="concentration", half_saturation=2.0)
    mm = concentration.medium_bounds(table, np.full(4, 10.0))
    np.testing.assert_allclose(mm[:, :4], 10.0 * given / (2.0 + given))
    assert concentration.parameter_grid == BOUND_GRID
    with pytest.raises(DatasetMismatchError, match=">= 0"):
        bounds_model.values(-table)


def test_fba_classifier_cross_validates_on_a_screen(textbook_net):
    from amn.baselines.fba import FBAGrowthClassifier
    from amn.dataset.simulate import TARGET, simulate_growth_screen

    screen = simulate_growth_screen(textbook_net, flip=0.0, seed=0)
    X, y = screen.table.drop(columns=TARGET), screen.table[TARGET]
    model = UptakeModel(textbook_net, list(X.columns), screen.medium)
    by_source = KFold(3, shuffle=True)  # one medium per source: every held-out source is unseen
    result = cross_validate(FBAGrowthClassifier(model), X, y, task="classification", seeds=(0,), cv=by_source)
    assert result.task == "classification" and result.mean() == 1.0  # ROC AUC of FBA growth
    assert result.mean("accuracy") == 1.0 and result.mean("majority_rate") == pytest.approx(13 / 15)


def test_fba_classifier_on_concentrations_with_given_scales_matches_cobrapy(textbook_net):
    """bound = scale_c x concentration, scales given per compound (the others at 1 per mM)."""
    from amn.baselines.fba import FBAGrowthClassifier

    rng = np.random.default_rng(2)
    conc = pd.DataFrame(rng.choice([0.0, 0.5, 2.0, 20.0], size=(12, 4)), columns=CARBON)
    y = (conc.sum(axis=1) > 3).astype(int).to_numpy()
    medium = MediumSpec(tuple(BASE), np.ones(6), np.full(6, 1000.0), 0.0, source="salts")
    model = UptakeModel(textbook_net, CARBON, medium, composition="concentration")
    scales = {"EX_glc__D_e_i": 0.5, "EX_succ_e_i": 0.1}
    classifier = FBAGrowthClassifier(model, parameter=scales).fit(conc, y)
    factor = np.array([scales.get(c, 1.0) for c in CARBON])
    reference = [_cobra_growth(textbook_net.model, {**dict.fromkeys(BASE, 1000.0), **dict(zip(CARBON, row * factor))})
                 for row in conc.to_numpy()]
    np.testing.assert_allclose(classifier.fba_growth(conc), reference, atol=1e-7)
    assert classifier.threshold_ >= 0.0


#: Knockout columns of the tests below: genes by id (pgi, zwf, eno) and one reaction (PFK).
KNOCKOUTS = ["b4025", "b1852", "b2779", "PFK"]


def _original_growth(bounds: dict[str, float], knocked_out: list[str]) -> float:
    """COBRApy's own FBA on the original (reversible) textbook model: exchange ``EX_x`` takes up at most
    ``bounds['EX_x_i']``, genes and reactions knocked out by COBRApy's ``knock_out``; infeasible: 0."""
    from cobra.io import load_model

    model = load_model("textbook")
    for reaction in model.exchanges:
        reaction.lower_bound = -bounds.get(f"{reaction.id}_i", 0.0)
    for name in knocked_out:
        (model.genes if name in model.genes else model.reactions).get_by_id(name).knock_out()
    value = model.slim_optimize(error_value=np.nan)
    return 0.0 if np.isnan(value) else value


def test_knockout_columns_close_in_their_rows_what_cobrapy_knock_out_removes(textbook_net):
    rng = np.random.default_rng(3)
    medium = MediumSpec(tuple(BASE), np.ones(6), np.full(6, 1000.0), 0.0, source="salts")
    media = pd.DataFrame((rng.random((24, 4)) < 0.5).astype(float), columns=CARBON)
    knocked = pd.DataFrame((rng.random((24, 4)) < 0.3).astype(float), columns=KNOCKOUTS)
    knocked.iloc[:4] = 0.0  # wild type rows among the knockouts: the LP is restored after each knocked-out row
    X = pd.concat([media, knocked], axis=1)
    model = UptakeModel(textbook_net, CARBON, medium, knockout_ids=KNOCKOUTS)
    theta = np.array([5.0, 4.0, 8.0, 6.0])
    bounds = model.medium_bounds(X, theta)
    growth = model.growth(bounds, knocked_out=model.knocked_out(X))[0]
    expected = [_original_growth(dict(zip(model.medium_ids, row)), [k for k in KNOCKOUTS if ko[k]])
                for row, (_, ko) in zip(bounds, knocked.iterrows())]
    np.testing.assert_allclose(growth, expected, atol=1e-7)
    wild = model.growth(bounds)[0]  # the same media without their knockouts (not served from the memo)
    assert (np.abs(wild - growth) > 1e-3).sum() >= 5 and np.allclose(wild[:4], growth[:4])
    # an array holds the compositions, then the knockouts
    np.testing.assert_allclose(model.growth(model.medium_bounds(X.to_numpy(), theta),
                                            knocked_out=model.knocked_out(X.to_numpy()))[0], growth)
    with pytest.raises(DatasetMismatchError, match="values must be 0 or 1"):
        model.knocked_out(X.assign(PFK=2.0))
    with pytest.raises(DatasetMismatchError, match="lacks knockout column"):
        model.knocked_out(media)


def test_fba_baselines_fit_and_predict_with_each_row_s_knockouts(textbook_net):
    """A knockout screen (one carbon source x one knockout a row) labelled by COBRApy: FBA that applies
    the knockouts classifies every held-out row, FBA blind to them cannot."""
    from amn.baselines.fba import FBAGrowthClassifier

    medium = MediumSpec(tuple(BASE), np.ones(6), np.full(6, 1000.0), 0.0, source="salts")
    rows = []
    for source, knockout in product(CARBON, [None, *KNOCKOUTS]):
        row = {**dict.fromkeys(CARBON, 0.0), source: 1.0, **dict.fromkeys(KNOCKOUTS, 0.0)}
        if knockout:
            row[knockout] = 1.0
        bounds = {**dict.fromkeys(BASE, 1000.0), source: 10.0}
        row["grows"] = int(_original_growth(bounds, [knockout] if knockout else []) > 1e-6)
        rows.append(row)
    table = pd.DataFrame(rows)
    X, y = table.drop(columns="grows"), table["grows"].to_numpy()
    assert 0 < y.sum() < len(y)
    folds = KFold(4, shuffle=True)
    aware = cross_validate(FBAGrowthClassifier(UptakeModel(textbook_net, CARBON, medium, knockout_ids=KNOCKOUTS)),
                           X, y, task="classification", seeds=(0,), cv=folds)
    blind = cross_validate(FBAGrowthClassifier(UptakeModel(textbook_net, CARBON, medium)), X[CARBON], y,
                           task="classification", seeds=(0,), cv=folds)
    assert aware.mean("accuracy") == 1.0 and blind.mean("accuracy") < 0.9
    regression = FBAFittedBounds(UptakeModel(textbook_net, CARBON, medium, knockout_ids=KNOCKOUTS)).fit(X, y * 0.5)
    assert regression.predict(X)[y == 0].max() < 1e-6  # the lethal knockouts stay lethal after the fit
