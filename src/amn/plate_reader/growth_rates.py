"""Growth rates from plate-reader curves, by the published (hand-curated) method.

A plate holds 96 wells read every 10 minutes; medium ``i`` (1..10) sits in
column ``i + 1`` of rows A..H (8 replicates).  The growth rate of a well is the
largest slope of ln(OD) fitted over windows of consecutive points of the
smoothed curve, searched inside the curators' start/stop window; the wells the
curators flagged as outliers are left out of the medium mean and SD.  The
conventions below reproduce the published ``<date>_results.csv`` to 1e-9.

Problems of a single well (missing column, non-numeric or non-positive OD,
start after stop) are collected as :class:`WellIssue` and the other wells are
still processed; only problems of a whole file raise :class:`PlateReaderError`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from amn.errors import PlateReaderError

ROWS = "ABCDEFGH"
N_MEDIA = 10
REPLICATES = [f"GR_{i}" for i in range(1, len(ROWS) + 1)]
WINDOW = 6
SMOOTHING_PASSES = 4
_TIME_TOLERANCE = 1e-6  # hours; start/stop are compared with times written to 15 digits
_WELL = re.compile(r"[A-H](?:1[0-2]|[1-9])")


@dataclass(frozen=True)
class WellIssue:
    """A problem confined to one well; the well gets no growth rate, the others are processed."""

    file: str
    well: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: well {self.well}: {self.problem}"


@dataclass(frozen=True)
class PlateSpec:
    """One plate of ``plates.json``: its design file, the design rows it tested, the curated outliers."""

    date: str
    compositions_file: str
    rows: tuple[int, int]
    outlier_wells: frozenset[str]


@dataclass
class GrowthRates:
    """Result of a run: the medium table (``EXP110.csv`` format), the per-well table and the issues."""

    table: pd.DataFrame
    wells: pd.DataFrame
    issues: list[WellIssue] = field(default_factory=list)


def well_name(medium: int, replicate: int) -> str:
    """Well of medium ``medium`` (0-based) and replicate ``replicate`` (0-based): (0, 0) -> ``A2``."""
    return f"{ROWS[replicate]}{medium + 2}"


def layout_wells() -> list[str]:
    """The 80 wells of the 10 media, medium by medium, replicates A..H."""
    return [well_name(m, r) for m in range(N_MEDIA) for r in range(len(ROWS))]


def read_curation(raw_dir: str | Path) -> tuple[int, list[PlateSpec], list[WellIssue]]:
    """Read ``plates.json``: fit window size, the plates in table order, and issues found in it.

    An outlier entry that is not one well name (``"C5F7"``) matches no well, as
    in the published table, and is reported.
    """
    path = Path(raw_dir) / "plates.json"
    try:
        doc = json.loads(path.read_text())
        window = int(doc.get("window_size_points", WINDOW))
        plates, issues = [], []
        for date, entry in doc["plates"].items():
            outliers = set()
            for item in map(str, entry.get("outlier_wells", [])):
                if _WELL.fullmatch(item):
                    outliers.add(item)
                else:
                    issues.append(WellIssue(path.name, item, f"plate {date}: not a well name, no well excluded"))
            first, last = (int(x) for x in entry["rows"])
            plates.append(PlateSpec(str(date), entry["compositions_file"], (first, last), frozenset(outliers)))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PlateReaderError(f"{path}: cannot read the plate curation ({type(exc).__name__}: {exc})") from exc
    return window, plates, issues


def read_compositions(raw_dir: str | Path, spec: PlateSpec) -> pd.DataFrame:
    """The design rows a plate tested (0/1 per compound, index as in the design file)."""
    path = Path(raw_dir) / spec.compositions_file
    try:
        design = pd.read_csv(path, index_col=0)
    except (OSError, ValueError) as exc:
        raise PlateReaderError(f"{path}: cannot read the design file ({exc})") from exc
    rows = design.iloc[spec.rows[0] : spec.rows[1]]
    if len(rows) != N_MEDIA:
        raise PlateReaderError(f"{path}: rows {spec.rows[0]}..{spec.rows[1]} hold {len(rows)} media, not {N_MEDIA}")
    rows.index.name = None
    return rows


def read_plate(path: str | Path, wells: list[str] | None = None) -> tuple[np.ndarray, pd.DataFrame, list[WellIssue]]:
    """Times (hours) and OD600 of the given wells (default: the 80 layout wells) of a ``<date>_data.csv``.

    A well that is missing, or has a non-numeric, missing or non-positive OD,
    is reported and left out of the returned OD table.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)  # keep "n/a" etc. for the message
    except (OSError, ValueError) as exc:
        raise PlateReaderError(f"{path}: cannot read the plate ({exc})") from exc
    if "TIME" not in raw.columns:
        raise PlateReaderError(f"{path}: no TIME column")
    times = pd.to_numeric(raw["TIME"], errors="coerce").to_numpy(float)
    if len(times) < 2 or np.isnan(times).any() or (np.diff(times) <= 0).any():
        raise PlateReaderError(f"{path}: TIME must be numeric and increasing")
    issues: list[WellIssue] = []
    od = {}
    for well in wells if wells is not None else layout_wells():
        if well not in raw.columns:
            issues.append(WellIssue(path.name, well, "missing from the plate file"))
            continue
        text = raw[well]
        values = pd.to_numeric(text, errors="coerce").to_numpy(float)
        bad = np.flatnonzero(np.isnan(values))
        if bad.size:
            shown = repr(text.iloc[bad[0]]) if text.iloc[bad[0]].strip() else "(empty)"
            issues.append(WellIssue(path.name, well, f"non-numeric OD {shown} at TIME={times[bad[0]]:g} h"))
            continue
        bad = np.flatnonzero(values <= 0)
        if bad.size:
            issues.append(WellIssue(path.name, well, f"non-positive OD {values[bad[0]]:g} at TIME={times[bad[0]]:g} h"))
            continue
        od[well] = values
    return times, pd.DataFrame(od), issues


