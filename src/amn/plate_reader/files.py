"""The files of a plate-reader experiment: the curation record, the design, the curves, the fit windows.

A directory of experiments has ``plates.json`` (the curation record: per plate, its design file
and rows, its layout and the wells the curators excluded) and, per plate, a table of curves
(``<plate>_data.csv``: a time column and one OD column per well) and, for the curated method,
the curators' fit windows (``<plate>_start_stop.csv``).

A plate's layout says which wells hold the replicates of each medium it tests, medium by medium
in the order of its design rows: a list of lists of wells in ``plates.json`` (``"layout"``, at the
top for every plate or in a plate's entry), or the name of a CSV plate map with columns ``well``
and ``medium`` (the medium's 1-based position among the plate's design rows, ``blank`` for a
blank well, empty for a well of no use; a medium's wells are its replicates in the order of the
map's rows).  Blank wells (medium without cells) may also be listed under ``"blanks"``, at the
top or per plate: their median reading is subtracted from every well.  ``"blanked": true`` says
the reader already subtracted a blank (readings may then be 0 or negative), and ``"loq"`` may give
the limit of quantification in OD.  Without a layout, the
layout of the E. coli DH5-alpha plates: medium ``i`` (1..10) in column ``i + 1`` of rows A..H
(8 replicates).  Any plate format is read (96, 384 or 1536 wells); well names are
case-insensitive and may be zero-padded (``a02`` is ``A2``).

A table of curves may also be a plate reader's own export (:func:`read_export`): CSV (comma,
semicolon or tab; decimal commas read) or Excel, its table below lines of metadata, with wells as
columns under a time header (Gen5-like) or as rows under a time row (Tecan-like).

Problems of a single well are returned as :class:`WellIssue`; problems of a whole file raise
:class:`~amn.errors.PlateReaderError`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from amn.csv_input import read_csv
from amn.errors import PlateReaderError

Layout = tuple[tuple[str, ...], ...]
"""The wells of each medium of a plate, in the order of the plate's design rows."""

DEFAULT_LAYOUT: Layout = tuple(tuple(f"{row}{m + 2}" for row in "ABCDEFGH") for m in range(10))
WINDOW = 6
_WELL = re.compile(r"(A[A-F]|[A-Z])0*([1-9]|[1-3][0-9]|4[0-8])")  # rows A..AF, columns 1..48: up to 1536 wells
_TIME = re.compile(r"time\s*(?:[(\[]\s*(h|hours?|min|minutes?|s|sec|seconds?)\s*[)\]])?", re.IGNORECASE)
_DECIMAL_COMMA = re.compile(r"-?\d+,\d+(?:[eE][-+]?\d+)?")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")


def read_times(column: pd.Series, unit: str | None = None) -> np.ndarray:
    """Hours from a plate reader's time column: numbers in ``unit`` (h, min or s; default h), or
    durations such as ``0:10:00`` or ``1 days 02:30:00``; NaN where a value is neither.

    Examples
    --------
    >>> read_times(pd.Series(["0:00:00", "0:10:00", "1:30:00"])).round(4).tolist()
    [0.0, 0.1667, 1.5]
    >>> read_times(pd.Series(["0", "600"]), "s").round(4).tolist()
    [0.0, 0.1667]
    """
    numbers = pd.to_numeric(column, errors="coerce")
    if numbers.notna().all():
        unit = (unit or "h").lower()
        return numbers.to_numpy(float) * (1.0 if unit.startswith("h") else 1 / 60 if unit.startswith("m") else 1 / 3600)
    durations = pd.to_timedelta(column.astype(str).str.strip(), errors="coerce")
    return (durations.dt.total_seconds() / 3600).to_numpy(float)


def time_column(table: pd.DataFrame, path: str | Path) -> str:
    """The one time column of a table (``TIME``, ``Time [s]``, ``time (min)``: :func:`read_times` reads it).

    Raises
    ------
    PlateReaderError
        No time column, or more than one.
    """
    named = [c for c in table.columns if _TIME.fullmatch(str(c).strip())]
    if len(named) != 1:
        raise PlateReaderError(f"{path}: needs one time column (TIME in hours, 'Time [s]', 'time (min)', or h:mm:ss "
                               f"values), found {len(named) or 'none'}" + (f": {', '.join(map(str, named))}" if named else ""))
    return named[0]


