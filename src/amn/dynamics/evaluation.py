"""Scores and splits of growth-curve predictions.

- :func:`curve_r2`: per medium, R² of ln OD over time, negative values counted as 0
  (as the dynamic AMN work scores a curve); the headline is its mean over media.
- :func:`rmse`: root mean squared error of ln OD over every point scored.
- :func:`growth_rates`: the maximal growth rate read off curves by the plate-reader
  method (:func:`~amn.plate_reader.max_growth_rate`), to compare predicted curves with
  measured growth-rate tables (:func:`q2`).
- Splits: :func:`heldout` (k-fold by medium, shuffled, one repeat per seed: every
  medium is predicted by a model that never saw its curve) and :func:`forecast`
  (every curve fitted up to a time, then simulated from its first point: scored on
  the whole curve, as the dynamic AMN work scores it, and on the points after the
  boundary alone).
- :func:`unforeseen_falls`: what a forecast cannot know: curves whose fall below their peak
  starts only after the fitted window, and the score of the measured curves held flat from
  each such fall (a forecast exact on what it could know that does not guess those falls).

The curve splits are their own loop, not :func:`amn.evaluation.cross_validate`'s: a
forecast cuts time, not rows, and the score is per curve, not pooled per point.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.model_selection import KFold

from amn.dynamics.curves import CurveSet
from amn.evaluation.metrics import r2
from amn.plate_reader.growth_rates import max_growth_rate

#: Share of the time points fitted in the forecast split (the rest is predicted): two thirds, the
#: dynamic AMN work's forecast split (``x_fold = 3``: 13 of 20 points).
FORECAST_FRACTION = 2 / 3


def curve_r2(y: np.ndarray, prediction: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Per medium (row), R² of the prediction over the (masked) time points it was read at (``y`` not
    NaN), negative counted as 0.

    A flat measured curve (no variance) scores 0 unless predicted exactly.

    Examples
    --------
    >>> curve_r2(np.array([[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]]), np.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
    array([1., 0.])
    """
    y, prediction = np.asarray(y, float), np.asarray(prediction, float)
    m = np.isfinite(y) & (True if mask is None else np.broadcast_to(mask, y.shape))
    out = np.zeros(len(y))
    for i in range(len(y)):
        yi, pi = y[i][m[i]], prediction[i][m[i]]
        ss_res = float(((yi - pi) ** 2).sum())
        ss_tot = float(((yi - yi.mean()) ** 2).sum())
        out[i] = (1.0 if ss_res == 0 else 0.0) if ss_tot == 0 else max(0.0, 1.0 - ss_res / ss_tot)
    return out


