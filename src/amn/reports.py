"""Figures for users: predicted against reference values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from amn.training.metrics import r2


def predicted_vs_reference(reference, predicted, path: str | Path, title: str, xlabel: str = "reference",
                           ylabel: str = "predicted", others: dict | None = None, label: str = "predicted") -> Path:
    """Scatter of predictions against references with the identity line and Q^2 in the title.

    ``others`` adds more series (label -> predictions) on the same axes, drawn
    below the main one (``label``).
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
    ax.set_title(f"{title} (Q² = {r2(reference, series[label]):.3f})")
    if others:
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    return path
