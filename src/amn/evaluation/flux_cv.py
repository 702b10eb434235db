"""k-fold cross-validation with the scores of the AMN papers.

Per fold: R^2 on the training fold and Q^2 on the validation fold, for the
measured fluxes (the growth rate by default) and for all fluxes pooled (models
that predict every flux), the unweighted loss terms on the validation fold,
seconds per epoch and the number of parameters.  An optional independent test
set is predicted by every fold's model; its Q^2 is reported per fold and for
the mean prediction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import KFold

from amn.evaluation.metrics import r2


@dataclass
class CVResult:
    """Per-fold metrics (one row per fold) and their aggregate."""

    folds: pd.DataFrame
    test_q2_mean_prediction: float | None = None
    oof: np.ndarray | None = None  # out-of-fold predictions of the measured fluxes (NaN where not evaluated)

    def summary(self) -> dict[str, float]:
        """Mean and standard deviation of every metric over folds."""
        out = {}
        for column in self.folds.columns:
            if column != "fold":
                out[f"{column}_mean"] = float(self.folds[column].mean())
                out[f"{column}_std"] = float(self.folds[column].std(ddof=0))
        if self.test_q2_mean_prediction is not None:
            out["test_q2_mean_prediction"] = self.test_q2_mean_prediction
        return out


def _scores(estimator, X: pd.DataFrame, Y: pd.DataFrame, prefix: str) -> dict[str, float]:
    measured = estimator.measured_
    scores = {f"{prefix}_measured": r2(Y[measured].to_numpy(), np.asarray(estimator.predict(X)).reshape(len(X), -1))}
    if estimator.predicts_fluxes:
        fluxes = estimator.predict_fluxes(X)
        scores[f"{prefix}_fluxes"] = r2(Y[fluxes.columns].to_numpy(), fluxes.to_numpy())
    return scores


def cross_validate(
    estimator,
    X: pd.DataFrame,
    Y: pd.DataFrame,
    folds: int = 5,
    seed: int = 0,
    X_test: pd.DataFrame | None = None,
    Y_test: pd.DataFrame | None = None,
    workdir: Path | None = None,
    max_folds: int | None = None,
) -> CVResult:
    """Cross-validate an :class:`~amn.models.AMNRegressor` on a flux dataset (Y = all fluxes).

    With ``workdir``, each finished fold is recorded there (and each running
    fold checkpointed), so an interrupted cross-validation resumes.
    ``max_folds`` evaluates only the first folds (quick runs).
    """
    rows, test_predictions, measured = [], [], None
    oof = None
    splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)
    for k, (train, val) in enumerate(splitter.split(X)):
        if max_folds is not None and k >= max_folds:
            break
        done = workdir / f"fold_{k}.json" if workdir is not None else None
        if done is not None and done.exists():
            record = json.loads(done.read_text())
            rows.append(record["row"])
            measured = record["measured"]
            oof = _store(oof, len(X), val, np.array(record["val_prediction"]))
            if X_test is not None and record.get("test_prediction") is not None:
                test_predictions.append(np.array(record["test_prediction"]))
            continue
        model = clone(estimator)
        model.fit(X.iloc[train], Y.iloc[train], checkpoint_dir=workdir / f"fold_{k}" if workdir is not None else None)
        measured = model.measured_
        row = {"fold": k}
        row.update(_scores(model, X.iloc[train], Y.iloc[train], "r2_train"))
        row.update(_scores(model, X.iloc[val], Y.iloc[val], "q2_val"))
        val_prediction = np.asarray(model.predict(X.iloc[val])).reshape(len(val), -1)
        oof = _store(oof, len(X), val, val_prediction)
        row.update({f"val_{name}": value for name, value in model.loss_terms(X.iloc[val], Y.iloc[val]).items()})
        row.update(seconds_per_epoch=model.seconds_per_epoch_, epochs=len(model.history_), n_params=model.n_params_)
        prediction = None
        if X_test is not None:
            row.update(_scores(model, X_test, Y_test, "q2_test"))
            prediction = np.asarray(model.predict(X_test)).reshape(len(X_test), -1)
            test_predictions.append(prediction)
        rows.append(row)
        if done is not None:
            done.write_text(json.dumps({"row": row, "measured": measured, "val_prediction": val_prediction.tolist(),
                                        "test_prediction": None if prediction is None else prediction.tolist()}))
    test_q2 = None
    if test_predictions and Y_test is not None:
        mean = np.mean(test_predictions, axis=0)
        test_q2 = r2(Y_test[measured].to_numpy(), mean)
    return CVResult(pd.DataFrame(rows), test_q2, oof)


def _store(oof: np.ndarray | None, n: int, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    if oof is None:
        oof = np.full((n, values.shape[1]), np.nan)
    oof[rows] = values
    return oof
