"""Growth-curve tables: read and check the curves and the media they were measured in.

A :class:`CurveSet` holds, per medium, its initial composition (mM of each
compound, columns named by extracellular metabolite ids such as ``glc__D_e``, or by exchange or
uptake ids: :func:`amn.dynamics.network.compound_uptakes` maps them)
and its curve on one shared time grid: ln OD600 and, where known, its replicate
SD.  Curves read at different times (flasks sampled by hand) share the union of their
times, NaN where a medium was not read; each is fitted and scored at its own readings.
Two sources are read:

- a curve table (:func:`read_curve_table`): a media file with an ``ID`` column
  and one column per compound, and a curves file with ``T_<ID>`` (hours),
  ``OD_<ID>`` (ln OD) and optionally ``DEV_<ID>`` (SD) per medium, as the M28
  data set of the dynamic AMN work, or with one reading a row (``ID``, a time,
  ``log_od`` or ``od``, optionally ``sd``; replicate rows averaged);
- a plate-reader folder (:func:`read_plate_folder`), as read by
  :mod:`amn.plate_reader`: the wells of each medium (outliers left out) give
  the mean ln OD and its SD.

Every problem of the input raises a one-line :class:`~amn.errors.PlateReaderError`
naming the file and the column; what is left out on purpose (media without a
curve, wells a plate-reader file cannot give) is said in one warning each.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from amn.csv_input import read_csv
from amn.errors import PlateReaderError, id_list
from amn.plate_reader.files import read_compositions, read_curation, read_times, time_column, time_unit
from amn.plate_reader.growth_rates import plate_curves

#: Times of two curves closer than this (hours) are the same time.
TIME_TOLERANCE = 1e-6
#: Largest ln OD600 a curve may hold (OD600 about 150): larger values are OD in another unit, not ln OD.
MAX_LOG_OD = 5.0


@dataclass
class CurveSet:
    """Media and their growth curves on one time grid.

    Attributes
    ----------
    media : pandas.DataFrame
        One row per medium (index: medium id, str), one column per compound: initial concentration (mM).
    times : numpy.ndarray
        Hours, strictly increasing, shared by every curve.
    log_od : numpy.ndarray
        media x times, ln OD600; NaN where a medium was not read at that time.  A curve's first
        reading is its inoculum, the state its simulation starts from (:attr:`start`, :attr:`log_od0`).
    sd : numpy.ndarray or None
        media x times, replicate SD of ``log_od`` (None when not measured).
    source : str
        Where the curves come from (named in messages).
    """

    media: pd.DataFrame
    times: np.ndarray
    log_od: np.ndarray
    sd: np.ndarray | None = None
    source: str = "curves"

    def __post_init__(self) -> None:
        self.times = np.asarray(self.times, dtype=float)
        self.log_od = np.asarray(self.log_od, dtype=float)
        n, t = len(self.media), len(self.times)
        if self.log_od.shape != (n, t):
            raise PlateReaderError(f"{self.source}: log OD is {self.log_od.shape}, expected {n} media x {t} times")
        if self.sd is not None:
            self.sd = np.asarray(self.sd, dtype=float)
            if self.sd.shape != (n, t):
                raise PlateReaderError(f"{self.source}: SD is {self.sd.shape}, expected {n} media x {t} times")
            bad = np.argwhere(np.isfinite(self.log_od) & ~(self.sd >= 0))
            if bad.size:
                i, k = bad[0]
                raise PlateReaderError(f"{self.source}: SD {self.sd[i, k]:g} of medium {self.media.index[i]} at "
                                       f"{self.times[k]:g} h is not a number >= 0")
        if t < 2 or (np.diff(self.times) <= 0).any():
            raise PlateReaderError(f"{self.source}: times must be increasing")
        few = np.flatnonzero(self.read.sum(axis=1) < 2)
        if few.size:
            raise PlateReaderError(f"{self.source}: medium {self.ids[few[0]]} has one reading: a curve needs two or more")

    @property
    def read(self) -> np.ndarray:
        """media x times booleans: where a medium was read (all True on one shared grid)."""
        return np.isfinite(self.log_od)

    @property
    def first(self) -> np.ndarray:
        """Per medium, the index of its first reading among ``times``."""
        return self.read.argmax(axis=1)

    @property
    def start(self) -> np.ndarray:
        """Per medium, the time of its first reading (hours): its simulation starts there."""
        return self.times[self.first]

    @property
    def log_od0(self) -> np.ndarray:
        """Per medium, its first reading (ln OD): the inoculum its simulation starts from."""
        return self.log_od[np.arange(len(self.log_od)), self.first]

    @property
    def ids(self) -> list[str]:
        """Medium ids, in row order."""
        return [str(i) for i in self.media.index]

    @property
    def compounds(self) -> list[str]:
        """Compound (extracellular metabolite) ids, in column order."""
        return [str(c) for c in self.media.columns]

    def subset(self, rows) -> CurveSet:
        """The curves of some media (positions or a boolean mask)."""
        rows = np.arange(len(self.media))[rows]
        return CurveSet(self.media.iloc[rows], self.times, self.log_od[rows],
                        None if self.sd is None else self.sd[rows], self.source)


def _read_csv(path: Path, what: str, **options) -> pd.DataFrame:
    if not path.is_file():
        raise PlateReaderError(f"{path}: no such {what} file")
    return read_csv(path, PlateReaderError, f"{what} file", **options)  # a repeated column name is refused


def read_media(path: str | Path) -> pd.DataFrame:
    """A media file: an ``ID`` column and one numeric, non-negative column per compound (mM).

    Raises
    ------
    PlateReaderError
        No ``ID`` column, repeated ids, a non-numeric, NaN or negative concentration (file and column named).
    """
    path = Path(path)
    table = _read_csv(path, "media", dtype={"ID": str})  # ids as written: 005 is not 5
    if "ID" not in table.columns:
        raise PlateReaderError(f"{path}: no ID column")
    ids = table["ID"].astype(str).str.strip()
    if ids.duplicated().any():
        raise PlateReaderError(f"{path}: column ID: medium {ids[ids.duplicated()].iloc[0]} appears twice")
    media = table.drop(columns="ID")
    for column in media.columns:
        values = pd.to_numeric(media[column], errors="coerce")
        if values.isna().any() or (values < 0).any():
            row = int(np.flatnonzero(values.isna().to_numpy() | (values < 0).to_numpy())[0])
            raise PlateReaderError(f"{path}: column {column}: concentration {media[column].iloc[row]} "
                                   f"of medium {ids.iloc[row]} is not a number >= 0")
        media[column] = values.astype(float)
    media.index = pd.Index(ids, name="ID")
    media.attrs["source"] = str(path)
    return media


def read_curve_table(media_path: str | Path, curves_path: str | Path) -> CurveSet:
    """Curves in a table, with the media they grew in.

    Two layouts of the curves file are read:

    - wide, as the M28 data set: per medium ``T_<ID>`` (hours), ``OD_<ID>`` (ln OD600) and
      optionally ``DEV_<ID>`` (its SD);
    - long, one reading a row: an ``ID`` (or ``medium``) column, a time column (``time`` in
      hours, ``Time [s]``, ``time (min)``, or h:mm:ss), and ``log_od`` (ln OD600) or ``od``
      (OD600), optionally ``sd`` (SD of ln OD).  Rows of one medium at one time are its
      replicates: their mean ln OD and its SD are the curve (then no ``sd`` column).

    Curves read at different times are put on the union of their times, NaN where a medium was not
    read (a note says so); each curve's simulation starts from its own first reading, its inoculum.

    Parameters
    ----------
    media_path : str or Path
        See :func:`read_media`.
    curves_path : str or Path
        The curves, wide or long.

    Returns
    -------
    CurveSet
        The media that have a curve, in the curves file's order.

    Raises
    ------
    PlateReaderError
        A curve without a medium in the media file (or without its times), a column that is no
        curve's, SDs for some curves only, times that are not increasing, a NaN or non-numeric OD or SD, a negative SD, a non-positive OD, or a ln OD above
        :data:`MAX_LOG_OD` (not a ln OD) -- file and column named.

    Warns
    -----
    UserWarning
        Media of the media file without a curve (left out), one line naming them.
    """
    media = read_media(media_path)
    path = Path(curves_path)
    table = _read_csv(path, "curves")
    if any(str(c).startswith("OD_") for c in table.columns):
        ids, times, od, sd = _wide_curves(table, path, media, media_path)
    else:  # ids as written, as in the media file: 005 is not 5
        ids, times, od, sd = _long_curves(_read_csv(path, "curves", dtype=str), path, media, media_path)
    unused = [str(i) for i in media.index if str(i) not in set(ids)]
    if unused:
        warnings.warn(f"{media_path}: {len(unused)} medium(s) without a curve in {path} left out: {id_list(unused)}",
                      UserWarning, stacklevel=2)
    return CurveSet(media.loc[ids], times, od, sd, str(path))


def _unknown_media(ids: list[str], media: pd.DataFrame, path: Path, media_path, column: str) -> None:
    unknown = [i for i in ids if i not in media.index]
    if unknown:
        raise PlateReaderError(f"{path}: column {column.format(unknown[0])}: no medium {unknown[0]} in {media_path} "
                               f"({len(unknown)} curve(s) without a medium: {id_list(unknown)})")


def _check_log_od(values: np.ndarray, path: Path, column: str, rows: np.ndarray | None = None) -> None:
    if (values > MAX_LOG_OD).any():
        k = int(np.flatnonzero(values > MAX_LOG_OD)[0])
        raise PlateReaderError(f"{path}: column {column}: {values[k]:g} at row {(k if rows is None else rows[k]) + 1} is "
                               f"not a ln OD600 (above {MAX_LOG_OD:g}, OD600 {np.exp(MAX_LOG_OD):.0f}): give ln OD")


def _wide_curves(table: pd.DataFrame, path: Path, media: pd.DataFrame, media_path):
    """The ``T_<ID>`` / ``OD_<ID>`` / ``DEV_<ID>`` layout: ids, times, ln OD, SD (or None)."""
    ids = [c[3:] for c in table.columns if c.startswith("OD_")]
    _unknown_media(ids, media, path, media_path, "OD_{}")
    expected = {f"{kind}_{i}" for i in ids for kind in ("T", "OD", "DEV")}
    stray = [str(c) for c in table.columns if c not in expected and not str(c).startswith("Unnamed:")]
    if stray:
        raise PlateReaderError(f"{path}: column {stray[0]}: not the T_<ID>, OD_<ID> or DEV_<ID> column of a curve "
                               f"(curves: {id_list(ids)})")
    with_sd = [f"DEV_{i}" in table.columns for i in ids]
    if any(with_sd) and not all(with_sd):
        raise PlateReaderError(f"{path}: column DEV_{ids[with_sd.index(False)]} is missing: give the SD of every "
                               "curve, or of none")
    with_sd = all(with_sd)
    grids, od, sd = [], [], []
    for i in ids:
        if f"T_{i}" not in table.columns:
            raise PlateReaderError(f"{path}: column OD_{i} has no T_{i} column")
        columns = [f"T_{i}", f"OD_{i}"] + ([f"DEV_{i}"] if with_sd else [])
        rows = _readings(table[columns], path)
        t = _numeric(rows[f"T_{i}"], path, f"T_{i}", "time")
        if (np.diff(t) <= 0).any():
            k = int(np.flatnonzero(np.diff(t) <= 0)[0]) + 1
            raise PlateReaderError(f"{path}: column T_{i}: times not increasing (row {k + 1}: {t[k]:g} h after {t[k - 1]:g} h)")
        grids.append(t)
        od.append(_numeric(rows[f"OD_{i}"], path, f"OD_{i}", "OD"))
        _check_log_od(od[-1], path, f"OD_{i}")
        if with_sd:
            sd.append(_numeric(rows[f"DEV_{i}"], path, f"DEV_{i}", "SD"))
            if (sd[-1] < 0).any():
                k = int(np.flatnonzero(sd[-1] < 0)[0])
                raise PlateReaderError(f"{path}: column DEV_{i}: SD {sd[-1][k]:g} at row {k + 1} is negative")
    return ids, *_on_shared_times(grids, od, sd if with_sd else None, ids, path)


def _readings(columns: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The rows of one wide curve (``T_``, ``OD_``, ``DEV_``) up to its last reading: a curve read fewer times
    than others ends in empty cells; an empty cell before that is an error of :func:`_numeric`."""
    filled = columns.notna().any(axis=1).to_numpy()
    end = int(np.flatnonzero(filled)[-1]) + 1 if filled.any() else 0
    return columns.iloc[:end]


