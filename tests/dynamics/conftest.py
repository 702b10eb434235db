"""Shared fixtures of the dynamic-AMN tests: a textbook (e_coli_core) growth model on glucose and succinate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from amn.dynamics import CurveSet, GrowthModel

COMPOUNDS = ["glc__D_e", "succ_e"]
BASE = ["EX_o2_e_i", "EX_nh4_e_i", "EX_pi_e_i", "EX_h2o_e_i", "EX_h_e_i", "EX_co2_e_i"]


@pytest.fixture(scope="session")
def core_surrogate() -> GrowthModel:
    return GrowthModel.build("textbook", COMPOUNDS, base=BASE, samples=300, surrogate_epochs=1000)


@pytest.fixture(scope="session")
def core_exact() -> GrowthModel:
    return GrowthModel.build("textbook", COMPOUNDS, base=BASE, layer="exact")


def synthetic_media(n: int = 12, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.5, 5, (n, 2)) * (rng.random((n, 2)) < 0.75)
    values[values.sum(axis=1) == 0, 0] = 2.0
    media = pd.DataFrame(values, columns=COMPOUNDS, index=pd.Index([f"m{i}" for i in range(n)], name="ID"))
    media.attrs["source"] = "synthetic.csv"
    return media


def synthetic_curves(growth_model: GrowthModel, n: int = 12, seed: int = 0) -> CurveSet:
    """Curves of plain dynamic FBA (vmax 5, km 0.1 mM) on the textbook, with 0.02 noise."""
    from amn.dynamics.baselines import PlainDynamicFBA

    media = synthetic_media(n, seed)
    times = np.linspace(0.0, 10.0, 11)
    blank = CurveSet(media, times, np.full((n, len(times)), -3.0))
    y = PlainDynamicFBA(growth_model, vmax=5.0, km=0.1, substeps=2).fit(blank).predict(blank)
    noisy = y + np.random.default_rng(seed + 1).normal(0, 0.02, y.shape)
    noisy[:, 0] = -3.0
    return CurveSet(media, times, noisy, np.full(y.shape, 0.02), "synthetic")


def thinned(curves: CurveSet, keep: float = 0.6, seed: int = 0) -> CurveSet:
    """The curves as if each medium had been read at its own times: the first reading and a random
    ``keep`` share of the others, NaN elsewhere (flasks sampled by hand)."""
    rng = np.random.default_rng(seed)
    read = rng.random(curves.log_od.shape) < keep
    read[:, 0] = True
    read[read.sum(axis=1) < 2, -1] = True  # a curve is two readings or more
    sd = None if curves.sd is None else np.where(read, curves.sd, np.nan)
    return CurveSet(curves.media, curves.times, np.where(read, curves.log_od, np.nan), sd, "thinned")
