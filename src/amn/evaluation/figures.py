"""Figures: predictions against references (flux datasets) and against measurements (CV results)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from amn.evaluation.metrics import r2
from amn.evaluation.validation import CVResult


def predicted_vs_reference(reference, predicted, path: str | Path, title: str, xlabel: str = "reference",
                           ylabel: str = "predicted", others: dict | None = None, label: str = "predicted") -> Path:
    """Scatter of predictions against references with the identity line and Q^2 in the title.

    ``others`` adds more series (label -> predictions) on the same axes, drawn
    below the main one (``label``); the title then names every plotted series
    with its Q^2 (``label`` first), on a second line below ``title``.
    """
    series = {**{k: np.asarray(v, dtype=float).ravel() for k, v in (others or {}).items()},
              label: np.asarray(predicted, dtype=float).ravel()}
    reference = np.asarray(reference, dtype=float).ravel()
    fig = Figure(figsize=(4.5, 4.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for name, values in series.items():
        ax.scatter(reference, values, s=8, alpha=0.6, label=f"{name} Q²={r2(reference, values):.3f}")
    low, high = np.nanmin([reference.min(), *(v.min() for v in series.values())]), np.nanmax([reference.max(), *(v.max() for v in series.values())])
    ax.plot([low, high], [low, high], color="black", linewidth=1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if others:
        names = [label, *(name for name in series if name != label)]
        scores = ", ".join(f"{name} Q² = {r2(reference, series[name]):.3f}" for name in names)
        ax.set_title(f"{title}\n{scores}", fontsize=9)
    else:
        ax.set_title(f"{title} (Q² = {r2(reference, series[label]):.3f})")
    if others:
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    return path


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def plot_predicted_vs_measured(result: CVResult, stem: str | Path, unit: str = "1/h") -> list[Path]:
    """``<stem>.png`` and ``<stem>.svg``: the prediction averaged over repeats against the measurement,
    the identity line, and the title ``<method>: Q² mean ± SD (Q² of the mean prediction)``."""
    y, p = result.y, result.mean_prediction
    fig = Figure(figsize=(4.8, 4.6))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    low, high = float(min(y.min(), p.min())), float(max(y.max(), p.max()))
    pad = 0.05 * (high - low or 1.0)
    ax.plot([low - pad, high + pad], [low - pad, high + pad], "-", color="0.5", linewidth=1, label="identity")
    if len(result.seeds) > 1:
        spread = result.predictions.std(axis=0, ddof=1)
        ax.errorbar(y, p, yerr=spread, fmt="o", markersize=3.5, elinewidth=0.6, alpha=0.8, label="mean ± SD over repeats")
    else:
        ax.plot(y, p, "o", markersize=3.5, alpha=0.8, label="validation prediction")
    ax.set_xlim(low - pad, high + pad)
    ax.set_ylim(low - pad, high + pad)
    ax.set_aspect("equal")
    ax.set_xlabel(f"measured ({unit})")
    ax.set_ylabel(f"predicted ({unit})")
    spread_text = f" ± {result.sd():.3f}" if len(result.seeds) > 1 else ""
    ax.set_title(f"{result.name}\nQ² = {result.mean():.3f}{spread_text} (of mean: {result.score_of_mean():.3f})", fontsize=9)
    ax.legend(loc="upper left", fontsize=7, frameon=False)
    fig.tight_layout()
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    fig.savefig(paths[0], dpi=150)
    fig.savefig(paths[1])
    return paths


def figure_stem(outdir: str | Path, result: CVResult) -> Path:
    """Where :func:`write_figures` puts a method's figure: ``<outdir>/pred_vs_measured_<method>``."""
    return Path(outdir) / f"pred_vs_measured_{_slug(result.name)}"