def _long_curves(table: pd.DataFrame, path: Path, media: pd.DataFrame, media_path):
    """One reading a row (``ID``, a time, ``log_od`` or ``od``, optional ``sd``): ids, times, ln OD, SD (or None)."""
    names = {str(c).strip().lower(): c for c in table.columns if not str(c).startswith("Unnamed:")}
    id_column = names.get("id", names.get("medium"))
    ods = [names[k] for k in ("log_od", "ln_od", "od", "od600") if k in names]
    if id_column is None or len(ods) != 1:
        raise PlateReaderError(f"{path}: no OD_<ID> column (wide layout), nor the columns ID, a time, and one of "
                               "log_od (ln OD600) or od (OD600) of a table with one reading a row")
    od_column, sd_column = ods[0], names.get("sd")
    time = time_column(table.drop(columns=[id_column]), path)
    stray = [str(c) for c in names.values() if c not in {id_column, time, od_column, sd_column}]
    if stray:
        raise PlateReaderError(f"{path}: column {stray[0]}: not {id_column}, {time}, {od_column} or sd of a table with "
                               "one reading a row")
    rows = pd.DataFrame({"id": table[id_column].astype(str).str.strip(), "t": read_times(table[time].astype(str),
                                                                                          time_unit(time))})
    bad = np.flatnonzero(np.isnan(rows["t"].to_numpy()))
    if bad.size:
        raise PlateReaderError(f"{path}: column {time}: {table[time].iloc[bad[0]]!r} at row {bad[0] + 1} is not a time")
    values = _numeric(table[od_column], path, str(od_column), "OD")
    if str(od_column).lower() in ("od", "od600"):
        if (values <= 0).any():
            k = int(np.flatnonzero(values <= 0)[0])
            raise PlateReaderError(f"{path}: column {od_column}: OD {values[k]:g} at row {k + 1} is not positive "
                                   "(give blank-free OD600 > 0, or ln OD as log_od)")
        values = np.log(values)
    _check_log_od(values, path, str(od_column))
    rows["y"] = values
    if sd_column is not None:
        rows["sd"] = _numeric(table[sd_column], path, str(sd_column), "SD")
        if (rows["sd"] < 0).any():
            k = int(np.flatnonzero(rows["sd"] < 0)[0])
            raise PlateReaderError(f"{path}: column {sd_column}: SD {rows['sd'].iloc[k]:g} at row {k + 1} is negative")
    ids = list(dict.fromkeys(rows["id"]))
    _unknown_media(ids, media, path, media_path, id_column + " ({})")
    readings = rows.groupby(["id", "t"])  # sorted: each medium's times increase
    counts = readings.size()
    replicated = bool((counts > 1).any())
    if sd_column is not None and replicated:
        i, t = counts[counts > 1].index[0]
        raise PlateReaderError(f"{path}: medium {i} has two readings at {t:g} h and an sd column: give the replicates "
                               "without sd (their SD is computed), or their mean with it")
    mean = readings["y"].mean()
    spread = readings["sd"].mean() if sd_column is not None else readings["y"].std(ddof=1).fillna(0.0)
    grids = [mean.loc[i].index.to_numpy(float) for i in ids]
    few = [i for i, t in zip(ids, grids) if len(t) < 2]
    if few:
        raise PlateReaderError(f"{path}: column {time}: medium {few[0]} has one time: a curve needs two times or more")
    with_sd = sd_column is not None or replicated
    return ids, *_on_shared_times(grids, [mean.loc[i].to_numpy() for i in ids],
                                  [spread.loc[i].to_numpy() for i in ids] if with_sd else None, ids, path)


