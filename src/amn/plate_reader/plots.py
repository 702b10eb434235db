"""Per-plate figures: the 8 x 12 grid of growth curves with the fitted window, for checking a curation by eye."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FormatStrFormatter, LogLocator, NullLocator

from amn.plate_reader.growth_rates import ROWS, WINDOW, read_plate, smooth

ALL_WELLS = [f"{row}{col}" for row in ROWS for col in range(1, 13)]
KEPT, EXCLUDED, OTHER = "tab:blue", "tab:red", "0.6"


def plot_plate(
    times: np.ndarray, od: pd.DataFrame, wells: pd.DataFrame, path: str | Path, title: str, window: int = WINDOW
) -> Path:
    """Write the figure of one plate as a PNG.

    Each well's raw OD (dots) and smoothed curve on a log scale, the fit window
    shaded and its line drawn; excluded wells in red, wells outside the layout in grey.

    Parameters
    ----------
    times : numpy.ndarray
        Hours.
    od : pandas.DataFrame
        One column per well (any of the 96).
    wells : pandas.DataFrame
        One row per layout well, with columns well, growth_rate, fit_start, excluded.
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
    info = wells.set_index("well")
    fig = Figure(figsize=(24, 14))  # Agg canvas, no pyplot: no global backend state, nothing left open
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(ROWS), 12, sharex=True, sharey=True)
    for ax, well in zip(axes.flat, ALL_WELLS):
        ax.set_title(well, fontsize=8, pad=2)
        if well not in od:
            ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center", fontsize=7)
            continue
        row = info.loc[well] if well in info.index else None
        colour = OTHER if row is None else (EXCLUDED if row["excluded"] else KEPT)
        ax.plot(times, od[well], ".", color=colour, markersize=1.5, alpha=0.4)
        smoothed = smooth(od[well].to_numpy())
        ax.plot(times, smoothed, "-", color=colour, linewidth=0.9)
        if row is not None and row["fit_start"] >= 0:
            fit = slice(int(row["fit_start"]), int(row["fit_start"]) + window)
            ax.axvspan(times[fit][0], times[fit][-1], color="gold", alpha=0.35, linewidth=0)
            t = times[fit]
            intercept = np.log(smoothed[fit]).mean() - row["growth_rate"] * t.mean()
            ax.plot(t, np.exp(intercept + row["growth_rate"] * t), "k-", linewidth=1.2)
            ax.set_title(f"{well}  {row['growth_rate']:.3f}/h", fontsize=8, pad=2, color=colour)
    axes[0, 0].set_yscale("log")
    axes[0, 0].yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    axes[0, 0].yaxis.set_minor_locator(NullLocator())  # minor log ticks on 96 axes dominate drawing time
    axes[0, 0].yaxis.set_major_formatter(FormatStrFormatter("%g"))
    for ax in axes.flat:
        ax.tick_params(labelsize=6, length=2)
    fig.suptitle(f"{title}  (blue: kept, red: excluded, grey: outside layout; shaded: fit window)")
    fig.supxlabel("time (h)")
    fig.supylabel("OD600")
    fig.subplots_adjust(left=0.04, right=0.99, bottom=0.05, top=0.93, wspace=0.15, hspace=0.35)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    return path


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
        times, od, _ = read_plate(data, [w for w in ALL_WELLS if w in pd.read_csv(data, nrows=0).columns])
        paths.append(plot_plate(times, od, plate, Path(out_dir) / f"{date}_curves.png", f"plate {date}", window))
    return paths
