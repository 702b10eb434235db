"""The published evaluation protocol: known answers on synthetic data, stratification, determinism,
and classification metrics against scikit-learn's."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression, RidgeCV
from sklearn.metrics import accuracy_score, r2_score, roc_auc_score
from threadpoolctl import threadpool_limits

from amn.evaluation.metrics import noise_ceiling
from amn.evaluation.splits import cv_folds, stratification_bins
from amn.evaluation.validation import CVResult, cross_validate


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    with threadpool_limits(1):
        yield


def linear_data(n: int = 400, p: int = 8, sigma: float = 0.5, seed: int = 0):
    """0/1 indicators, ``y = X w + noise``; returns X, y and the Q² of the true model."""
    rng = np.random.default_rng(seed)
    X = (rng.random((n, p)) < 0.5).astype(float)
    w = rng.normal(size=p)
    signal = X @ w
    y = signal + rng.normal(scale=sigma, size=n)
    return X, y, float(w @ w * 0.25 / (w @ w * 0.25 + sigma**2))  # var(Bernoulli(1/2)) = 1/4


def test_ridge_reaches_the_theoretical_q2():
    X, y, theory = linear_data()
    result = cross_validate(RidgeCV(), X, y, seeds=(0, 1, 2))
    # estimating p + 1 coefficients from 360 media costs about (p + 1) / n of the noise share
    assert result.mean() == pytest.approx(theory, abs=0.03)
    assert result.mean() < theory + 0.01
    assert result.sd() < 0.02


def test_scores_are_q2_of_pooled_predictions_and_of_their_mean():
    X, y, _ = linear_data(n=120)
    result = cross_validate(LinearRegression(), X, y, seeds=(3, 4))
    for r in range(2):
        assert result.scores["q2"][r] == pytest.approx(r2_score(y, result.predictions[r]))
    assert result.mean() == pytest.approx(np.mean([r2_score(y, p) for p in result.predictions]))
    assert result.sd() == pytest.approx(np.std([r2_score(y, p) for p in result.predictions], ddof=1))
    assert result.score_of_mean() == pytest.approx(r2_score(y, result.predictions.mean(axis=0)))
    assert not np.isnan(result.predictions).any()


def test_every_fold_is_validated_once_without_its_own_data():
    seen = []

    class Spy:
        """Not a scikit-learn estimator: no get_params, deep-copied by the protocol."""

        def fit(self, X, y):
            self.train = {tuple(row) for row in X}
            return self

        def predict(self, X):
            seen.append(len({tuple(row) for row in X} & self.train))
            return np.zeros(len(X))

    X = np.arange(100, dtype=float).reshape(50, 2)  # unique rows
    cross_validate(Spy(), X, np.linspace(0, 1, 50), seeds=(0,), cv=5)
    assert seen == [0] * 5


def test_stratified_on_quantile_bins():
    rng = np.random.default_rng(1)
    y = rng.lognormal(size=110)
    bins = stratification_bins(y, 10)
    assert np.bincount(bins).tolist() == [11] * 10  # equal-count quantile bins
    assert all(y[bins == b].max() <= y[bins == b + 1].min() for b in range(9))
    folds = cv_folds(y, 10, seed=0)
    assert np.bincount(folds).tolist() == [11] * 10
    for k in range(10):
        per_bin = np.bincount(bins[folds == k], minlength=10)
        assert per_bin.min() >= 1 and per_bin.max() <= 2  # 11 per bin over 10 folds: every bin in every fold


def test_deterministic_by_seed():
    X, y, _ = linear_data(n=80)
    from sklearn.ensemble import RandomForestRegressor

    forest = RandomForestRegressor(n_estimators=20)  # random_state None: the protocol seeds it
    a = cross_validate(forest, X, y, seeds=(0, 1), cv=5)
    b = cross_validate(forest, X, y, seeds=(0, 1), cv=5)
    c = cross_validate(forest, X, y, seeds=(2, 1), cv=5)
    np.testing.assert_array_equal(a.predictions, b.predictions)
    np.testing.assert_array_equal(a.folds, b.folds)
    assert not np.array_equal(a.folds[0], c.folds[0])
    np.testing.assert_array_equal(a.folds[1], c.folds[1])
    assert forest.get_params()["random_state"] is None  # the given estimator is not touched


def test_classification_metrics_match_sklearn():
    rng = np.random.default_rng(2)
    X = (rng.random((90, 5)) < 0.5).astype(float)
    y = (X @ np.array([1.5, -1.0, 0.5, 0.0, 1.0]) + rng.normal(scale=0.7, size=90) > 1.0).astype(float)
    result = cross_validate(LogisticRegression(), X, y, task="classification", seeds=(0, 5))
    for r in range(2):
        proba = np.empty(90)
        labels = np.empty(90)
        for k in range(10):
            train, valid = result.folds[r] != k, result.folds[r] == k
            model = LogisticRegression().fit(X[train], y[train])
            proba[valid] = model.predict_proba(X[valid])[:, 1]
            labels[valid] = model.predict(X[valid])
        np.testing.assert_allclose(result.predictions[r], proba)
        assert result.scores["accuracy"][r] == pytest.approx(accuracy_score(y, labels))
        assert result.scores["roc_auc"][r] == pytest.approx(roc_auc_score(y, proba))
        # folds are stratified on the classes
        for k in range(10):
            assert abs(y[result.folds[r] == k].mean() - y.mean()) < 0.15
    assert result.metric == "roc_auc" and 0.7 < result.mean() <= 1.0
    assert result.score_of_mean("accuracy") == pytest.approx(accuracy_score(y, result.mean_prediction >= 0.5))
    assert set(result.summary()) >= {"accuracy", "accuracy_sd", "roc_auc", "roc_auc_of_mean"}


def test_single_repeat_has_zero_sd_and_frames():
    X, y, _ = linear_data(n=50)
    result = cross_validate(LinearRegression(), X, y, seeds=(7,), cv=5, name="ols")
    assert isinstance(result, CVResult) and result.name == "ols" and result.sd() == 0.0
    frame = result.predictions_frame()
    assert list(frame.columns) == ["measured", "pred_seed7", "fold_seed7", "pred_mean"]


def test_noise_ceiling():
    y = np.array([0.0, 1.0, 2.0, 3.0])
    assert noise_ceiling(y, np.full(4, 0.5)) == pytest.approx(1 - 0.25 / 1.25)


def test_splitter_objects_scorer_hook_and_max_folds():
    from sklearn.model_selection import KFold

    X, y, _ = linear_data(n=60)
    seen = []

    def scorer(model, fold):
        seen.append((fold.seed, fold.index, len(fold.X_val), fold.prediction.shape))
        return {"q2_fold": r2_score(fold.y_val, fold.prediction)}

    result = cross_validate(LinearRegression(), X, y, seeds=(4,), cv=KFold(5, shuffle=True), scorer=scorer,
                            max_folds=2)
    expected = list(KFold(5, shuffle=True, random_state=4).split(X))[:2]
    for k, (_, valid) in enumerate(expected):
        assert (result.folds[0, valid] == k).all()
    assert (result.folds[0] >= 0).sum() == 24 and np.isnan(result.predictions[0][result.folds[0] < 0]).all()
    assert seen == [(4, 0, 12, (12,)), (4, 1, 12, (12,))]
    assert list(result.fold_scores.columns) == ["seed", "fold", "q2_fold"]
    assert result.summary()["q2_fold_mean"] == pytest.approx(result.fold_scores["q2_fold"].mean())
    assert not np.isnan(result.mean())  # scored on the validated samples only


def test_workdir_resumes_finished_folds(tmp_path):
    fits = []

    class Counted(LinearRegression):
        def fit(self, X, y):
            fits.append(len(X))
            return super().fit(X, y)

    X, y, _ = linear_data(n=40)
    first = cross_validate(Counted(), X, y, seeds=(0, 1), cv=4, workdir=tmp_path, X_test=X[:5], y_test=y[:5])
    assert len(fits) == 8 and sorted(p.name for p in tmp_path.iterdir()) == ["seed_0", "seed_1"]
    again = cross_validate(Counted(), X, y, seeds=(0, 1), cv=4, workdir=tmp_path, X_test=X[:5], y_test=y[:5])
    assert len(fits) == 8  # every fold read back
    np.testing.assert_array_equal(again.predictions, first.predictions)
    assert again.test_q2_mean_prediction == pytest.approx(first.test_q2_mean_prediction)


def test_a_checkpoint_folder_is_claimed_by_one_run(tmp_path):
    import pandas as pd

    from amn.errors import ParameterError
    from amn.evaluation.runs import RUN_RECORD, claim_run, frame_digest, path_digest

    X, y, _ = linear_data(n=10)
    frame = pd.DataFrame(X)
    settings = {"table": frame_digest(frame, pd.Series(y)), "seeds": (0, 1), "estimator": LinearRegression()}
    claim_run(tmp_path / "c", settings)
    assert (tmp_path / "c" / RUN_RECORD).exists()
    claim_run(tmp_path / "c", settings)  # the same run: resumes
    changed = frame.copy()
    changed.iloc[0, 0] += 1e-9
    with pytest.raises(ParameterError, match=r"c: left by a run with another seeds, table; rerun that run"):
        claim_run(tmp_path / "c", {**settings, "table": frame_digest(changed, pd.Series(y)), "seeds": (0,)})
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "fold_0.json").write_text("{}")
    with pytest.raises(ParameterError, match=r"d: checkpoints of an unknown run \(no run.json\)"):
        claim_run(tmp_path / "d", settings)
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "model.json").write_text("{}")
    before = path_digest(tmp_path / "m")
    assert path_digest(None) is None
    (tmp_path / "m" / "checkpoints").mkdir()
    (tmp_path / "m" / "checkpoints" / "fold_0.json").write_text("{}")
    assert path_digest(tmp_path / "m") == before  # a saved model's own files, not its checkpoints
    (tmp_path / "m" / "model.json").write_text("{ }")
    assert path_digest(tmp_path / "m") != before


def test_bad_splits_are_parameter_errors():
    from amn.errors import ParameterError

    X, y, _ = linear_data(n=8)
    with pytest.raises(ParameterError, match="8 samples are too few for 10-fold"):
        cross_validate(LinearRegression(), X, y)
    with pytest.raises(ParameterError, match="at least 2 folds"):
        cross_validate(LinearRegression(), X, y, cv=1)
