"""The one cross-validation loop, for every estimator and every use.

For each seed (a repeat), the splitter (scikit-learn's API) is seeded and
split; every fold fits a fresh clone of the estimator on its training rows
and predicts its validation rows (and an optional independent test set).
Each repeat pools its validation predictions over the folds and scores them
once (Q² = 1 - SS_res / SS_tot for regression; accuracy and ROC AUC for
classification); :class:`CVResult` reports the mean ± SD of those scores over
repeats and the score of the prediction averaged over repeats.  A scorer
(:mod:`amn.evaluation.scorers`) adds metrics per fold.

Two uses: the published protocol for experimental tables (the defaults: 10
folds stratified on the binned target, seeds 0, 1, 2), and the flux
cross-validation of AMNs (``cv=KFold(5, shuffle=True)``, one seed,
:class:`~amn.evaluation.scorers.AMNFoldScorer`, resumable with ``workdir``).

Any object with ``fit(X, y)`` / ``predict(X)`` works; it is cloned for every
fold, so a fitted model never sees its validation fold.
"""

from __future__ import annotations

import inspect
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone

from amn.dataset.table import Task
from amn.errors import ParameterError
from amn.evaluation.metrics import METRICS, r2, scores
from amn.evaluation.scorers import Fold, FoldScorer
from amn.evaluation.splits import N_SPLITS, SEEDS, check_cv, seeded

_INDEX = ("seed", "fold")