def _on_shared_times(grids: list[np.ndarray], values: list[np.ndarray], sds: list[np.ndarray] | None, ids: list[str],
                     path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Curves each on its own times (``grids``) as media x times arrays on the union of the times (NaN where a
    medium was not read), with a note when they differ; times closer than ``TIME_TOLERANCE`` are one."""
    few = [i for i, g in zip(ids, grids) if len(g) < 2]
    if few:
        raise PlateReaderError(f"{path}: medium {few[0]} has one reading: a curve needs two or more")
    first = grids[0]
    if all(len(g) == len(first) and np.abs(g - first).max() <= TIME_TOLERANCE for g in grids):
        return first, np.array(values), None if sds is None else np.array(sds)
    every = np.sort(np.concatenate(grids))
    times = every[np.concatenate([[True], np.diff(every) > TIME_TOLERANCE])]
    late = sum(g[0] > times[0] + TIME_TOLERANCE for g in grids)
    od = np.full((len(grids), len(times)), np.nan)
    sd = None if sds is None else np.full_like(od, np.nan)
    for k, grid in enumerate(grids):
        at = np.minimum(np.searchsorted(times, grid - TIME_TOLERANCE), len(times) - 1)
        od[k, at] = values[k]
        if sd is not None:
            sd[k, at] = sds[k]
    warnings.warn(f"{path}: curves read at different times ({min(map(len, grids))}-{max(map(len, grids))} readings "
                  f"each): on the {len(times)} times of all of them, each fitted and scored at its own readings"
                  + (f"; {late} first read after {times[0]:g} h, each simulated from its first reading" if late else ""),
                  UserWarning, stacklevel=3)
    return times, od, sd


def _numeric(column: pd.Series, path: Path, name: str, what: str) -> np.ndarray:
    values = pd.to_numeric(column, errors="coerce").to_numpy(float)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        cell = column.iloc[bad[0]]
        shown = "missing" if pd.isna(cell) else repr(cell.item() if isinstance(cell, np.generic) else cell)
        raise PlateReaderError(f"{path}: column {name}: {what} {shown} at row {bad[0] + 1} is not a number")
    return values


def compound_of(uptake_id: str) -> str:
    """The extracellular metabolite of an uptake reaction id: ``EX_rib__D_e_i`` -> ``rib__D_e``."""
    return uptake_id.removeprefix("EX_").removesuffix("_i")


def read_plate_folder(raw_dir: str | Path, concentration: float = 1.0, every: int = 1,
                      until: float | None = None) -> CurveSet:
    """Mean curves per medium of the plates of a plate-reader folder (see :mod:`amn.plate_reader.files`).

    Per medium, the wells that are readable and not flagged as outliers give the mean ln OD and its
    SD at every time; on a blank-subtracted plate, of the OD above the blank, floored at the limit of
    quantification (:func:`~amn.plate_reader.growth_rates.plate_curves`).  The readings of the first
    plate are the times of every curve, cut to the span that every plate covers (and to ``until``);
    a plate read at other times has its wells' ln OD interpolated linearly onto them, with a note.  The design's 0/1 columns (uptake ids, ``EX_<met>_i``) become compound columns
    ``<met>`` at ``concentration`` mM when present.

    Parameters
    ----------
    raw_dir : str or Path
        Holds ``plates.json``, the design files and the curves of each plate (``<date>_data.csv``).
    concentration : float, default 1.0
        mM of a compound marked present.
    every : int, default 1
        Keep every ``every``-th reading.
    until : float, optional
        Last time kept (hours) [default: the end of the shortest plate].

    Returns
    -------
    CurveSet
        Media ids ``<date>:<design row>``, in ``plates.json`` order (that of the growth-rate table).

    Raises
    ------
    PlateReaderError
        A missing or malformed file, a medium without a usable well, or plates whose readings share
        no span of time.

    Warns
    -----
    UserWarning
        One line per well left out because its file cannot give it (missing, a non-numeric or
        non-positive reading; curated outliers aside), per curation entry that names no well, and
        per plate interpolated onto the first plate's readings.
    """
    raw_dir = Path(raw_dir)
    _, plates, issues = read_curation(raw_dir)
    notes = [f"{raw_dir / issue.file}: {issue.well}: {issue.problem}" for issue in issues]
    curves, rows, ids, grids = [], [], [], []
    for k, spec in enumerate(plates):
        design = read_compositions(raw_dir, spec)
        times, od, blank, unreadable = plate_curves(raw_dir, spec)
        notes += [f"{raw_dir / issue.file}: well {issue.well}: {issue.problem}; left out" for issue in unreadable
                  if issue.well not in spec.outlier_wells]
        if blank is not None:  # below the limit of quantification, a blanked reading says only "that low or less"
            notes.append(f"{raw_dir / spec.data_file}: {blank}; readings below it set to it")
            od = od.clip(lower=blank.loq)
        grids.append(times)
        for medium, wells in zip(design.index, spec.layout):
            kept = [w for w in wells if w in od.columns and w not in spec.outlier_wells]
            if not kept:
                raise PlateReaderError(f"{raw_dir / spec.data_file}: medium {medium} (wells "
                                       f"{', '.join(wells)}) has no readable well that is not an outlier")
            curves.append((k, np.log(od[kept].to_numpy())))
            rows.append(design.loc[medium].astype(float).rename(compound_of) * concentration)  # named: any order
            ids.append(f"{spec.date}:{medium}")
    low = max(g[0] for g in grids) - TIME_TOLERANCE
    high = min([g[-1] for g in grids] + ([until] if until is not None else [])) + TIME_TOLERANCE
    times = grids[0][(grids[0] >= low) & (grids[0] <= high)]
    if len(times) < 2:
        raise PlateReaderError(f"{raw_dir / 'plates.json'}: the plates' readings share no span of time "
                               f"({plates[0].data_file} reads {grids[0][0]:g}-{grids[0][-1]:g} h)")
    starts: list[int | None] = []  # per plate: where the common readings start in its own, None: interpolate
    for spec, grid in zip(plates, grids):
        first = int(np.searchsorted(grid, times[0] - TIME_TOLERANCE))
        shared = grid[first : first + len(times)]
        if len(shared) == len(times) and np.abs(shared - times).max() <= 1e-3:
            starts.append(first)
        else:
            starts.append(None)
            notes.append(f"{raw_dir / spec.data_file}: read at other times than {plates[0].data_file}; "
                         "its curves are interpolated onto those readings")
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    keep = np.arange(0, len(times), max(1, int(every)))
    curves = [(lnod[starts[k] : starts[k] + len(times)] if starts[k] is not None
               else np.column_stack([np.interp(times, grids[k], well) for well in lnod.T]))[keep]
              for k, lnod in curves]
    mean = np.array([c.mean(axis=1) for c in curves])
    sd = np.array([c.std(axis=1, ddof=1) if c.shape[1] > 1 else np.zeros(len(keep)) for c in curves])
    # a compound missing from a plate's design is absent from that plate's media
    media = pd.DataFrame(rows).fillna(0.0).set_axis(pd.Index(ids, name="ID"))
    media.attrs["source"] = str(raw_dir)
    return CurveSet(media, times[keep], mean, sd, str(raw_dir))
