"""Growth rates from plate-reader curves, by the published (hand-curated) method.

A plate's layout (:mod:`amn.plate_reader.files`) says which wells hold the replicates of each
medium; the E. coli plates hold 10 media in 8 replicates, read every 10 minutes.  The growth
rate of a well is the largest slope of ln(OD) fitted over windows of consecutive points of the
smoothed curve, searched inside the curators' start/stop window; the wells the curators flagged
as outliers are left out of the medium mean and SD.  The conventions below reproduce the
published ``<date>_results.csv`` to 1e-9.

A plate that declares blank wells (medium without cells) has their median reading subtracted from
every well at each time; one whose reader already subtracted a blank is read as it is, 0 and
negative ODs included.  Either way only the windows of a smoothed curve at or above the limit of
quantification (``LOQ_SDS`` robust SDs of the blank, :class:`Blank`) are fitted: the background of
the plastic and the medium otherwise flattens the slope of ln(OD).  The published plates declare
neither.

Problems of a single well (missing column, non-numeric or non-positive OD,
start after stop) are collected as :class:`WellIssue` and the other wells are
still processed; only problems of a whole file raise :class:`PlateReaderError`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from amn.errors import PlateReaderError
from amn.plate_reader.files import (
    DEFAULT_LAYOUT,
    WINDOW,
    PlateSpec,
    WellIssue,
    read_compositions,
    read_curation,
    read_plate,
    read_windows,
)

SMOOTHING_PASSES = 4
LOQ_SDS = 10.0  # limit of quantification in SDs of the blank (the analytical convention: 3 for detection, 10)
MAD_SCALE = 1.4826  # makes a median absolute deviation a consistent estimator of the SD
_TIME_TOLERANCE = 1e-6  # hours; start/stop are compared with times written to 15 digits

__all__ = [  # the readers of amn.plate_reader.files are re-exported, as they were defined here
    "DEFAULT_LAYOUT", "SMOOTHING_PASSES", "WINDOW",
    "Blank", "GrowthRates", "PlateReaderError", "PlateSpec", "WellIssue",
    "blank_of", "collect", "curated_growth_rates", "max_growth_rate", "medium_table", "plate_curves", "plate_wells",
    "read_compositions", "read_curation", "read_plate", "read_windows", "smooth", "window_slopes",
]


@dataclass
class GrowthRates:
    """Result of a run over the plates of a directory.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per tested medium, in ``EXP110.csv`` format: the composition, the replicate
        rates ``GR_1..GR_n`` (n the most replicates of a medium; NaN where excluded or absent),
        ``GR_AVG`` and ``GR_STD``.
    wells : pandas.DataFrame
        One row per well (columns as :func:`plate_wells`).
    issues : list of WellIssue
        Problems of single wells (those wells have no rate).
    """

    table: pd.DataFrame
    wells: pd.DataFrame
    issues: list[WellIssue] = field(default_factory=list)

def smooth(od: np.ndarray, passes: int = SMOOTHING_PASSES) -> np.ndarray:
    """The published smoothing of a curve.

    Each pass replaces point ``i`` (``2 <= i < n - 2``) by the mean of
    ``od[i-2:i+2]`` without its minimum and maximum, from the previous pass's values.

    Parameters
    ----------
    od : array_like
        One curve.
    passes : int
        Number of passes.

    Returns
    -------
    numpy.ndarray
        The smoothed curve (unchanged when shorter than 5 points).

    Examples
    --------
    >>> smooth([1, 2, 9, 3, 4, 5, 6], passes=1)  # the spike at 9 is dropped
    array([1. , 2. , 2.5, 3.5, 4.5, 5. , 6. ])
    """
    y = np.asarray(od, dtype=float).copy()
    if len(y) < 5:
        return y
    for _ in range(passes):
        windows = np.sort(sliding_window_view(y, 4)[: len(y) - 4], axis=1)
        y[2:-2] = (windows[:, 1] + windows[:, 2]) / 2
    return y


def window_slopes(times: np.ndarray, values: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """Least-squares slope of ``values`` against ``times`` over each run of ``window`` points.

    Examples
    --------
    >>> window_slopes([0, 1, 2, 3, 4], [0, 2, 4, 6, 8], window=3)
    array([2., 2., 2.])
    """
    t = sliding_window_view(np.asarray(times, float), window)
    y = sliding_window_view(np.asarray(values, float), window)
    tc = t - t.mean(axis=1, keepdims=True)
    yc = y - y.mean(axis=1, keepdims=True)
    return (tc * yc).sum(axis=1) / (tc * tc).sum(axis=1)


def max_growth_rate(
    times: np.ndarray, od: np.ndarray, start: float = np.nan, stop: float = np.nan, window: int = WINDOW,
    floor: float = 0.0,
) -> tuple[float, int]:
    """Largest ln(OD) slope of the smoothed curve: the growth rate of one well.

    As published, the searched points are those with start <= TIME <= stop
    (NaN = curve end), and the fit windows end at least two points before the
    last searched point.

    Parameters
    ----------
    times : array_like
        Hours.
    od : array_like
        The curve: raw (positive), or blank-subtracted with a ``floor``.
    start, stop : float
        The search window in hours (NaN: the curve's start, end).
    window : int
        Points per fit.
    floor : float
        Only windows whose smoothed points are all at or above it are fitted (a blank-subtracted
        curve's limit of quantification; 0: every window of a raw curve).

    Returns
    -------
    rate : float
        1/h, NaN when no window fits.
    first : int
        Index of the fit window's first point, -1 when no window fits.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(48) / 6  # every 10 minutes
    >>> rate, first = max_growth_rate(t, 0.05 * np.exp(0.5 * t))
    >>> round(rate, 6)
    0.5
    """
    times = np.asarray(times, float)
    low = times[0] if np.isnan(start) else start
    high = times[-1] if np.isnan(stop) else stop
    inside = np.flatnonzero((times >= low - _TIME_TOLERANCE) & (times <= high + _TIME_TOLERANCE))
    if inside.size < window + 2:
        return np.nan, -1
    first, last = inside[0], inside[-1] - 2  # last point a window may use
    smoothed = smooth(od)[first : last + 1]
    quantified = smoothed >= floor if floor > 0 else np.ones(len(smoothed), bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        slopes = window_slopes(times[first : last + 1], np.log(np.where(quantified, smoothed, 1.0)), window)
    slopes[~sliding_window_view(quantified, window).all(axis=1)] = np.nan
    if np.isnan(slopes).all():
        return np.nan, -1
    best = int(np.nanargmax(slopes))
    return float(slopes[best]), int(first + best)


@dataclass(frozen=True)
class Blank:
    """The blank of a plate: what is subtracted from every well, and how precisely it is known.

    Attributes
    ----------
    level : numpy.ndarray
        Per reading, the median of the blank wells (0 for readings the reader blanked).
    sd : float
        Robust SD of a blank reading: of the blank wells about their median (well-to-well
        differences included); of one blank well's successive readings when it is the only one;
        for readings the reader blanked, of the wells' first readings about their median (how well
        each well's zero is known: offsets of the plastic and the inoculum), or of their reading noise
        (second differences) if larger.
    wells : tuple of str
        The blank wells read (none for readings the reader blanked).
    loq : float
        Limit of quantification (OD above the blank): ``LOQ_SDS`` SDs, or as ``plates.json`` gives it.
    """

    level: np.ndarray
    sd: float
    wells: tuple[str, ...]
    loq: float

    def __str__(self) -> str:
        what = (f"median of the blank wells {', '.join(self.wells)} subtracted" if self.wells
                else "readings blanked by the reader")
        return f"{what}; limit of quantification {self.loq:.3g} OD"


def _zero_sd(readings: np.ndarray, first: int = 3) -> float:
    """Robust SD of the zero of blanked curves (readings x wells): the spread of the wells' means over
    their ``first`` readings, or their reading noise from second differences if larger (a smooth curve
    keeps those near 0: ``Var(y[i-1] - 2 y[i] + y[i+1]) = 6 sd**2`` for independent noise)."""
    start = readings[:first].mean(axis=0)
    spread = MAD_SCALE * float(np.median(np.abs(start - np.median(start))))
    noise = MAD_SCALE * float(np.median(np.abs(np.diff(readings, n=2, axis=0)))) / np.sqrt(6.0)
    return max(spread, noise)


def plate_curves(raw_dir: str | Path, spec: PlateSpec) -> tuple[np.ndarray, pd.DataFrame, Blank | None, list[WellIssue]]:
    """A plate's curves, blank-subtracted when it declares blank wells or readings blanked by the reader.

    Parameters
    ----------
    raw_dir : str or pathlib.Path
        The directory of the plate files.
    spec : PlateSpec
        The plate.

    Returns
    -------
    times : numpy.ndarray
        Hours.
    od : pandas.DataFrame
        One column per readable well of the layout: raw OD, or OD above the blank (then possibly <= 0).
    blank : Blank or None
        None for raw readings.
    issues : list of WellIssue
        Unreadable wells, blank wells included.

    Raises
    ------
    PlateReaderError
        The file cannot be read, or none of the plate's blank wells is readable.
    """
    path = Path(raw_dir) / spec.data_file
    times, od, issues = read_plate(path, [*spec.wells, *spec.blanks], blanked=spec.blanked)
    blank = blank_of(od, spec, path)
    kept = [w for w in spec.wells if w in od.columns]
    return times, od[kept] if blank is None else od[kept].sub(blank.level, axis=0), blank, issues


def blank_of(od: pd.DataFrame, spec: PlateSpec, path: str | Path) -> Blank | None:
    """The blank of a plate from its readings (``od``: a column per readable well, the plate's blank wells
    and layout wells among them), None for raw readings.

    Raises
    ------
    PlateReaderError
        None of the plate's blank wells is readable.
    """
    if spec.blanked:
        kept = [w for w in spec.wells if w in od.columns]
        sd = _zero_sd(od[kept].to_numpy()) if kept and len(od) > 2 else 0.0
        level, blank_wells = np.zeros(len(od)), ()
    elif spec.blanks:
        blank_wells = tuple(w for w in spec.blanks if w in od.columns)
        if not blank_wells:
            raise PlateReaderError(f"{path}: plate {spec.date}: no readable blank well ({', '.join(spec.blanks)})")
        readings = od[list(blank_wells)].to_numpy()
        level = np.median(readings, axis=1)
        if len(blank_wells) > 1:
            sd = MAD_SCALE * float(np.median(np.abs(readings - level[:, None])))
        else:  # one well: the noise of its successive readings
            sd = MAD_SCALE * float(np.median(np.abs(np.diff(readings[:, 0])))) / np.sqrt(2.0)
    else:
        return None
    sd = max(sd, np.finfo(float).eps)
    return Blank(level, sd, blank_wells, spec.loq if spec.loq is not None else LOQ_SDS * sd)


def plate_wells(
    raw_dir: str | Path, spec: PlateSpec, window: int = WINDOW, curated: bool = True
) -> tuple[pd.DataFrame, list[WellIssue]]:
    """Per-well growth rates of one plate.

    Parameters
    ----------
    raw_dir : str or pathlib.Path
        The directory of the plate files.
    spec : PlateSpec
        The plate.
    window : int
        Points per fit.
    curated : bool
        Apply the start/stop file and the outlier list.

    Returns
    -------
    wells : pandas.DataFrame
        Columns: plate, well, medium (design index), replicate (1.. in the layout's order), growth_rate,
        fit_start (index of the fit window's first point, -1 if none), ln_gain
        (ln of the smoothed curve's max over its first value; with a blank, both at least the limit of
        quantification), loq (the limit of quantification of a blank-subtracted plate, OD above its
        blank; 0: raw readings), excluded, reason.
    issues : list of WellIssue

    Raises
    ------
    PlateReaderError
        If a file of the plate cannot be read.
    """
    raw_dir = Path(raw_dir)
    media = read_compositions(raw_dir, spec).index  # first: a design that does not fit the layout is the problem
    wells = spec.wells
    times, od, blank, issues = plate_curves(raw_dir, spec)
    floor = 0.0 if blank is None else blank.loq
    if curated:
        windows, window_issues = read_windows(raw_dir / spec.windows_file, wells)
        issues += window_issues
    else:
        windows = pd.DataFrame(np.nan, index=wells, columns=["start", "stop"])
    problems = {issue.well: issue.problem for issue in issues}
    records = []
    for medium, medium_wells in zip(media, spec.layout):
        for r, well in enumerate(medium_wells):
            rate, fit_start, gain, reason = np.nan, -1, np.nan, problems.get(well, "")
            if not reason:
                curve = od[well].to_numpy()
                smoothed = smooth(curve)
                gain = float(np.log(max(smoothed.max(), floor) / max(smoothed[0], floor)))
                rate, fit_start = max_growth_rate(times, curve, *windows.loc[well], window=window, floor=floor)
                if np.isnan(rate) and blank is not None and smoothed.max() < floor:
                    reason = f"never above the limit of quantification ({floor:.3g} OD above the blank)"
                    issues.append(WellIssue(spec.data_file, well, reason))
                elif np.isnan(rate) and blank is not None and curated:
                    reason = f"no fit window inside start/stop above the limit of quantification ({floor:.3g} OD)"
                    issues.append(WellIssue(spec.windows_file, well, reason))
                elif np.isnan(rate):
                    reason = "start/stop window too short for a fit"
                    issues.append(WellIssue(spec.windows_file, well, reason))
                elif curated and well in spec.outlier_wells:
                    reason = "outlier (curated)"
            records.append((spec.date, well, medium, r + 1, rate, fit_start, gain, floor, bool(reason), reason))
    columns = ["plate", "well", "medium", "replicate", "growth_rate", "fit_start", "ln_gain", "loq", "excluded",
               "reason"]
    return pd.DataFrame.from_records(records, columns=columns), issues


def medium_table(wells: pd.DataFrame, compositions: pd.DataFrame, replicates: int) -> pd.DataFrame:
    """Per medium: composition, replicate rates GR_1..GR_n (NaN if excluded), GR_AVG and GR_STD (ddof=1).

    Parameters
    ----------
    wells : pandas.DataFrame
        The per-well table of one plate (:func:`plate_wells`).
    compositions : pandas.DataFrame
        The design rows of the plate (:func:`read_compositions`).
    replicates : int
        n, the number of replicate columns (at least the most wells of a medium).

    Returns
    -------
    pandas.DataFrame
    """
    kept = wells.assign(growth_rate=wells["growth_rate"].where(~wells["excluded"]))
    rates = kept.pivot(index="medium", columns="replicate", values="growth_rate")
    rates = rates.reindex(index=compositions.index, columns=range(1, replicates + 1))
    rates.columns = columns = [f"GR_{i}" for i in rates.columns]
    rates["GR_AVG"] = rates[columns].mean(axis=1)
    rates["GR_STD"] = rates[columns].std(axis=1, ddof=1)
    table = pd.concat([compositions, rates], axis=1)
    table.index.name = None
    return table


def collect(raw_dir: str | Path, plate_fn: Callable[..., tuple[pd.DataFrame, list[WellIssue]]]) -> GrowthRates:
    """Run ``plate_fn(raw_dir, spec, window)`` on every plate of ``plates.json``, in its order.

    Parameters
    ----------
    raw_dir : str or pathlib.Path
        The directory of the plate files.
    plate_fn : callable
        Returns the per-well table and the issues of one plate, as :func:`plate_wells`.

    Returns
    -------
    GrowthRates
        The medium table (one row per tested medium), the per-well table and all issues.
    """
    window, plates, issues = read_curation(raw_dir)
    replicates = max(len(medium) for spec in plates for medium in spec.layout)  # one set of columns for all plates
    tables, all_wells = [], []
    for spec in plates:
        wells, plate_issues = plate_fn(raw_dir, spec, window)
        issues += plate_issues
        tables.append(medium_table(wells, read_compositions(raw_dir, spec), replicates))
        all_wells.append(wells)
    return GrowthRates(pd.concat(tables, ignore_index=True), pd.concat(all_wells, ignore_index=True), issues)


def curated_growth_rates(raw_dir: str | Path) -> GrowthRates:
    """The published growth-rate table, from the raw curves and the curators' files.

    Parameters
    ----------
    raw_dir : str or pathlib.Path
        Holds ``plates.json``, the design files and, per plate, its curves and fit windows
        (``<date>_data.csv`` and ``<date>_start_stop.csv`` unless ``plates.json`` names others).

    Returns
    -------
    GrowthRates

    Raises
    ------
    PlateReaderError
        If a file is missing or malformed as a whole (problems of single wells are issues).
    """
    return collect(raw_dir, plate_wells)
