"""Figures are written as PNG and SVG."""

from __future__ import annotations

import numpy as np

from amn.dynamics.figures import plot_curves, plot_depletion


def test_curve_and_depletion_figures(tmp_path):
    t = np.linspace(0, 10, 6)
    y = np.vstack([t * 0.1, t * 0.2])
    paths = plot_curves(t, y, y + 0.01, ["a", "b"], tmp_path / "c", sd=np.full_like(y, 0.05), boundary=4.0,
                        r2=np.array([0.9, 0.8]))
    paths += plot_depletion(t, np.random.default_rng(0).random((2, 6, 3)), ["x", "y", "z"], ["a", "b"], tmp_path / "d")
    assert [p.name for p in paths] == ["c.png", "c.svg", "d.png", "d.svg"]
    assert all(p.stat().st_size > 1000 for p in paths)
    assert "<svg" in (tmp_path / "c.svg").read_text()[:500]