def read_windows(path: str | Path, wells: list[str]) -> tuple[pd.DataFrame, list[WellIssue]]:
    """Start/stop times (hours, NaN = curve end) of a ``<date>_start_stop.csv``, per well.

    A well whose start is not before its stop, or whose values are not numbers,
    gets no window (row dropped) and an issue.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, index_col=0, dtype=str)
    except (OSError, ValueError) as exc:
        raise PlateReaderError(f"{path}: cannot read the start/stop file ({exc})") from exc
    if not {"start", "stop"} <= set(raw.index):
        raise PlateReaderError(f"{path}: needs a 'start' and a 'stop' row")
    issues: list[WellIssue] = []
    rows = {}
    for well in wells:
        text = raw[well] if well in raw.columns else pd.Series({"start": None, "stop": None})
        values = pd.to_numeric(text[["start", "stop"]], errors="coerce")
        if values.isna().to_numpy().tolist() != text[["start", "stop"]].isna().to_numpy().tolist():
            issues.append(WellIssue(path.name, well, f"start/stop {text['start']!r}/{text['stop']!r} is not numeric"))
            continue
        start, stop = values["start"], values["stop"]
        if not (np.isnan(start) or np.isnan(stop)) and start >= stop:
            issues.append(WellIssue(path.name, well, f"start {start:g} h is not before stop {stop:g} h"))
            continue
        rows[well] = (start, stop)
    return pd.DataFrame.from_dict(rows, orient="index", columns=["start", "stop"]), issues


def smooth(od: np.ndarray, passes: int = SMOOTHING_PASSES) -> np.ndarray:
    """Published smoothing: each pass replaces point ``i`` (2 <= i < n-2) by the mean of
    ``od[i-2:i+2]`` without its minimum and maximum, from the previous pass's values."""
    y = np.asarray(od, dtype=float).copy()
    if len(y) < 5:
        return y
    for _ in range(passes):
        windows = np.sort(sliding_window_view(y, 4)[: len(y) - 4], axis=1)
        y[2:-2] = (windows[:, 1] + windows[:, 2]) / 2
    return y