@dataclass
class CVResult:
    """Pooled validation predictions of every repeat, their scores, and the per-fold metrics.

    Attributes
    ----------
    name : str
        The method's name (a row of the method table).
    task : {"regression", "classification"}
    y : numpy.ndarray, shape (n_samples,) or (n_samples, n_outputs)
        The values the predictions are scored against (NaN where no fold validated).
    predictions : numpy.ndarray, shape (n_repeats, n_samples[, n_outputs])
        Out-of-fold predictions of every repeat (regression: the value;
        classification: the score of class 1); NaN where no fold validated
        (``max_folds``).
    folds : numpy.ndarray of int, shape (n_repeats, n_samples)
        Validation fold of each sample per repeat (-1: not validated).
    seeds : tuple of int
        Seed of every repeat.
    labels : numpy.ndarray, optional
        Predicted classes per repeat (classification only).
    seconds : float
        Wall time of the cross-validation.
    fold_scores : pandas.DataFrame, optional
        One row per fitted fold: ``seed``, ``fold`` and the scorer's metrics.
    test_predictions : numpy.ndarray, optional
        Every fold model's prediction of the test set, shape (n_fitted_folds, n_test[, n_outputs]).
    y_test : numpy.ndarray, optional
        The values the test predictions are scored against.
    scores : dict of str to numpy.ndarray
        Pooled score of every repeat, per metric (computed).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> X = np.arange(40.0).reshape(20, 2); y = X @ [1.0, 2.0]
    >>> result = cross_validate(LinearRegression(), X, y, seeds=(0,), cv=5)
    >>> round(result.mean(), 6), result.summary()["method"]
    (1.0, 'LinearRegression')
    """

    name: str
    task: Task
    y: np.ndarray
    predictions: np.ndarray
    folds: np.ndarray
    seeds: tuple[int, ...]
    labels: np.ndarray | None = None
    seconds: float = 0.0
    fold_scores: pd.DataFrame | None = None
    test_predictions: np.ndarray | None = None
    y_test: np.ndarray | None = None
    scores: dict[str, np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        per_repeat = []
        for r, prediction in enumerate(self.predictions):
            valid = self.folds[r] >= 0
            labels = None if self.labels is None else self.labels[r][valid]
            per_repeat.append(scores(self.y[valid], prediction[valid], self.task, labels))
        self.scores = {m: np.array([s[m] for s in per_repeat]) for m in METRICS[self.task]}

    @property
    def metric(self) -> str:
        """The headline metric: q2 (regression) or roc_auc (classification)."""
        return "q2" if self.task == "regression" else "roc_auc"

    @property
    def mean_prediction(self) -> np.ndarray:
        """The prediction averaged over repeats (the out-of-fold prediction for one repeat)."""
        return self.predictions.mean(axis=0)

    @property
    def test_q2_mean_prediction(self) -> float | None:
        """Q² of the test prediction averaged over every fold model (None without a test set)."""
        if self.test_predictions is None or self.y_test is None or self.task != "regression":
            return None
        return r2(self.y_test, self.test_predictions.mean(axis=0))

    def mean(self, metric: str | None = None) -> float:
        """Mean over repeats of the pooled score ``metric`` (default: :attr:`metric`)."""
        return float(self.scores[metric or self.metric].mean())

    def sd(self, metric: str | None = None) -> float:
        """Sample SD over repeats of the pooled score (0 for a single repeat)."""
        values = self.scores[metric or self.metric]
        return float(values.std(ddof=1)) if len(values) > 1 else 0.0

    def score_of_mean(self, metric: str | None = None) -> float:
        """Score of the prediction averaged over repeats (on the samples every repeat validated)."""
        valid = (self.folds >= 0).all(axis=0)
        return scores(self.y[valid], self.mean_prediction[valid], self.task)[metric or self.metric]

    def summary(self) -> dict[str, float | str | int]:
        """One row of the method table, and the aggregates of the per-fold metrics.

        Returns
        -------
        dict
            ``method``, ``repeats``; per metric its mean, ``<metric>_sd`` and
            ``<metric>_of_mean``; ``seconds``; for every column of
            :attr:`fold_scores` ``<column>_mean`` and ``<column>_std`` (SD over
            folds, ddof 0); ``test_q2_mean_prediction`` with a test set.
        """
        row: dict[str, float | str | int] = {"method": self.name, "repeats": len(self.seeds)}
        for m in METRICS[self.task]:
            row[m] = self.mean(m)
            row[f"{m}_sd"] = self.sd(m)
            row[f"{m}_of_mean"] = self.score_of_mean(m)
        row["seconds"] = self.seconds
        if self.fold_scores is not None:
            for column in self.fold_scores.columns:
                if column not in _INDEX:
                    row[f"{column}_mean"] = float(self.fold_scores[column].mean())
                    row[f"{column}_std"] = float(self.fold_scores[column].std(ddof=0))
        if self.test_q2_mean_prediction is not None:
            row["test_q2_mean_prediction"] = self.test_q2_mean_prediction
        return row

    def predictions_frame(self, index: Sequence | None = None) -> pd.DataFrame:
        """Samples x (measured, prediction per seed, fold per seed, mean prediction).

        Parameters
        ----------
        index : sequence, optional
            Row labels (e.g. the table's medium ids).

        Returns
        -------
        pandas.DataFrame
            Columns ``measured``, ``pred_seed<s>``, ``fold_seed<s>``, ``pred_mean``
            (with several outputs, ``_<j>`` is appended to the value columns).
        """
        frame = pd.DataFrame(_columns("measured", self.y), index=index)
        for seed, p, f in zip(self.seeds, self.predictions, self.folds):
            frame = frame.assign(**_columns(f"pred_seed{seed}", p), **{f"fold_seed{seed}": f})
        return frame.assign(**_columns("pred_mean", self.mean_prediction))


def _columns(name: str, values: np.ndarray) -> dict[str, np.ndarray]:
    """One column of ``values``, or one per output (``<name>_<j>``)."""
    return {name: values} if values.ndim == 1 else {f"{name}_{j}": values[:, j] for j in range(values.shape[1])}


def _rows(X, index: np.ndarray):
    return X.iloc[index] if isinstance(X, (pd.DataFrame, pd.Series)) else np.asarray(X)[index]


def _fresh(estimator, seed: int):
    """An unfitted copy; a ``random_state`` left at None is set to the repeat's seed (determinism)."""
    model = clone(estimator, safe=False)  # estimators without get_params are deep-copied
    if hasattr(model, "get_params") and model.get_params(deep=False).get("random_state", 0) is None:
        model.set_params(random_state=seed)
    return model


def _fit(model, X, y, checkpoint_dir: Path | None) -> None:
    """``model.fit``, with ``checkpoint_dir`` for estimators whose ``fit`` takes it (resumable training)."""
    if checkpoint_dir is not None and "checkpoint_dir" in inspect.signature(model.fit).parameters:
        model.fit(X, y, checkpoint_dir=checkpoint_dir)
    else:
        model.fit(X, y)


def _predict(model, X, task: Task) -> tuple[np.ndarray, np.ndarray | None]:
    if task == "regression":
        prediction = np.asarray(model.predict(X), dtype=float)
        return (prediction[:, 0] if prediction.ndim == 2 and prediction.shape[1] == 1 else prediction), None
    labels = np.asarray(model.predict(X)).astype(int).ravel()
    if hasattr(model, "predict_proba"):
        return np.asarray(model.predict_proba(X))[:, 1], labels
    if hasattr(model, "decision_function"):
        return np.asarray(model.decision_function(X), dtype=float).ravel(), labels
    return labels.astype(float), labels


def _target(scorer, model, y, shape: tuple[int, ...]) -> np.ndarray:
    values = scorer.target(model, y) if hasattr(scorer, "target") else y
    return np.asarray(values, dtype=float).reshape(shape)


def _array(values) -> np.ndarray | None:
    return None if values is None else np.asarray(values, dtype=float)


def _load(path: Path | None, valid: np.ndarray, needs_test: bool) -> dict | None:
    """The record of a finished fold, unless missing, unreadable or for another split."""
    if path is None or not path.exists():
        return None
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("valid") != valid.tolist() or "prediction" not in record:
        return None
    if needs_test and record.get("test_prediction") is None:
        return None
    return record


def _run_fold(estimator, X, y, train, valid, seed, k, task, scorer, X_test, y_test, checkpoint_dir) -> dict:
    """Fit one fold and record its predictions, targets and scores (JSON-ready)."""
    model = _fresh(estimator, seed)
    X_train, y_train, X_val, y_val = _rows(X, train), _rows(y, train), _rows(X, valid), _rows(y, valid)
    _fit(model, X_train, y_train, checkpoint_dir)
    prediction, labels = _predict(model, X_val, task)
    record = {"valid": valid.tolist(), "prediction": prediction.tolist(),
              "target": _target(scorer, model, y_val, prediction.shape).tolist(),
              "labels": None if labels is None else labels.tolist(), "test_prediction": None, "test_target": None}
    test_prediction = None
    if X_test is not None:
        test_prediction, _ = _predict(model, X_test, task)
        record["test_prediction"] = test_prediction.tolist()
        if y_test is not None:
            record["test_target"] = _target(scorer, model, y_test, test_prediction.shape).tolist()
    fold = Fold(seed, k, X_train, y_train, X_val, y_val, prediction, X_test, y_test, test_prediction)
    record["scores"] = {} if scorer is None else {name: float(v) for name, v in scorer(model, fold).items()}
    return record


def cross_validate(
    estimator,
    X,
    y,
    task: Task = "regression",
    seeds: Sequence[int] = SEEDS,
    cv=N_SPLITS,
    *,
    name: str | None = None,
    scorer: FoldScorer | Callable[[object, Fold], Mapping[str, float]] | None = None,
    X_test=None,
    y_test=None,
    workdir: str | Path | None = None,
    max_folds: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CVResult:
    """Cross-validate ``estimator``: every seed a repeat, every fold a fresh clone.

    Parameters
    ----------
    estimator
        Any object with ``fit(X, y)`` and ``predict(X)`` (``predict_proba`` or
        ``decision_function`` for ROC AUC); a ``random_state`` left at None is set
        to the repeat's seed.
    X : array-like or DataFrame, shape (n_samples, n_features)
    y : array-like, shape (n_samples,), or DataFrame
        Target; a DataFrame (e.g. every flux of a flux dataset) is passed to
        ``fit`` as is, and the scorer's ``target`` says which of its values
        ``predict`` estimates.
    task : {"regression", "classification"}, default "regression"
    seeds : sequence of int, default (0, 1, 2)
        One repeat per seed (the seed of the splitter's shuffle and of the estimator).
    cv : int or splitter, default 10
        Folds: a number gives the protocol's splitter (:func:`~amn.evaluation.splits.check_cv`:
        stratified on quantile bins of ``y``, or on its classes); or a splitter object
        such as ``KFold(5, shuffle=True)``.
    name : str, optional
        The method's name [default: the estimator's class name].
    scorer : FoldScorer or callable, optional
        Metrics per fold, ``scorer(model, fold) -> dict`` (see :mod:`amn.evaluation.scorers`).
    X_test, y_test : optional
        An independent test set, predicted by every fold's model.
    workdir : path, optional
        Records every finished fold there (``fold_<k>.json``; with several seeds under
        ``seed_<s>/``) and passes ``checkpoint_dir=<workdir>/fold_<k>`` to ``fit``
        when ``fit`` takes it, so an interrupted cross-validation resumes.
    max_folds : int, optional
        Fit only the first folds of every repeat (quick runs); the others are not
        validated (NaN predictions, fold -1).
    progress : callable, optional
        ``progress(done, total)`` after every fold.

    Returns
    -------
    CVResult

    Raises
    ------
    ParameterError
        If ``cv`` is not a number of folds >= 2 nor a splitter, there are fewer samples
        than folds, ``seeds`` is empty or ``max_folds`` is below 1.

    Examples
    --------
    The protocol for experimental tables:

    >>> from sklearn.linear_model import RidgeCV
    >>> result = cross_validate(RidgeCV(), table.X, table.y, seeds=(0, 1, 2))  # doctest: +SKIP
    >>> result.mean(), result.sd(), result.score_of_mean()  # doctest: +SKIP

    An AMN on a flux dataset, with the AMN papers' per-fold scores:

    >>> from sklearn.model_selection import KFold
    >>> from amn.evaluation.scorers import AMNFoldScorer
    >>> result = cross_validate(AMNRegressor(arch="amn-qp"), data.X, data.Y, cv=KFold(5, shuffle=True),
    ...                         seeds=(0,), scorer=AMNFoldScorer())  # doctest: +SKIP
    >>> result.fold_scores["q2_val_measured"]  # doctest: +SKIP
    """
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ParameterError("cross-validation needs at least one seed")
    if max_folds is not None and max_folds < 1:
        raise ParameterError(f"max_folds must be at least 1, got {max_folds}")
    splitter = check_cv(cv, task)
    if not isinstance(y, pd.DataFrame):
        y = np.asarray(y, dtype=float)
    n, n_splits = len(y), splitter.get_n_splits()
    if n < n_splits:
        raise ParameterError(f"{n} samples are too few for {n_splits}-fold cross-validation")
    total = len(seeds) * min(n_splits, max_folds or n_splits)
    workdir = None if workdir is None else Path(workdir)
    predictions = target = labels = None
    folds = np.full((len(seeds), n), -1, dtype=int)
    rows, test_predictions, test_target, done = [], [], None, 0
    start = time.perf_counter()
    for r, seed in enumerate(seeds):
        base = None if workdir is None else workdir if len(seeds) == 1 else workdir / f"seed_{seed}"
        for k, (train, valid) in enumerate(seeded(splitter, seed).split(X, y)):
            if max_folds is not None and k >= max_folds:
                break
            record = _load(None if base is None else base / f"fold_{k}.json", valid, X_test is not None)
            if record is None:
                record = _run_fold(estimator, X, y, train, valid, seed, k, task, scorer, X_test, y_test,
                                   None if base is None else base / f"fold_{k}")
                if base is not None:
                    base.mkdir(parents=True, exist_ok=True)
                    (base / f"fold_{k}.json").write_text(json.dumps(record))
            prediction = np.asarray(record["prediction"], dtype=float)
            if predictions is None:
                predictions = np.full((len(seeds), n, *prediction.shape[1:]), np.nan)
                target = np.full((n, *prediction.shape[1:]), np.nan)
                labels = np.zeros((len(seeds), n), dtype=int) if task == "classification" else None
            predictions[r, valid], target[valid], folds[r, valid] = prediction, record["target"], k
            if labels is not None:
                labels[r, valid] = record["labels"]
            if record["test_prediction"] is not None:
                test_predictions.append(np.asarray(record["test_prediction"], dtype=float))
                test_target = _array(record["test_target"])
            rows.append({"seed": seed, "fold": k, **record["scores"]})
            done += 1
            if progress is not None:
                progress(done, total)
    return CVResult(
        name=name or type(estimator).__name__,
        task=task,
        y=target,
        predictions=predictions,
        folds=folds,
        seeds=seeds,
        labels=labels,
        seconds=time.perf_counter() - start,
        fold_scores=pd.DataFrame(rows),
        test_predictions=np.stack(test_predictions) if test_predictions else None,
        y_test=test_target,
    )
