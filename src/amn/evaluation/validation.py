"""The published evaluation protocol for experimental tables.

10-fold cross-validation stratified on the binned target (quantile bins of the
growth rate, or the classes of a 0/1 target), repeated over seeds (3 by
default).  Each repeat pools its validation predictions over the folds and
scores them once (Q² = 1 - SS_res / SS_tot for regression; accuracy and ROC AUC
for classification); the protocol reports the mean ± SD of those scores over
repeats and the score of the prediction averaged over repeats.

Any object with ``fit(X, y)`` / ``predict(X)`` works (scikit-learn API); it is
cloned for every fold, so a fitted model never sees its validation fold.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone

from amn.dataset.table import Task
from amn.evaluation.metrics import METRICS, scores
from amn.evaluation.splits import N_SPLITS, SEEDS, cv_folds


@dataclass
class CVResult:
    """Pooled validation predictions of every repeat, and their scores.

    ``predictions`` is repeats x samples (regression: the predicted value;
    classification: the score of class 1); ``labels`` the predicted classes
    (classification only); ``folds`` the validation fold of each sample per repeat.
    """

    name: str
    task: Task
    y: np.ndarray
    predictions: np.ndarray
    folds: np.ndarray
    seeds: tuple[int, ...]
    labels: np.ndarray | None = None
    seconds: float = 0.0
    scores: dict[str, np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        per_repeat = [
            scores(self.y, p, self.task, None if self.labels is None else self.labels[r])
            for r, p in enumerate(self.predictions)
        ]
        self.scores = {m: np.array([s[m] for s in per_repeat]) for m in METRICS[self.task]}

    @property
    def metric(self) -> str:
        """The headline metric: q2 (regression) or roc_auc (classification)."""
        return "q2" if self.task == "regression" else "roc_auc"

    @property
    def mean_prediction(self) -> np.ndarray:
        return self.predictions.mean(axis=0)

    def mean(self, metric: str | None = None) -> float:
        return float(self.scores[metric or self.metric].mean())

    def sd(self, metric: str | None = None) -> float:
        """Sample SD over repeats (0 for a single repeat)."""
        values = self.scores[metric or self.metric]
        return float(values.std(ddof=1)) if len(values) > 1 else 0.0

    def score_of_mean(self, metric: str | None = None) -> float:
        """Score of the prediction averaged over repeats."""
        return scores(self.y, self.mean_prediction, self.task)[metric or self.metric]

    def summary(self) -> dict[str, float | str | int]:
        """One row of the method table: mean, SD and score of the mean prediction per metric."""
        row: dict[str, float | str | int] = {"method": self.name, "repeats": len(self.seeds)}
        for m in METRICS[self.task]:
            row[m] = self.mean(m)
            row[f"{m}_sd"] = self.sd(m)
            row[f"{m}_of_mean"] = self.score_of_mean(m)
        row["seconds"] = self.seconds
        return row

    def predictions_frame(self, index: Sequence | None = None) -> pd.DataFrame:
        """Samples x (measured, prediction per seed, mean prediction, fold per seed)."""
        frame = pd.DataFrame({"measured": self.y}, index=index)
        for seed, p, f in zip(self.seeds, self.predictions, self.folds):
            frame[f"pred_seed{seed}"] = p
            frame[f"fold_seed{seed}"] = f
        frame["pred_mean"] = self.mean_prediction
        return frame


def _rows(X, index: np.ndarray):
    return X.iloc[index] if isinstance(X, (pd.DataFrame, pd.Series)) else np.asarray(X)[index]


def _fresh(estimator, seed: int):
    """An unfitted copy; a ``random_state`` left at None is set to the repeat's seed (determinism)."""
    model = clone(estimator, safe=False)  # estimators without get_params are deep-copied
    if hasattr(model, "get_params") and model.get_params(deep=False).get("random_state", 0) is None:
        model.set_params(random_state=seed)
    return model


def _predict(model, X, task: Task) -> tuple[np.ndarray, np.ndarray | None]:
    if task == "regression":
        return np.asarray(model.predict(X), dtype=float).ravel(), None
    labels = np.asarray(model.predict(X)).astype(int).ravel()
    if hasattr(model, "predict_proba"):
        return np.asarray(model.predict_proba(X))[:, 1], labels
    if hasattr(model, "decision_function"):
        return np.asarray(model.decision_function(X), dtype=float).ravel(), labels
    return labels.astype(float), labels


def cross_validate(
    estimator,
    X,
    y,
    task: Task = "regression",
    seeds: Sequence[int] = SEEDS,
    n_splits: int = N_SPLITS,
    name: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CVResult:
    """Run the protocol for one estimator; ``progress(done, total)`` is called after every fold."""
    y = np.asarray(y, dtype=float)
    seeds = tuple(int(s) for s in seeds)
    predictions = np.full((len(seeds), len(y)), np.nan)
    labels = np.zeros((len(seeds), len(y)), dtype=int) if task == "classification" else None
    folds = np.stack([cv_folds(y, n_splits, seed, task) for seed in seeds])
    start = time.perf_counter()
    for r, seed in enumerate(seeds):
        for k in range(n_splits):
            train, valid = np.flatnonzero(folds[r] != k), np.flatnonzero(folds[r] == k)
            model = _fresh(estimator, seed)
            model.fit(_rows(X, train), y[train])
            predictions[r, valid], fold_labels = _predict(model, _rows(X, valid), task)
            if labels is not None:
                labels[r, valid] = fold_labels
            if progress is not None:
                progress(r * n_splits + k + 1, len(seeds) * n_splits)
    return CVResult(
        name=name or type(estimator).__name__,
        task=task,
        y=y,
        predictions=predictions,
        folds=folds,
        seeds=seeds,
        labels=labels,
        seconds=time.perf_counter() - start,
    )
