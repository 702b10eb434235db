"""Per-plate figures: the grid of growth curves (8 x 12, 16 x 24 or 32 x 48 wells) with the fitted window,
for checking a curation by eye."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FormatStrFormatter, LogLocator, MaxNLocator, NullLocator

from amn.errors import PlateReaderError
from amn.plate_reader.files import read_curation, well_position
from amn.plate_reader.growth_rates import WINDOW, blank_of, read_plate, smooth

PLATE_FORMATS = ((8, 12), (16, 24), (32, 48))  # rows x columns of the 96-, 384- and 1536-well plates
KEPT, EXCLUDED, OTHER = "tab:blue", "tab:red", "0.6"
FIT, FIT_EDGE = "orange", "darkorange"


def _has_fit(row: pd.Series, n_times: int, window: int) -> bool:
    """Whether a per-well row has a fit window inside the curve (``fit_start`` >= 0, a finite rate)."""
    start, rate = row.get("fit_start", -1), row.get("growth_rate", np.nan)
    return bool(pd.notna(start) and pd.notna(rate) and 0 <= int(start) and int(start) + window <= n_times)


def plate_grid(wells: list[str]) -> list[str]:
    """Every well of the smallest plate format that holds ``wells``, row by row.

    Examples
    --------
    >>> grid = plate_grid(["A2", "H11"])
    >>> len(grid), grid[:2], grid[-1]
    (96, ['A1', 'A2'], 'H12')
    >>> len(plate_grid(["P24"])), plate_grid(["AF48"])[-1]
    (384, 'AF48')
    """
    rows = max((well_position(w)[0] for w in wells), default=0)
    columns = max((well_position(w)[1] for w in wells), default=0)
    n_rows, n_columns = next(((r, c) for r, c in PLATE_FORMATS if rows < r and columns < c), PLATE_FORMATS[-1])
    letters = [chr(ord("A") + r) if r < 26 else "A" + chr(ord("A") + r - 26) for r in range(n_rows)]
    return [f"{row}{column}" for row in letters for column in range(1, n_columns + 1)]


def plot_plate(
    times: np.ndarray, od: pd.DataFrame, wells: pd.DataFrame, path: str | Path, title: str, window: int = WINDOW,
    loq: float = 0.0,
) -> Path:
    """Write the figure of one plate as a PNG.

    Each well's OD (dots) and smoothed curve on a log scale; the fit window
    shaded in orange from its first to its last point, its points marked, the
    fitted exponential drawn over it (solid) and continued either side (dashed);
    excluded wells in red, wells outside the layout in grey.

    Parameters
    ----------
    times : numpy.ndarray
        Hours.
    od : pandas.DataFrame
        One column per well, named canonically (``A2``): the OD the fits used (raw, or above the blank).
    wells : pandas.DataFrame
        One row per layout well, with columns well, growth_rate, fit_start (index of the
        fit window's first point, -1 or NaN for none) and excluded, as
        :func:`~amn.plate_reader.growth_rates.plate_wells` writes them (also read back
        from ``--wells`` CSV).
    path : str or pathlib.Path
        The PNG to write (its directory is created).
    title : str
        Figure title.
    window : int
        Points per fit.
    loq : float
        The limit of quantification of blank-subtracted OD (a dotted line; the scale starts below it), 0 for raw OD.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    fig = _plate_figure(times, od, wells, title, window, loq)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    return path


def _plate_figure(times: np.ndarray, od: pd.DataFrame, wells: pd.DataFrame, title: str, window: int,
                  loq: float = 0.0) -> Figure:
    """The figure :func:`plot_plate` writes (axes in :func:`plate_grid` order)."""
    times = np.asarray(times, dtype=float)
    info = wells.set_index("well")
    grid = plate_grid([*od.columns, *info.index])
    n_columns = max(well_position(w)[1] for w in grid) + 1
    n_rows = len(grid) // n_columns
    fig = Figure(figsize=(2 * n_columns, 1.75 * n_rows))  # Agg canvas, no pyplot: no global state, nothing left open
    FigureCanvasAgg(fig)
    # one scale for all axes, set on each: sharing axes links every pair of them (quadratic in the wells)
    axes = fig.subplots(n_rows, n_columns)
    for ax, well in zip(axes.flat, grid):
        ax.set_title(well, fontsize=8, pad=2, y=1.0)  # fixed y: no tick-bbox layout per axes (slow)
        if well not in od:
            ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center", fontsize=7)
            continue
        row = info.loc[well] if well in info.index else None
        colour = OTHER if row is None else (EXCLUDED if row["excluded"] else KEPT)
        ax.plot(times, od[well], ".", color=colour, markersize=1.5, alpha=0.4)
        smoothed = smooth(od[well].to_numpy())
        ax.plot(times, smoothed, "-", color=colour, linewidth=0.9)
        if row is not None and _has_fit(row, len(times), window):
            fit = slice(int(row["fit_start"]), int(row["fit_start"]) + window)
            t = times[fit]
            # the window is `window` points (50 min at 10-min reads) of a day-long curve: a span
            # with edges, the fitted points, and the fitted exponential continued either side
            ax.axvspan(t[0], t[-1], facecolor=FIT, alpha=0.45, edgecolor=FIT_EDGE, linewidth=0.8, zorder=0)
            rate = float(row["growth_rate"])
            intercept = np.log(smoothed[fit]).mean() - rate * t.mean()
            span = max(float(times[-1] - times[0]), 1e-9)
            around = np.linspace(max(t[0] - 0.12 * span, times[0]), min(t[-1] + 0.12 * span, times[-1]), 50)
            line = np.exp(intercept + rate * around)
            line[(line < np.nanmin(smoothed)) | (line > np.nanmax(smoothed))] = np.nan  # keep the shared y range
            ax.plot(around, line, "--", color="k", linewidth=0.7)
            ax.plot(t, smoothed[fit], "o", color="k", markersize=2.2)
            ax.plot(t, np.exp(intercept + rate * t), "k-", linewidth=1.6)
            ax.set_title(f"{well}  {rate:.3f}/h", fontsize=8, pad=2, y=1.0, color=colour)
    values = od.to_numpy(dtype=float)
    values = values[np.isfinite(values) & (values > 0)]
    low, high = (values.min(), values.max()) if values.size else (0.01, 1.0)
    if loq > 0:  # blank-subtracted: what lies far below the limit is noise about 0
        low = max(low, loq / 3)
        for ax, well in zip(axes.flat, grid):
            if well in od:
                ax.axhline(loq, ls=":", color="0.4", linewidth=0.7)
    yticks = [y for y in LogLocator(subs=(1.0, 2.0, 5.0)).tick_values(low, high) if low <= y <= high] or [low]
    xlim = (times.min(), times.max()) if len(times) else (0.0, 1.0)
    xticks = [x for x in MaxNLocator(nbins=5).tick_values(*xlim) if xlim[0] <= x <= xlim[1]]
    for (row, column), ax in np.ndenumerate(axes):
        ax.set_yscale("log")
        ax.set_ylim(low / 1.05, high * 1.05)
        ax.set_xlim(xlim[0] - 0.05 * (xlim[1] - xlim[0]), xlim[1] + 0.05 * (xlim[1] - xlim[0]))  # matplotlib's margins
        ax.tick_params(labelsize=6, length=2)
        if row == n_rows - 1:  # ticks drawn on the outer axes only: drawing them on every axes is most of the time
            ax.xaxis.set_major_locator(FixedLocator(xticks))
        else:
            ax.xaxis.set_visible(False)
        if column == 0:
            ax.yaxis.set_major_locator(FixedLocator(yticks))
            ax.yaxis.set_minor_locator(NullLocator())
            ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        else:
            ax.yaxis.set_visible(False)
    blanked = f"; dotted: limit of quantification {loq:.3g}" if loq > 0 else ""
    fig.suptitle(f"{title}  (blue: kept, red: excluded, grey: outside layout; shaded orange: fit window, dashed: "
                 f"fitted exponential{blanked})")
    fig.supxlabel("time (h)")
    fig.supylabel("OD600 above the blank" if loq > 0 else "OD600")
    fig.subplots_adjust(left=0.04, right=0.99, bottom=0.05, top=0.93, wspace=0.15, hspace=0.35)
    return fig


def plate_figures(raw_dir: str | Path, wells: pd.DataFrame, out_dir: str | Path) -> Iterator[Path]:
    """Write one ``<date>_curves.png`` per plate of a per-well table, yielding each path once written
    (a caller shows progress; nothing is drawn until the iteration runs).

    Parameters
    ----------
    raw_dir : str or pathlib.Path
        The plate-reader directory (``plates.json`` gives each plate's curves and the fit window).
    wells : pandas.DataFrame
        A per-well table (``GrowthRates.wells``), with a column ``plate``.
    out_dir : str or pathlib.Path
        Where the figures go.

    Yields
    ------
    pathlib.Path

    Raises
    ------
    PlateReaderError
        A plate of the table that ``plates.json`` does not list, before any figure is drawn.
    """
    window, plates, _ = read_curation(raw_dir)
    specs = {spec.date: spec for spec in plates}
    for date in wells["plate"].unique():
        if str(date) not in specs:
            raise PlateReaderError(f"{Path(raw_dir) / 'plates.json'}: no plate {date} (named by the per-well table)")
    for date, plate in wells.groupby("plate", sort=False):
        spec = specs[str(date)]
        path = Path(raw_dir) / spec.data_file
        times, od, _ = read_plate(path, blanked=spec.blanked)  # every well: grey outside the layout
        blank = blank_of(od, spec, path)
        if blank is not None:  # the curves the fits used
            od = od.sub(blank.level, axis=0)
        yield plot_plate(times, od, plate, Path(out_dir) / f"{date}_curves.png", f"plate {date}", window,
                         0.0 if blank is None else blank.loq)