def window_slopes(times: np.ndarray, values: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """Least-squares slope of ``values`` against ``times`` over each run of ``window`` points."""
    t = sliding_window_view(np.asarray(times, float), window)
    y = sliding_window_view(np.asarray(values, float), window)
    tc = t - t.mean(axis=1, keepdims=True)
    yc = y - y.mean(axis=1, keepdims=True)
    return (tc * yc).sum(axis=1) / (tc * tc).sum(axis=1)


def max_growth_rate(
    times: np.ndarray, od: np.ndarray, start: float = np.nan, stop: float = np.nan, window: int = WINDOW
) -> tuple[float, int]:
    """Largest ln(OD) slope (1/h) of the smoothed curve and the index of its first point.

    As published, the searched points are those with start <= TIME <= stop
    (NaN = curve end), and the fit windows end at least two points before the
    last searched point.  Returns ``(nan, -1)`` when no window fits.
    """
    times = np.asarray(times, float)
    low = times[0] if np.isnan(start) else start
    high = times[-1] if np.isnan(stop) else stop
    inside = np.flatnonzero((times >= low - _TIME_TOLERANCE) & (times <= high + _TIME_TOLERANCE))
    if inside.size < window + 2:
        return np.nan, -1
    first, last = inside[0], inside[-1] - 2  # last point a window may use
    slopes = window_slopes(times[first : last + 1], np.log(smooth(od))[first : last + 1], window)
    best = int(np.argmax(slopes))
    return float(slopes[best]), int(first + best)


def plate_wells(
    raw_dir: str | Path, spec: PlateSpec, window: int = WINDOW, curated: bool = True
) -> tuple[pd.DataFrame, list[WellIssue]]:
    """Per-well growth rates of one plate; ``curated`` applies the start/stop file and the outlier list.

    Columns: plate, well, medium (design index), replicate (1..8), growth_rate,
    fit_start (index of the fit window's first point, -1 if none), ln_gain
    (ln of the smoothed curve's max over its first value), excluded, reason.
    """
    raw_dir = Path(raw_dir)
    wells = layout_wells()
    times, od, issues = read_plate(raw_dir / f"{spec.date}_data.csv", wells)
    if curated:
        windows, window_issues = read_windows(raw_dir / f"{spec.date}_start_stop.csv", wells)
        issues += window_issues
    else:
        windows = pd.DataFrame(np.nan, index=wells, columns=["start", "stop"])
    problems = {issue.well: issue.problem for issue in issues}
    media = read_compositions(raw_dir, spec).index
    records = []
    for m, medium in enumerate(media):
        for r in range(len(ROWS)):
            well = well_name(m, r)
            rate, fit_start, gain, reason = np.nan, -1, np.nan, problems.get(well, "")
            if not reason:
                curve = od[well].to_numpy()
                smoothed = smooth(curve)
                gain = float(np.log(smoothed.max() / smoothed[0]))
                rate, fit_start = max_growth_rate(times, curve, *windows.loc[well], window=window)
                if np.isnan(rate):
                    reason = "start/stop window too short for a fit"
                    issues.append(WellIssue(f"{spec.date}_start_stop.csv", well, reason))
                elif curated and well in spec.outlier_wells:
                    reason = "outlier (curated)"
            records.append((spec.date, well, medium, r + 1, rate, fit_start, gain, bool(reason), reason))
    columns = ["plate", "well", "medium", "replicate", "growth_rate", "fit_start", "ln_gain", "excluded", "reason"]
    return pd.DataFrame.from_records(records, columns=columns), issues


def medium_table(wells: pd.DataFrame, compositions: pd.DataFrame) -> pd.DataFrame:
    """Per medium: composition, replicate rates GR_1..GR_8 (NaN if excluded), GR_AVG and GR_STD (ddof=1)."""
    kept = wells.assign(growth_rate=wells["growth_rate"].where(~wells["excluded"]))
    rates = kept.pivot(index="medium", columns="replicate", values="growth_rate")
    rates = rates.reindex(index=compositions.index, columns=range(1, len(ROWS) + 1))
    rates.columns = REPLICATES
    rates["GR_AVG"] = rates[REPLICATES].mean(axis=1)
    rates["GR_STD"] = rates[REPLICATES].std(axis=1, ddof=1)
    table = pd.concat([compositions, rates], axis=1)
    table.index.name = None
    return table


def collect(raw_dir: str | Path, plate_fn: Callable[..., tuple[pd.DataFrame, list[WellIssue]]]) -> GrowthRates:
    """Run ``plate_fn(raw_dir, spec, window)`` on every plate of ``plates.json``, in its order, and
    build the medium table (one row per tested medium) and the per-well table."""
    window, plates, issues = read_curation(raw_dir)
    tables, all_wells = [], []
    for spec in plates:
        wells, plate_issues = plate_fn(raw_dir, spec, window)
        issues += plate_issues
        tables.append(medium_table(wells, read_compositions(raw_dir, spec)))
        all_wells.append(wells)
    return GrowthRates(pd.concat(tables, ignore_index=True), pd.concat(all_wells, ignore_index=True), issues)


def curated_growth_rates(raw_dir: str | Path) -> GrowthRates:
    """The published table from the raw curves and the curation files (start/stop, outliers) of ``raw_dir``."""
    return collect(raw_dir, plate_wells)
