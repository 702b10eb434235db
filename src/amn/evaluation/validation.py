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

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from amn.dataset.table import Task
from amn.errors import ParameterError
from amn.evaluation.executors import Executor, InProcess
from amn.evaluation.folds import array, load_record, run_fold
from amn.evaluation.metrics import metric_names, r2, scores
from amn.evaluation.scorers import Fold, FoldScorer
from amn.evaluation.splits import N_SPLITS, SEEDS, check_cv, seeded

_INDEX = ("seed", "fold")


class _Job(NamedTuple):
    """One fold to run: its repeat (seed position), fold number, validation rows, record file, run_fold args."""

    repeat: int
    fold: int
    valid: np.ndarray
    path: Path | None
    args: tuple


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
    targets : tuple of str, optional
        Names of the columns of a 2-D ``y`` scored one by one (``q2_<target>``) and together
        (``q2_variance_weighted``, the headline metric); without them a 2-D ``y`` is scored pooled (``q2``).
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
    targets: tuple[str, ...] | None = None
    scores: dict[str, np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        per_repeat = []
        for r, prediction in enumerate(self.predictions):
            valid = self.folds[r] >= 0
            labels = None if self.labels is None else self.labels[r][valid]
            per_repeat.append(scores(self.y[valid], prediction[valid], self.task, labels, self.targets))
        self.scores = {m: np.array([s[m] for s in per_repeat]) for m in self.metrics}

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metrics scored (:func:`~amn.evaluation.metrics.metric_names`), headline first."""
        return metric_names(self.task, self.targets)

    @property
    def metric(self) -> str:
        """The headline metric: q2 (regression), q2_variance_weighted (several targets) or roc_auc (classification)."""
        return "roc_auc" if self.task == "classification" else self.metrics[0]

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
        return scores(self.y[valid], self.mean_prediction[valid], self.task, targets=self.targets)[metric or self.metric]

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
        for m in self.metrics:
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
    executor: Executor | None = None,
    targets: Sequence[str] | None = None,
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
    cv : int, "loo" or splitter, default 10
        Folds: a number gives the protocol's splitter (:func:`~amn.evaluation.splits.check_cv`:
        stratified on quantile bins of ``y``, or on its classes; a shuffled ``KFold`` for several
        targets); ``"loo"`` leaves one row out at a time; or a splitter object such as ``KFold(5, shuffle=True)``.
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
    executor : InProcess or DaskExecutor, optional
        Where the folds run (:mod:`amn.evaluation.executors`; a DaskExecutor already
        entered, so that one cluster serves several calls) [default: in this
        process]; the result is the same wherever they run.
    targets : sequence of str, optional
        Names of the columns of a 2-D ``y`` (several targets): each is scored (``q2_<target>``) and all
        together (``q2_variance_weighted``); a number of folds then splits with a shuffled ``KFold``.

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
    targets = None if targets is None or len(targets) < 2 else tuple(str(t) for t in targets)
    splitter = check_cv(cv, task, multioutput=targets is not None or np.ndim(y) > 1)
    if not isinstance(y, pd.DataFrame):
        y = np.asarray(y, dtype=float)
    n, n_splits = len(y), splitter.get_n_splits(X, y)
    if n < n_splits:
        raise ParameterError(f"{n} samples are too few for {n_splits}-fold cross-validation")
    workdir = None if workdir is None else Path(workdir)
    jobs, records = [], []  # one _Job per fold; its record once known (read back, or fitted below)
    for r, seed in enumerate(seeds):
        base = None if workdir is None else workdir if len(seeds) == 1 else workdir / f"seed_{seed}"
        for k, (train, valid) in enumerate(seeded(splitter, seed).split(X, y)):
            if max_folds is not None and k >= max_folds:
                break
            path = None if base is None else base / f"fold_{k}.json"
            jobs.append(_Job(r, k, valid, path, (estimator, X, y, train, valid, seed, k, task, scorer, X_test,
                                                 y_test, None if base is None else base / f"fold_{k}")))
            records.append(load_record(path, valid, X_test is not None))
    start, done = time.perf_counter(), sum(record is not None for record in records)
    todo = [i for i, record in enumerate(records) if record is None]
    for position, record in (executor or InProcess()).map(run_fold, [jobs[i].args for i in todo]):
        i = todo[position]
        records[i] = record
        if jobs[i].path is not None:  # recorded at once: an interrupted run resumes from here
            jobs[i].path.parent.mkdir(parents=True, exist_ok=True)
            jobs[i].path.write_text(json.dumps(record))
        done += 1
        if progress is not None:
            progress(done, len(jobs))
    predictions = target = labels = None
    folds = np.full((len(seeds), n), -1, dtype=int)
    rows, test_predictions, test_target = [], [], None
    for (r, k, valid, _, _), record in zip(jobs, records):  # in split order, wherever the folds ran
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
            test_target = array(record["test_target"])
        rows.append({"seed": seeds[r], "fold": k, **record["scores"]})
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
        targets=targets,
    )
