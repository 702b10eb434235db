"""Figures of curve predictions: measured vs predicted curves, and the predicted substrate depletion.

Each figure is written as PNG and SVG (``<path>.png``, ``<path>.svg``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


def _grid(n: int):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(4, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False, sharex=True)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return plt, fig, axes.ravel()


def _save(plt, fig, path: Path) -> list[Path]:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    out = [path.with_suffix(".png"), path.with_suffix(".svg")]
    fig.savefig(out[0], dpi=120)
    fig.savefig(out[1])
    plt.close(fig)
    return out


def plot_curves(times: np.ndarray, measured: np.ndarray, predicted: np.ndarray, ids: Sequence[str], path,
                sd: np.ndarray | None = None, boundary: float | None = None, r2: np.ndarray | None = None,
                title: str = "") -> list[Path]:
    """Measured ln OD (points, ± SD band) against the predicted curve, one panel per medium.

    Parameters
    ----------
    times : numpy.ndarray
        T hours.
    measured, predicted : numpy.ndarray
        media x T ln OD (measured NaN: not read).
    ids : sequence of str
        Medium names (panel titles).
    path : str or Path
        Output without suffix.
    sd : numpy.ndarray, optional
        media x T replicate SD (a band around the measured points).
    boundary : float, optional
        Forecast boundary (a vertical line: fitted before, predicted after).
    r2 : numpy.ndarray, optional
        Per medium curve R² (in the panel title).
    title : str

    Returns
    -------
    list of Path
        The PNG and the SVG.
    """
    plt, fig, axes = _grid(len(ids))
    for i, ax in enumerate(axes[: len(ids)]):
        read = np.isfinite(measured[i])  # a curve's own readings
        if sd is not None:
            ax.fill_between(times[read], (measured[i] - sd[i])[read], (measured[i] + sd[i])[read], color="0.8",
                            label="measured ± SD")
        ax.plot(times[read], measured[i][read], "o", ms=3, color="k", label="measured")
        ax.plot(times, predicted[i], "-", color="tab:red", label="predicted")
        if boundary is not None:
            ax.axvline(boundary, ls="--", color="tab:blue", lw=1, label="forecast boundary")
        ax.set_title(f"{ids[i]}" + (f"  R²={r2[i]:.2f}" if r2 is not None else ""), fontsize=9)
        ax.set_xlabel("hours", fontsize=8)
        ax.set_ylabel("ln OD600", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0].legend(fontsize=6)
    if title:
        fig.suptitle(title, fontsize=10)
    return _save(plt, fig, path)


def plot_depletion(times: np.ndarray, concentrations: np.ndarray, compounds: Sequence[str], ids: Sequence[str],
                   path, top: int = 5, title: str = "") -> list[Path]:
    """Predicted concentrations (mM) over time, one panel per medium, its ``top`` most abundant compounds
    (at their peak: a secreted product that starts at 0 mM counts).

    Parameters
    ----------
    times : numpy.ndarray
        T hours.
    concentrations : numpy.ndarray
        media x T x compounds (mM).
    compounds : sequence of str
    ids : sequence of str
    path : str or Path
        Output without suffix.
    top : int
    title : str

    Returns
    -------
    list of Path
    """
    plt, fig, axes = _grid(len(ids))
    for i, ax in enumerate(axes[: len(ids)]):
        peak = concentrations[i].max(axis=0)
        for j in np.argsort(-peak)[:top]:
            if peak[j] > 0:
                ax.plot(times, concentrations[i, :, j], label=compounds[j])
        ax.set_title(str(ids[i]), fontsize=9)
        ax.set_xlabel("hours", fontsize=8)
        ax.set_ylabel("mM (available)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6)
    if title:
        fig.suptitle(title, fontsize=10)
    return _save(plt, fig, path)