def time_unit(column: str) -> str | None:
    """The unit a time column's name gives (``"Time [s]"`` -> ``"s"``; None: hours).

    Examples
    --------
    >>> time_unit("Time [s]"), time_unit("time (min)"), time_unit("TIME")
    ('s', 'min', None)
    """
    found = _TIME.fullmatch(str(column).strip())
    return found[1] if found else None


def canonical_well(name: object) -> str | None:
    """The well a name stands for (``"a02"`` -> ``"A2"``), or None when it names no well.

    Examples
    --------
    >>> canonical_well("a02"), canonical_well("P24"), canonical_well("C5F7"), canonical_well("GR1")
    ('A2', 'P24', None, None)
    """
    found = _WELL.fullmatch(str(name).strip().upper())
    return f"{found[1]}{int(found[2])}" if found else None


def well_position(well: str) -> tuple[int, int]:
    """0-based (row, column) of a canonical well name: A1 -> (0, 0), P24 -> (15, 23), AF48 -> (31, 47).

    Examples
    --------
    >>> well_position("A1"), well_position("H12"), well_position("AF48")
    ((0, 0), (7, 11), (31, 47))
    """
    found = _WELL.fullmatch(well)
    letters = found[1]
    row = ord(letters[-1]) - ord("A") + (26 * (ord(letters[0]) - ord("A") + 1) if len(letters) == 2 else 0)
    return row, int(found[2]) - 1


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
        The plate's name (its key in ``plates.json``).
    compositions_file : str
        The design file (one row per medium, one column per compound).
    rows : tuple of int
        ``(first, last)``: the design rows ``first:last`` the plate tested, one per medium of the layout.
    outlier_wells : frozenset of str
        The wells the curators excluded.
    layout : tuple of tuple of str
        The wells of each medium, in the order of the design rows.
    data_file, windows_file : str
        The curves and the curators' fit windows (default ``<date>_data.csv``,
        ``<date>_start_stop.csv``).
    blanks : tuple of str
        Wells of medium without cells, whose reading is subtracted (none: the readings are used raw).
    blanked : bool
        The readings are already blank-subtracted (by the reader): they may be 0 or negative.
    loq : float or None
        The limit of quantification (OD above the blank) given in ``plates.json`` [default: estimated
        from the blank wells, or from the wells' first readings and reading noise].
    """

    date: str
    compositions_file: str
    rows: tuple[int, int]
    outlier_wells: frozenset[str]
    layout: Layout = DEFAULT_LAYOUT
    data_file: str = ""
    windows_file: str = ""
    blanks: tuple[str, ...] = ()
    blanked: bool = False
    loq: float | None = None

    def __post_init__(self) -> None:
        if not self.data_file:
            object.__setattr__(self, "data_file", f"{self.date}_data.csv")
        if not self.windows_file:
            object.__setattr__(self, "windows_file", f"{self.date}_start_stop.csv")

    @property
    def wells(self) -> list[str]:
        """The layout's wells, medium by medium.

        Examples
        --------
        >>> wells = PlateSpec("P1", "design.csv", (0, 10), frozenset()).wells
        >>> len(wells), wells[:3], wells[-1]
        (80, ['A2', 'B2', 'C2'], 'H11')
        """
        return [well for medium in self.layout for well in medium]


def _read_layout(value: object, raw_dir: Path, where: str) -> tuple[Layout, tuple[str, ...]]:
    """A layout as ``plates.json`` gives it (None: the default, a list of lists of wells, or a CSV plate
    map), and the blank wells a plate map marks ``blank``."""
    if value is None:
        return DEFAULT_LAYOUT, ()
    blanks: list[object] = []
    if isinstance(value, str):
        path = raw_dir / value
        table = read_csv(path, PlateReaderError, "plate map")
        if not {"well", "medium"} <= set(table.columns):
            raise PlateReaderError(f"{path}: a plate map needs the columns 'well' and 'medium'")
        is_blank = table["medium"].astype(str).str.strip().str.lower() == "blank"
        blanks = table.loc[is_blank, "well"].tolist()
        table = table[table["medium"].notna() & ~is_blank]  # empty: wells of no use (controls, edges)
        position = pd.to_numeric(table["medium"], errors="coerce")
        bad = np.flatnonzero(~(position.notna() & (position >= 1) & (position % 1 == 0)))
        if bad.size:
            raise PlateReaderError(f"{path}: column medium: {table['medium'].iloc[bad[0]]} at row {table.index[bad[0]] + 1} "
                                   "is not a position 1, 2, ... among the plate's design rows, nor 'blank'")
        media: list[list[object]] = [[] for _ in range(int(position.max()))] if len(position) else []
        for well, k in zip(table["well"], position.astype(int)):
            media[k - 1].append(well)
        where = f"{path}"
    elif isinstance(value, list) and all(isinstance(medium, list) for medium in value):
        media = value
    else:
        raise PlateReaderError(f"{where}: layout must be a list of lists of wells (one list per medium) "
                               "or the name of a CSV plate map")
    layout, seen = [], set()
    for k, medium in enumerate(media, start=1):
        wells = []
        for entry in medium:
            well = _well(entry, f"{where}: layout", f" (medium {k})")
            if well in seen:
                raise PlateReaderError(f"{where}: layout: well {well} is given to two media")
            seen.add(well)
            wells.append(well)
        if not wells:
            raise PlateReaderError(f"{where}: layout: medium {k} has no well")
        layout.append(tuple(wells))
    if not layout:
        raise PlateReaderError(f"{where}: layout has no medium")
    return tuple(layout), _read_blanks(blanks, where)


def _well(entry: object, where: str, detail: str = "") -> str:
    """The canonical name of a well entry of ``plates.json`` or a plate map, or a one-line error."""
    well = canonical_well(entry)
    if well is None:
        raise PlateReaderError(f"{where}: {entry!r}{detail} is not a well name")
    return well


def _read_blanks(value: object, where: str) -> tuple[str, ...]:
    """Blank wells as ``plates.json`` or a plate map give them: a list of well names."""
    if not isinstance(value, list):
        raise PlateReaderError(f"{where}: blanks must be a list of wells")
    wells = []
    for entry in value:
        well = _well(entry, f"{where}: blanks")
        if well in wells:
            raise PlateReaderError(f"{where}: blanks: well {well} is given twice")
        wells.append(well)
    return tuple(wells)


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
        If the file is missing or malformed, or a layout is not one.
    """
    raw_dir = Path(raw_dir)
    path = raw_dir / "plates.json"
    try:
        doc = json.loads(path.read_text())
        window = int(doc.get("window_size_points", WINDOW))
        plates, issues = [], []
        for date, entry in doc["plates"].items():
            missing = [key for key in ("compositions_file", "rows") if key not in entry]
            if missing:
                raise PlateReaderError(f"{path}: plate {date} has no {' and no '.join(repr(k) for k in missing)} "
                                       "(its design file and the design rows first:last it tested)")
            outliers = set()
            for item in entry.get("outlier_wells", []):
                well = canonical_well(item)
                if well is not None:
                    outliers.add(well)
                else:
                    issues.append(WellIssue(path.name, str(item).strip().upper(), f"plate {date}: not a well name, no well excluded"))
            first, last = (int(x) for x in entry["rows"])
            where = f"{path}: plate {date}"
            layout, mapped = _read_layout(entry.get("layout", doc.get("layout")), raw_dir, where)
            listed = _read_blanks(entry.get("blanks", doc.get("blanks", [])), where)
            blanks = tuple(dict.fromkeys(mapped + listed))
            in_media = sorted(set(blanks) & {well for medium in layout for well in medium})
            if in_media:
                raise PlateReaderError(f"{where}: well {in_media[0]} is both a blank and a medium's well")
            blanked, loq = entry.get("blanked", doc.get("blanked", False)), entry.get("loq", doc.get("loq"))
            if not isinstance(blanked, bool):
                raise PlateReaderError(f"{where}: blanked must be true or false, got {blanked!r}")
            if blanked and blanks:
                raise PlateReaderError(f"{where}: readings already blanked (\"blanked\": true) cannot have blank wells "
                                       "subtracted too")
            if loq is not None and (isinstance(loq, bool) or not isinstance(loq, (int, float)) or not loq > 0):
                raise PlateReaderError(f"{where}: loq must be a positive OD, got {loq!r}")
            if loq is not None and not (blanked or blanks):
                raise PlateReaderError(f"{where}: loq applies to blank-subtracted readings: give blank wells or "
                                       "\"blanked\": true")
            plates.append(PlateSpec(str(date), entry["compositions_file"], (first, last), frozenset(outliers), layout,
                                    entry.get("data_file", ""), entry.get("windows_file", ""), blanks, blanked,
                                    None if loq is None else float(loq)))
    except PlateReaderError:  # a layout's own message names its file
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PlateReaderError(f"{path}: cannot read the plate curation ({type(exc).__name__}: {exc})") from exc
    return window, plates, issues


def read_compositions(raw_dir: str | Path, spec: PlateSpec) -> pd.DataFrame:
    """The design rows a plate tested (one per medium of its layout; index as in the design file).

    Raises
    ------
    PlateReaderError
        If the design file cannot be read or the rows are not one per medium of the layout.
    """
    path = Path(raw_dir) / spec.compositions_file
    design = read_csv(path, PlateReaderError, "design file", index_col=0)  # a repeated compound is refused
    rows = design.iloc[spec.rows[0] : spec.rows[1]]
    if len(rows) != len(spec.layout):
        raise PlateReaderError(f"{path}: rows {spec.rows[0]}..{spec.rows[1]} of plate {spec.date} hold {len(rows)} "
                               f"media, but its layout has {len(spec.layout)}")
    rows.index.name = None
    return rows


def _well_columns(columns: pd.Index, path: Path) -> dict[str, str]:
    """The columns of a table that name wells, by canonical well name (``a02`` -> ``A2``)."""
    found: dict[str, str] = {}
    for column in columns:
        well = canonical_well(column)
        if well is None:
            continue
        if well in found:
            raise PlateReaderError(f"{path}: columns {found[well]!r} and {column!r} both name well {well}")
        found[well] = column
    return found


def _is_time(cell: str) -> bool:
    return bool(_TIME.fullmatch(cell.strip()))


def _grid(path: Path) -> list[list[str]]:
    """The cells of a file as strings, row by row: the first sheet of an Excel file, or a CSV split at the
    delimiter (tab, semicolon or comma) that yields a time header cell, decimal commas made points."""
    if path.suffix.lower() in EXCEL_SUFFIXES:
        try:
            sheet = pd.read_excel(path, header=None, dtype=str, sheet_name=0)
        except ImportError:
            raise PlateReaderError(f"{path}: reading Excel files needs openpyxl (pip install openpyxl)") from None
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            raise PlateReaderError(f"{path}: cannot read the plate ({exc})") from None
        return sheet.fillna("").astype(str).to_numpy().tolist()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlateReaderError(f"{path}: cannot read the plate ({exc})") from None
    for delimiter in ("\t", ";", ","):
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        if any(_is_time(cell) for row in rows for cell in row):
            break
    if delimiter != ",":
        rows = [[c.replace(",", ".") if _DECIMAL_COMMA.fullmatch(c.strip()) else c for c in row] for row in rows]
    return rows


def _export_table(rows: list[list[str]]) -> pd.DataFrame | None:
    """The first table of curves in the rows of a reader's export, as a header of column names and rows of
    strings (None: none found).  Its corner is a time cell (``Time``, ``Time [s]``) with either well names
    beside it in its row (wells as columns; the table ends at the first row with no time) or well names
    below it in its column (wells as rows, other rows such as ``Temp. [°C]`` skipped; the table ends at
    the first empty cell of the time row, and of the label column)."""
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if not _is_time(cell):
                continue
            if any(canonical_well(other) for other in row):
                body = []
                for line in rows[r + 1:]:
                    if c >= len(line) or not line[c].strip():
                        break
                    body.append((line + [""] * len(row))[: len(row)])
                return pd.DataFrame(body, columns=row)
            width = next((k for k, value in enumerate(row[c + 1:]) if not value.strip()), len(row) - c - 1)
            columns = {cell: row[c + 1 : c + 1 + width]}
            for line in rows[r + 1:]:
                if c >= len(line) or not line[c].strip():
                    break
                if canonical_well(line[c]):
                    columns.setdefault(line[c], (line[c + 1 :] + [""] * width)[:width])
            if len(columns) > 1:
                return pd.DataFrame(columns)
    return None


def read_export(path: str | Path) -> pd.DataFrame:
    """A table of curves as strings, its header the column names: a CSV whose first line is the header
    (a time column and well columns), or a plate reader's export, CSV or Excel (:func:`_export_table`).

    Raises
    ------
    PlateReaderError
        The file cannot be read.
    """
    path = Path(path)
    plain, failure = None, None
    if path.suffix.lower() not in EXCEL_SUFFIXES:
        try:
            plain = pd.read_csv(path, dtype=str, keep_default_na=False)  # keep "n/a" etc. for the message
        except OSError as exc:
            raise PlateReaderError(f"{path}: cannot read the plate ({exc})") from exc
        except ValueError as exc:  # ragged lines of metadata above an export's table, or no table at all
            failure = exc
        if plain is not None and any(_is_time(str(column)) for column in plain.columns):
            return plain
    rows = _grid(path)
    table = _export_table(rows)
    if table is not None:
        return table
    if failure is not None:
        raise PlateReaderError(f"{path}: cannot read the plate ({failure})")
    if plain is not None:
        return plain
    return pd.DataFrame(rows[1:], columns=rows[0]) if rows else pd.DataFrame()


def read_plate(path: str | Path, wells: list[str] | None = None, blanked: bool = False
               ) -> tuple[np.ndarray, pd.DataFrame, list[WellIssue]]:
    """Read a table of curves (``<plate>_data.csv``).

    A well that is missing, or has a non-numeric, missing or (unless ``blanked``) non-positive OD,
    is reported and left out of the returned OD table.

    Parameters
    ----------
    path : str or pathlib.Path
        A table with one time column (``TIME`` or ``Time``: hours, or h:mm:ss durations; a unit may
        follow, ``Time [s]``, ``time (min)``) and one column of OD600 per well; or a reader's export
        (:func:`read_export`).
    wells : list of str, optional
        The wells to read, canonical names (default: every column that names a well).
    blanked : bool
        The readings are blank-subtracted: 0 and negative ODs are readings too.

    Returns
    -------
    times : numpy.ndarray
        Hours, increasing.
    od : pandas.DataFrame
        One column per readable well, named canonically.
    issues : list of WellIssue

    Raises
    ------
    PlateReaderError
        If the file cannot be read, has not one time column or its times are not increasing,
        or two columns name one well.
    """
    path = Path(path)
    raw = read_export(path)
    column = time_column(raw, path)
    times = read_times(raw[column], time_unit(column))
    if len(times) < 2 or np.isnan(times).any() or (np.diff(times) <= 0).any():
        raise PlateReaderError(f"{path}: column {column}: times must be numbers or h:mm:ss durations, increasing")
    columns = _well_columns(raw.columns, path)
    issues: list[WellIssue] = []
    od = {}
    for well in wells if wells is not None else list(columns):
        if well not in columns:
            issues.append(WellIssue(path.name, well, "missing from the plate file"))
            continue
        text = raw[columns[well]]
        values = pd.to_numeric(text, errors="coerce").to_numpy(float)
        bad = np.flatnonzero(np.isnan(values))
        if bad.size:
            shown = repr(text.iloc[bad[0]]) if text.iloc[bad[0]].strip() else "(empty)"
            issues.append(WellIssue(path.name, well, f"non-numeric OD {shown} at TIME={times[bad[0]]:g} h"))
            continue
        bad = np.flatnonzero(values <= 0) if not blanked else []
        if len(bad):
            issues.append(WellIssue(path.name, well, f"non-positive OD {values[bad[0]]:g} at TIME={times[bad[0]]:g} h "
                                    "(readings a reader blanked: \"blanked\": true in plates.json)"))
            continue
        od[well] = values
    return times, pd.DataFrame(od), issues


def read_windows(path: str | Path, wells: list[str]) -> tuple[pd.DataFrame, list[WellIssue]]:
    """Read the curators' fit windows (``<plate>_start_stop.csv``).

    A well whose start is not before its stop, or whose values are not numbers,
    gets no window (row dropped) and an issue.

    Parameters
    ----------
    path : str or pathlib.Path
        A table with rows ``start`` and ``stop`` and one column per well.
    wells : list of str
        Canonical well names.

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
    columns = _well_columns(raw.columns, path)
    issues: list[WellIssue] = []
    rows = {}
    for well in wells:
        text = raw[columns[well]] if well in columns else pd.Series({"start": None, "stop": None})
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
