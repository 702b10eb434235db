"""Per-plate figures: the 8 x 12 grid of growth curves with the fitted window, for checking a curation by eye."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FormatStrFormatter, LogLocator, MaxNLocator, NullLocator

from amn.plate_reader.growth_rates import ROWS, WINDOW, read_plate, smooth

ALL_WELLS = [f"{row}{col}" for row in ROWS for col in range(1, 13)]
KEPT, EXCLUDED, OTHER = "tab:blue", "tab:red", "0.6"
FIT, FIT_EDGE = "orange", "darkorange"


def _has_fit(row: pd.Series, n_times: int, window: int) -> bool:
    """Whether a per-well row has a fit window inside the curve (``fit_start`` >= 0, a finite rate)."""
    start, rate = row.get("fit_start", -1), row.get("growth_rate", np.nan)
    return bool(pd.notna(start) and pd.notna(rate) and 0 <= int(start) and int(start) + window <= n_times)


def plot_plate(
    times: np.ndarray, od: pd.DataFrame, wells: pd.DataFrame, path: str | Path, title: str, window: int = WINDOW
) -> Path:
    """Write the figure of one plate as a PNG.

    Each well's raw OD (dots) and smoothed curve on a log scale; the fit window
    shaded in orange from its first to its last point, its points marked, the
    fitted exponential drawn over it (solid) and continued either side (dashed);
    excluded wells in red, wells outside the layout in grey.

    Parameters
    ----------
    times : numpy.ndarray
        Hours.
    od : pandas.DataFrame
        One column per well (any of the 96).
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

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    fig = _plate_figure(times, od, wells, title, window)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    return path


def _plate_figure(times: np.ndarray, od: pd.DataFrame, wells: pd.DataFrame, title: str, window: int) -> Figure:
    """The figure :func:`plot_plate` writes (axes in ``ALL_WELLS`` order)."""
    times = np.asarray(times, dtype=float)
    info = wells.set_index("well")
    fig = Figure(figsize=(24, 14))  # Agg canvas, no pyplot: no global backend state, nothing left open
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(ROWS), 12, sharex=True, sharey=True)
    for ax, well in zip(axes.flat, ALL_WELLS):
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
    # ticks computed once for the shared axes: locating ticks on 96 axes dominates drawing time
    axes[0, 0].set_yscale("log")
    values = od.to_numpy(dtype=float)
    values = values[np.isfinite(values) & (values > 0)]
    if values.size:
        low, high = values.min(), values.max()
        axes[0, 0].yaxis.set_major_locator(FixedLocator([y for y in LogLocator(subs=(1.0, 2.0, 5.0)).tick_values(low, high)
                                                         if low <= y <= high] or [low]))
    axes[0, 0].yaxis.set_minor_locator(NullLocator())
    axes[0, 0].yaxis.set_major_formatter(FormatStrFormatter("%g"))
    if len(times):
        xticks = MaxNLocator(nbins=5).tick_values(times.min(), times.max())
        axes[0, 0].xaxis.set_major_locator(FixedLocator([x for x in xticks if times.min() <= x <= times.max()]))
    for ax in axes.flat:
        ax.tick_params(labelsize=6, length=2)
    fig.suptitle(f"{title}  (blue: kept, red: excluded, grey: outside layout; shaded orange: fit window, dashed: fitted exponential)")
    fig.supxlabel("time (h)")
    fig.supylabel("OD600")
    fig.subplots_adjust(left=0.04, right=0.99, bottom=0.05, top=0.93, wspace=0.15, hspace=0.35)
    return fig


def plate_figures(raw_dir: str | Path, wells: pd.DataFrame, out_dir: str | Path, window: int = WINDOW) -> list[Path]:
    """Write one ``<date>_curves.png`` per plate of a per-well table.

    Parameters
    ----------
    raw_dir : str or pathlib.Path
        The directory of the ``<date>_data.csv`` curves.
    wells : pandas.DataFrame
        A per-well table (``GrowthRates.wells``), with a column ``plate``.
    out_dir : str or pathlib.Path
        Where the figures go.
    window : int
        Points per fit.

    Returns
    -------
    list of pathlib.Path
    """
    paths = []
    for date, plate in wells.groupby("plate", sort=False):
        data = Path(raw_dir) / f"{date}_data.csv"
        columns = set(pd.read_csv(data, nrows=0).columns)  # read once, not once a well
        times, od, _ = read_plate(data, [w for w in ALL_WELLS if w in columns])
        paths.append(plot_plate(times, od, plate, Path(out_dir) / f"{date}_curves.png", f"plate {date}", window))
    return paths
