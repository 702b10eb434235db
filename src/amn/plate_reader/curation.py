"""Automatic curation: growth rates without start/stop windows or outlier lists, and how they
compare with the hand-curated table.

Exponential phase: the run of ``window`` points where the smoothed ln(OD) rises fastest over
the whole curve (same smoothing, fit window and end margin as the published method).  On the
E. coli plates this is the curators' window for 96% of the wells they kept; restricting the
search to the first growth phase or to ODs above a detection floor did not bring it closer
(benchmarks/platereader.py prints the comparison), so the published definition is kept and the
rates stay on the published scale (raw OD; blank wells are subtracted only where a plate declares
them).

Replicates of a medium are rejected by robust statistics, each threshold a parameter of
:class:`AutoCuration`: a well that does not grow (less than one doubling of its smoothed OD),
and a well whose growth rate or whose yield (ln of max over initial smoothed OD: evaporation,
contamination, bubbles) lies more than a cutoff of robust z-scores ``|x - median| / scale``
from the other replicates of its medium, with ``scale = max(1.4826 MAD, rel_floor * |median|)``:
the floor keeps tight replicates (MAD near 0) from rejecting physically negligible differences.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from amn.evaluation import metrics
from amn.plate_reader.growth_rates import (
    MAD_SCALE,
    WINDOW,
    GrowthRates,
    PlateSpec,
    WellIssue,
    collect,
    plate_wells,
)

MIN_REPLICATES = 3  # fewer replicates cannot outvote one another


@dataclass(frozen=True)
class AutoCuration:
    """Thresholds of the automatic curation; the defaults are organism- and reader-agnostic.

    Parameters
    ----------
    min_ln_gain : float
        A well must multiply its smoothed OD by ``exp(min_ln_gain)`` to count as growing
        (default one doubling).
    rate_cutoff, yield_cutoff : float
        Robust z-score above which a replicate's growth rate / yield is aberrant (3, the
        usual Hampel-type cutoff; ``inf`` disables the test).
    rel_floor : float
        Smallest spread of replicates, relative to their median, that the robust z-score
        assumes (default 5 %, the usual well-to-well reproducibility of a plate reader), so
        that a replicate within ``cutoff * rel_floor`` of the median is never aberrant.
    """

    min_ln_gain: float = float(np.log(2.0))
    rate_cutoff: float = 3.0
    yield_cutoff: float = 3.0
    rel_floor: float = 0.05


def robust_outliers(values: pd.Series, cutoff: float = 3.0, rel_floor: float = 0.0) -> pd.Series:
    """Flag the values whose robust z-score exceeds ``cutoff``.

    NaN values are never flagged; nothing is flagged among fewer than
    ``MIN_REPLICATES`` (3) values or when the scale is 0.

    Parameters
    ----------
    values : pandas.Series
        The replicates of one medium.
    cutoff : float
        Robust z-score above which a value is aberrant.
    rel_floor : float
        Floor of the scale, relative to the median.

    Returns
    -------
    pandas.Series
        Boolean, same index.

    Examples
    --------
    >>> import pandas as pd
    >>> robust_outliers(pd.Series([0.50, 0.52, 0.49, 0.51, 0.20])).tolist()
    [False, False, False, False, True]
    """
    present = values.dropna()
    flags = pd.Series(False, index=values.index)
    if len(present) < MIN_REPLICATES:
        return flags
    median = present.median()
    scale = max(MAD_SCALE * (present - median).abs().median(), rel_floor * abs(median))
    if scale > 0:
        flags[present.index] = (present - median).abs() > cutoff * scale
    return flags


def auto_plate_wells(
    raw_dir: str | Path, spec: PlateSpec, window: int = WINDOW, params: AutoCuration = AutoCuration()
) -> tuple[pd.DataFrame, list[WellIssue]]:
    """Per-well table of one plate, curated automatically.

    Parameters
    ----------
    raw_dir : str or pathlib.Path
        The directory of the plate files.
    spec : PlateSpec
        The plate.
    window : int
        Points per fit.
    params : AutoCuration
        The thresholds.

    Returns
    -------
    wells : pandas.DataFrame
        Columns as :func:`~amn.plate_reader.growth_rates.plate_wells`; the reason column
        says which test rejected a well.
    issues : list of WellIssue
    """
    wells, issues = plate_wells(raw_dir, spec, window, curated=False)
    no_growth = ~wells["excluded"] & (wells["ln_gain"] < params.min_ln_gain)
    wells.loc[no_growth, ["excluded", "reason"]] = [True, f"no growth (ln gain < {params.min_ln_gain:.3g})"]
    tests = (("growth_rate", params.rate_cutoff, "rate"), ("ln_gain", params.yield_cutoff, "yield"))
    for column, cutoff, what in tests:
        candidates = wells[column].where(~wells["excluded"]).groupby(wells["medium"])
        aberrant = candidates.transform(robust_outliers, cutoff=cutoff, rel_floor=params.rel_floor).astype(bool)
        wells.loc[aberrant, ["excluded", "reason"]] = [True, f"aberrant {what} (robust z > {cutoff:g})"]
    return wells, issues


def auto_growth_rates(raw_dir: str | Path, params: AutoCuration = AutoCuration()) -> GrowthRates:
    """Medium table and per-well table of all plates of ``raw_dir``, without the curators' choices.

    Parameters
    ----------
    raw_dir : str or pathlib.Path
        Holds ``plates.json`` (only its plates, design rows and window size are used), the
        design files and the ``<date>_data.csv`` curves.
    params : AutoCuration
        The thresholds.

    Returns
    -------
    GrowthRates

    Raises
    ------
    PlateReaderError
        If a file is missing or malformed as a whole.
    """
    return collect(raw_dir, lambda raw, spec, window: auto_plate_wells(raw, spec, window, params))


@dataclass
class Comparison:
    """Automatic versus curated medium-level growth rates, and the wells on which they disagree.

    Attributes
    ----------
    r2 : float
        Coefficient of determination of the automatic rates, the curated ones as reference.
    pearson_r2 : float
        Squared Pearson correlation.
    median_abs_diff : float
        Median absolute difference, 1/h.
    n_media : int
        Media compared.
    rejected_not_curated : list of str
        ``"<plate>:<well>"`` rejected automatically, kept by the curators.
    kept_not_curated : list of str
        Kept automatically, rejected by the curators.
    media : pandas.DataFrame
        Per medium: plate, medium, curated, auto.
    """

    r2: float
    pearson_r2: float
    median_abs_diff: float
    n_media: int
    rejected_not_curated: list[str]
    kept_not_curated: list[str]
    media: pd.DataFrame

    def summary(self, shown: int | None = 12) -> str:
        """Multi-line human-readable report; the first ``shown`` wells of each disagreement
        (None: all of them; the per-well table lists every well's decision)."""
        def wells(ids: list[str]) -> str:
            return " ".join(ids if shown is None or len(ids) <= shown else [*ids[:shown], f"... and {len(ids) - shown} more"])

        return "\n".join(
            [
                f"media compared: {self.n_media}",
                f"R^2 (auto vs curated): {self.r2:.4f}   Pearson r^2: {self.pearson_r2:.4f}",
                f"median |auto - curated|: {self.median_abs_diff:.4f} 1/h",
                f"rejected automatically, kept by curators ({len(self.rejected_not_curated)}): "
                + wells(self.rejected_not_curated),
                f"kept automatically, rejected by curators ({len(self.kept_not_curated)}): " + wells(self.kept_not_curated),
            ]
        )


def compare(auto: GrowthRates, curated: GrowthRates) -> Comparison:
    """Compare two runs' mean growth rate per medium (media present in both) and their excluded wells.

    Parameters
    ----------
    auto, curated : GrowthRates
        Typically :func:`auto_growth_rates` and
        :func:`~amn.plate_reader.growth_rates.curated_growth_rates` of one directory.

    Returns
    -------
    Comparison
    """
    key = ["plate", "medium"]
    means = [
        run.wells[~run.wells["excluded"]].groupby(key)["growth_rate"].mean().rename(name)
        for run, name in ((curated, "curated"), (auto, "auto"))
    ]
    media = pd.concat(means, axis=1).dropna().reset_index()
    a, c = media["auto"].to_numpy(), media["curated"].to_numpy()
    r2 = metrics.r2(c, a)
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
