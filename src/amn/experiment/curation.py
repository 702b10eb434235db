"""Automatic curation: growth rates without start/stop windows or outlier lists, and how they
compare with the hand-curated table.

The exponential phase of a well is the run of ``window`` points where the
smoothed ln(OD) rises fastest over the whole curve (same smoothing and fit
window as the published method).  A well is rejected when it does not grow
(less than one doubling) or when its rate is aberrant among the replicates of
its medium: robust z-score ``|x - median| / (1.4826 MAD)`` above
:data:`MAD_CUTOFF`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from amn.experiment.growth_rates import WINDOW, GrowthRates, PlateSpec, WellIssue, collect, plate_wells

MIN_LN_GAIN = float(np.log(2.0))  # a well must at least double its OD to have a growth phase
MAD_CUTOFF = 3.0
MAD_SCALE = 1.4826  # makes the MAD a consistent estimator of the SD for normal data
MIN_REPLICATES = 3  # fewer replicates cannot outvote one another


def robust_outliers(rates: pd.Series, cutoff: float = MAD_CUTOFF) -> pd.Series:
    """True for the rates whose robust z-score exceeds ``cutoff`` (NaN rates are never flagged)."""
    values = rates.dropna()
    flags = pd.Series(False, index=rates.index)
    if len(values) < MIN_REPLICATES:
        return flags
    median = values.median()
    mad = MAD_SCALE * (values - median).abs().median()
    if mad > 0:
        flags[values.index] = (values - median).abs() > cutoff * mad
    return flags


def auto_plate_wells(
    raw_dir: str | Path, spec: PlateSpec, window: int = WINDOW, cutoff: float = MAD_CUTOFF
) -> tuple[pd.DataFrame, list[WellIssue]]:
    """Per-well table of one plate (columns as :func:`~amn.experiment.growth_rates.plate_wells`),
    curated automatically."""
    wells, issues = plate_wells(raw_dir, spec, window, curated=False)
    no_growth = ~wells["excluded"] & (wells["ln_gain"] < MIN_LN_GAIN)
    wells.loc[no_growth, ["excluded", "reason"]] = [True, "no growth (less than one doubling)"]
    candidates = wells["growth_rate"].where(~wells["excluded"])
    aberrant = candidates.groupby(wells["medium"]).transform(robust_outliers, cutoff=cutoff).astype(bool)
    wells.loc[aberrant, ["excluded", "reason"]] = [True, f"aberrant replicate (robust z > {cutoff:g})"]
    return wells, issues


def auto_growth_rates(raw_dir: str | Path, cutoff: float = MAD_CUTOFF) -> GrowthRates:
    """Medium table and per-well table of all plates of ``raw_dir``, without the curators' choices."""
    return collect(raw_dir, lambda raw, spec, window: auto_plate_wells(raw, spec, window, cutoff))


@dataclass
class Comparison:
    """Automatic versus curated medium-level growth rates, and the wells on which they disagree."""

    r2: float  # coefficient of determination of the automatic rates, the curated ones as reference
    pearson_r2: float
    median_abs_diff: float  # 1/h
    n_media: int
    rejected_not_curated: list[str]  # "<plate>:<well>" rejected automatically, kept by the curators
    kept_not_curated: list[str]  # kept automatically, rejected by the curators
    media: pd.DataFrame  # per medium: plate, medium, curated, auto

    def summary(self) -> str:
        """Multi-line human-readable report."""
        return "\n".join(
            [
                f"media compared: {self.n_media}",
                f"R^2 (auto vs curated): {self.r2:.4f}   Pearson r^2: {self.pearson_r2:.4f}",
                f"median |auto - curated|: {self.median_abs_diff:.4f} 1/h",
                f"rejected automatically, kept by curators ({len(self.rejected_not_curated)}): "
                + " ".join(self.rejected_not_curated),
                f"kept automatically, rejected by curators ({len(self.kept_not_curated)}): "
                + " ".join(self.kept_not_curated),
            ]
        )


def compare(auto: GrowthRates, curated: GrowthRates) -> Comparison:
    """Compare the two runs' GR_AVG per medium (media present in both) and their excluded wells."""
    key = ["plate", "medium"]
    means = [
        run.wells[~run.wells["excluded"]].groupby(key)["growth_rate"].mean().rename(name)
        for run, name in ((curated, "curated"), (auto, "auto"))
    ]
    media = pd.concat(means, axis=1).dropna().reset_index()
    a, c = media["auto"].to_numpy(), media["curated"].to_numpy()
    r2 = 1.0 - float(((a - c) ** 2).sum() / ((c - c.mean()) ** 2).sum())
    wells = curated.wells.merge(auto.wells, on=["plate", "well"], suffixes=("_curated", "_auto"))
    label = wells["plate"] + ":" + wells["well"]
    return Comparison(
        r2=r2,
        pearson_r2=float(np.corrcoef(a, c)[0, 1] ** 2),
        median_abs_diff=float(np.median(np.abs(a - c))),
        n_media=len(media),
        rejected_not_curated=label[wells["excluded_auto"] & ~wells["excluded_curated"]].tolist(),
        kept_not_curated=label[~wells["excluded_auto"] & wells["excluded_curated"]].tolist(),
        media=media,
    )
