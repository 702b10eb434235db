"""The files of a plate-reader experiment: the curation record, the design, the curves, the fit windows.

A plate holds 96 wells read every 10 minutes; medium ``i`` (1..10) sits in
column ``i + 1`` of rows A..H (8 replicates).  A directory of experiments has
``plates.json`` (the curation record: per plate, its design file and rows and
the wells the curators excluded) and, per plate, ``<date>_data.csv`` (the
curves) and ``<date>_start_stop.csv`` (the curators' fit windows).

Problems of a single well are returned as :class:`WellIssue`; problems of a
whole file raise :class:`~amn.errors.PlateReaderError`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from amn.csv_input import read_csv
from amn.errors import PlateReaderError

ROWS = "ABCDEFGH"
N_MEDIA = 10
WINDOW = 6
_WELL = re.compile(r"[A-H](?:1[0-2]|[1-9])")


@dataclass(frozen=True)
class WellIssue:
    """A problem confined to one well; the well gets no growth rate, the others are processed.

    Attributes
    ----------
    file : str
        Name of the file the problem is in.
    well : str
        The well (``"C7"``), or the offending entry of a curation file.
    problem : str
        What is wrong, in a few words.
    """

    file: str
    well: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: well {self.well}: {self.problem}"

@dataclass(frozen=True)
class PlateSpec:
    """One plate of ``plates.json``.

    Attributes
    ----------
    date : str
        The plate's name; its files are ``<date>_data.csv`` and ``<date>_start_stop.csv``.
    compositions_file : str
        The design file (0/1 per compound, one row per medium).
    rows : tuple of int
        ``(first, last)``: the design rows ``first:last`` the plate tested (10 media).
    outlier_wells : frozenset of str
        The wells the curators excluded.
    """

    date: str
    compositions_file: str
    rows: tuple[int, int]
    outlier_wells: frozenset[str]

def well_name(medium: int, replicate: int) -> str:
    """The well of a medium and a replicate, both 0-based.

    Examples
    --------
    >>> well_name(0, 0), well_name(9, 7)
    ('A2', 'H11')
    """
    return f"{ROWS[replicate]}{medium + 2}"


def layout_wells() -> list[str]:
    """The 80 wells of the 10 media, medium by medium, replicates A..H.

    Examples
    --------
    >>> wells = layout_wells()
    >>> len(wells), wells[:3], wells[-1]
    (80, ['A2', 'B2', 'C2'], 'H11')
    """
    return [well_name(m, r) for m in range(N_MEDIA) for r in range(len(ROWS))]


def read_curation(raw_dir: str | Path) -> tuple[int, list[PlateSpec], list[WellIssue]]:
    """Read the curation record ``plates.json`` of a directory.

    An outlier entry that is not one well name (``"C5F7"``) matches no well, as
    in the published table, and is reported.

    Parameters
    ----------
    raw_dir : str or pathlib.Path
        The directory of the plate files.

    Returns
    -------
    window : int
        Points per fit window (``window_size_points``, default 6).
    plates : list of PlateSpec
        In table order.
    issues : list of WellIssue
        Outlier entries that name no well.

    Raises
    ------
    PlateReaderError
        If the file is missing or malformed.
    """
    path = Path(raw_dir) / "plates.json"
    try:
        doc = json.loads(path.read_text())
        window = int(doc.get("window_size_points", WINDOW))
        plates, issues = [], []
        for date, entry in doc["plates"].items():
            outliers = set()
            for item in (str(w).strip().upper() for w in entry.get("outlier_wells", [])):  # "a2" is well A2
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
    """The design rows a plate tested (0/1 per compound, index as in the design file).

    Raises
    ------
    PlateReaderError
        If the design file cannot be read or the rows do not hold 10 media.
    """
    path = Path(raw_dir) / spec.compositions_file
    design = read_csv(path, PlateReaderError, "design file", index_col=0)  # a repeated compound is refused
    rows = design.iloc[spec.rows[0] : spec.rows[1]]
    if len(rows) != N_MEDIA:
        raise PlateReaderError(f"{path}: rows {spec.rows[0]}..{spec.rows[1]} hold {len(rows)} media, not {N_MEDIA}")
    rows.index.name = None
    return rows


def read_plate(path: str | Path, wells: list[str] | None = None) -> tuple[np.ndarray, pd.DataFrame, list[WellIssue]]:
    """Read the curves of a ``<date>_data.csv``.

    A well that is missing, or has a non-numeric, missing or non-positive OD,
    is reported and left out of the returned OD table.

    Parameters
    ----------
    path : str or pathlib.Path
        A table with a ``TIME`` column (hours) and one column of OD600 per well.
    wells : list of str, optional
        The wells to read (default: the 80 layout wells).

    Returns
    -------
    times : numpy.ndarray
        Hours, increasing.
    od : pandas.DataFrame
        One column per readable well.
    issues : list of WellIssue

    Raises
    ------
    PlateReaderError
        If the file cannot be read or ``TIME`` is missing, not numeric or not increasing.
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
    """Read the curators' fit windows of a ``<date>_start_stop.csv``.

    A well whose start is not before its stop, or whose values are not numbers,
    gets no window (row dropped) and an issue.

    Parameters
    ----------
    path : str or pathlib.Path
        A table with rows ``start`` and ``stop`` and one column per well.
    wells : list of str

    Returns
    -------
    windows : pandas.DataFrame
        Columns ``start``, ``stop`` (hours, NaN = curve end), one row per well.
    issues : list of WellIssue

    Raises
    ------
    PlateReaderError
        If the file cannot be read or lacks the ``start`` or ``stop`` row.
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