def rmse(y: np.ndarray, prediction: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Root mean squared error over the (masked) points read (``y`` not NaN; a NaN prediction there gives NaN)."""
    y = np.asarray(y, float)
    diff = y - np.asarray(prediction, float)
    m = np.isfinite(y) & (True if mask is None else np.broadcast_to(mask, diff.shape))
    return float(np.sqrt((diff[m] ** 2).mean()))


def q2(y: np.ndarray, prediction: np.ndarray) -> float:
    """``1 - SS_res / SS_tot`` of pooled values (NaN pairs dropped)."""
    y, prediction = np.asarray(y, float), np.asarray(prediction, float)
    ok = np.isfinite(y) & np.isfinite(prediction)
    return r2(y[ok], prediction[ok])


def growth_rates(times: np.ndarray, log_od: np.ndarray, windows: np.ndarray | None = None, window: int = 6) -> np.ndarray:
    """Maximal growth rate (1/h) of each curve, by the plate-reader method (smoothed ln OD, sliding fits).

    Parameters
    ----------
    times : numpy.ndarray
        T hours.
    log_od : numpy.ndarray
        media x T ln OD (NaN: not read).
    windows : numpy.ndarray, optional
        media x 2 (start, stop) hours searched (NaN: curve start / end).
    window : int
        Points per fit.
    """
    rates = np.empty(len(log_od))
    for i, curve in enumerate(np.asarray(log_od, float)):
        start, stop = (np.nan, np.nan) if windows is None else windows[i]
        read = np.isfinite(curve)  # a curve's own readings
        rates[i] = max_growth_rate(np.asarray(times, float)[read], np.exp(curve[read]), start, stop, window)[0]
    return rates


@dataclass
class SplitResult:
    """Predictions of one method on one split.

    Attributes
    ----------
    name : str
    predictions : numpy.ndarray
        repeats x media x T ln OD (held-out: out-of-fold; forecast: one repeat).
    mask : numpy.ndarray
        T booleans: the points scored.
    r2 : numpy.ndarray
        repeats x media curve R².
    rmse : numpy.ndarray
        Per repeat.
    seconds : float
    extra : dict
        Whatever the method reports (reactions kept, s/epoch, ...).
    """

    name: str
    predictions: np.ndarray
    mask: np.ndarray
    r2: np.ndarray
    rmse: np.ndarray
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def mean_r2(self) -> float:
        """Mean curve R² over media, averaged over repeats."""
        return float(self.r2.mean())


def _score(name, curves, predictions, mask, seconds, extra) -> SplitResult:
    predictions = np.asarray(predictions)
    r2 = np.array([curve_r2(curves.log_od, p, mask) for p in predictions])
    errors = np.array([rmse(curves.log_od, p, mask) for p in predictions])
    return SplitResult(name, predictions, mask, r2, errors, seconds, extra)


def heldout(make: Callable[[int], object], curves: CurveSet, *, name: str = "method", seeds: Sequence[int] = (0,),
            n_splits: int = 10, progress: Callable[[str], None] | None = None,
            extra: Callable[[object], dict] | None = None) -> SplitResult:
    """Held-out media: k-fold by medium (shuffled, seeded per repeat); each fold fits ``make(seed)`` on the others.

    Parameters
    ----------
    make : callable
        ``make(seed)`` -> a fresh method with ``fit(curves)`` and ``predict(curves)``.
    curves : CurveSet
    name : str
    seeds : sequence of int
        One repeat per seed.
    n_splits : int
    progress : callable, optional
        Called after every fold with a short line.
    extra : callable, optional
        ``extra(fitted)`` -> dict recorded (from the last fold).

    Returns
    -------
    SplitResult
    """
    start = time.perf_counter()
    predictions = np.full((len(seeds), *curves.log_od.shape), np.nan)
    info: dict = {}
    for r, seed in enumerate(seeds):
        for k, (train, valid) in enumerate(KFold(n_splits, shuffle=True, random_state=seed).split(curves.log_od)):
            method = make(seed)
            method.fit(curves.subset(train))
            predictions[r, valid] = method.predict(curves.subset(valid))
            if extra is not None:
                info = extra(method)
            if progress is not None:
                progress(f"{name}: seed {seed} fold {k + 1}/{n_splits}")
    return _score(name, curves, predictions, np.ones(len(curves.times), bool), time.perf_counter() - start, info)


def forecast_time(times: np.ndarray, fraction: float = FORECAST_FRACTION) -> float:
    """The forecast boundary: the time of the last fitted point, the first ``fraction`` of the points."""
    k = max(2, round(fraction * len(times)))
    return float(times[k - 1])


def forecast(make: Callable[[int], object], curves: CurveSet, until: float, *, name: str = "method", seed: int = 0,
             extra: Callable[[object], dict] | None = None, checkpoint_dir: Path | None = None) -> SplitResult:
    """Forecast: fit every curve up to ``until`` (hours), predict the whole curve from its first point.

    ``make(seed).fit(curves, until=until)`` then ``predict(curves)``.  The result is scored on the
    whole curve (the dynamic AMN work's forecast score); ``extra`` also holds the scores of the
    points after ``until`` alone: ``r2_tail`` (media curve R², often 0 for curves flat by then)
    and ``rmse_tail``.  With ``checkpoint_dir`` the fit is ``fit(..., checkpoint_dir=checkpoint_dir)``:
    interrupted, it resumes there.
    """
    start = time.perf_counter()
    method = make(seed)
    method.fit(curves, until=until, **({} if checkpoint_dir is None else {"checkpoint_dir": checkpoint_dir}))
    prediction = method.predict(curves)
    tail = curves.times > until + 1e-9
    info = {"r2_tail": curve_r2(curves.log_od, prediction, tail), "rmse_tail": rmse(curves.log_od, prediction, tail),
            **(extra(method) if extra is not None else {})}
    return _score(name, curves, prediction[None], np.ones(len(curves.times), bool), time.perf_counter() - start, info)


#: A fall of ln OD below the curve's running peak counted by :func:`unforeseen_falls` (a 40 % loss of OD).
FALL = 0.5


def unforeseen_falls(times: np.ndarray, log_od: np.ndarray, until: float, drop: float = FALL
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The falls a forecast fitted up to ``until`` cannot see, and what they leave of the forecast score.

    A curve falls at its first point more than ``drop`` (ln OD) below its peak so far.  A fall after
    ``until`` has no sign in the fitted window (by this definition the window holds no fall of that
    size).  The reference: every curve as measured, except that each unforeseen fall is replaced by
    the last point before it, held flat; its mean :func:`curve_r2` is what a forecast exact on every
    point it could know scores when it carries the curves on flat (a guide, not a strict bound: some
    other continuation may come closer to a fall it does not foresee).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The indices of the curves with an unforeseen fall, and the per-curve R² of the reference.

    Examples
    --------
    >>> t = np.arange(5.0)
    >>> falls, r2 = unforeseen_falls(t, np.array([[0.0, 1.0, 2.0, 2.0, 1.0], [0.0, 1.0, 2.0, 3.0, 4.0]]), until=2.0)
    >>> falls, r2.round(3)
    (array([0]), array([0.643, 1.   ]))
    """
    times, log_od = np.asarray(times, float), np.asarray(log_od, float)
    bound, falls = log_od.copy(), []
    for i, curve in enumerate(log_od):
        read = np.flatnonzero(np.isfinite(curve))  # a curve's own readings
        fallen = np.flatnonzero(curve[read] < np.maximum.accumulate(curve[read]) - drop)
        if len(fallen) and times[read[fallen[0]]] > until + 1e-9:
            falls.append(i)
            bound[i, read[fallen[0]]:] = curve[read[fallen[0] - 1]]
    return np.array(falls, dtype=int), curve_r2(log_od, bound)


def fold_labels(n: int, n_splits: int = 10, seed: int = 0) -> np.ndarray:
    """The fold of each of ``n`` media under ``KFold(n_splits, shuffle=True, random_state=seed)``."""
    folds = np.empty(n, dtype=int)
    for k, (_, valid) in enumerate(KFold(n_splits, shuffle=True, random_state=seed).split(np.arange(n))):
        folds[valid] = k
    return folds


def heldout_members(make: Callable[[int], object], curves: CurveSet, *, name: str = "dynamic-amn",
                    seeds: Sequence[int] = (0,), n_splits: int = 10, extra: Callable[[object], dict] | None = None,
                    checkpoint_dir: Path | None = None) -> SplitResult:
    """The held-out split of :func:`heldout` for a :class:`~amn.dynamics.DynamicAMN`: the ``n_splits`` fold
    models of a repeat train at once as members of one model (``fit(curves, folds=...)``), on the same folds.
    With ``checkpoint_dir`` each repeat is checkpointed in ``checkpoint_dir/heldout-seed<seed>``:
    interrupted, a rerun resumes the repeat it was in and reads back the ones done."""
    start = time.perf_counter()
    predictions, info = [], {}
    for seed in seeds:
        where = {} if checkpoint_dir is None else {"checkpoint_dir": Path(checkpoint_dir) / f"heldout-seed{seed}"}
        model = make(seed).fit(curves, folds=fold_labels(len(curves.media), n_splits, seed), **where)
        predictions.append(model.predict_out_of_fold(curves))
        if extra is not None:
            info = extra(model)
    return _score(name, curves, np.array(predictions), np.ones(len(curves.times), bool), time.perf_counter() - start, info)
