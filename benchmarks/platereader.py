"""Plate-reader benchmark: reproduce the published growth-rate tables and score the automatic curation.

Usage: python benchmarks/platereader.py [--quick]

The last line printed is ``platereader max_abs_err_curated=<e> r2_auto=<x>``, where ``e`` is the
largest per-well (and GR_AVG/GR_STD) difference to the published ``<date>_results.csv`` files and
``x`` the R^2 of the automatic medium growth rates against the curated ones.  Before it: where the
automatic/curated gap comes from (fit windows versus replicate rejection, the media that dominate it,
what a random choice of replicates would give), the wells on which the two curations disagree, and
the R^2 for a few sensible values of each automatic-curation threshold (a sensitivity table, not a fit).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
import pandas as pd

from amn.data import locate
from amn.evaluation.metrics import r2
from amn.plate_reader.curation import AutoCuration, auto_growth_rates, compare
from amn.plate_reader.growth_rates import (
    GrowthRates,
    curated_growth_rates,
    read_curation,
)

RATES = [f"GR_{i}" for i in range(1, 9)] + ["GR_AVG", "GR_STD"]  # EXP110: 8 replicates a medium


def _timed(fn, repeats: int):
    """Result of ``fn()`` and its best wall time over ``repeats`` runs."""
    best, result = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return result, best


def _mixed(rates: GrowthRates, exclusions: GrowthRates) -> GrowthRates:
    """Per-well rates (fit windows) of ``rates`` with the excluded wells of ``exclusions``."""
    wells = rates.wells.drop(columns="excluded").merge(exclusions.wells[["plate", "well", "excluded"]])
    return GrowthRates(pd.DataFrame(), wells)


def _random_subsets_r2(auto: GrowthRates, curated: GrowthRates, draws: int = 200) -> np.ndarray:
    """R^2 of the all-replicate mean against means of random replicate subsets of the curated sizes:
    what the gap would be if the curators had dropped replicates at random."""
    rng = np.random.default_rng(0)
    wells = auto.wells.merge(curated.wells[["plate", "well", "excluded"]], on=["plate", "well"], suffixes=("", "_c"))
    groups = [
        (group["growth_rate"].to_numpy(), int((~group["excluded_c"]).sum()))
        for _, group in wells.groupby(["plate", "medium"])
    ]
    groups = [(rates, k) for rates, k in groups if k > 0]
    full = np.array([rates.mean() for rates, _ in groups])
    scores = []
    for _ in range(draws):
        subset = np.array([rng.choice(rates, k, replace=False).mean() for rates, k in groups])
        scores.append(r2(subset, full))  # the subset means as reference, as compare() scores auto vs curated
    return np.array(scores)


def _diagnosis(auto: GrowthRates, curated: GrowthRates) -> None:
    """Print where the automatic/curated gap comes from."""
    none = GrowthRates(pd.DataFrame(), curated.wells.assign(excluded=False))
    print("R^2 against the curated table, by source of the difference:")
    for label, run in (
        ("auto windows, curated rejections", _mixed(auto, curated)),
        ("curated windows, auto rejections", _mixed(curated, auto)),
        ("curated windows, no rejection", _mixed(curated, none)),
        ("auto windows and rejections", auto),
    ):
        print(f"  {label:<36} {compare(run, curated).r2:.4f}")
    same = (auto.wells["fit_start"] == curated.wells["fit_start"])[~curated.wells["excluded"]].mean()
    print(f"  auto fit window = curated one for {same:.1%} of the wells the curators kept")
    null = _random_subsets_r2(auto, curated)
    print(f"  all replicates vs random subsets of the curated sizes: R^2 {np.median(null):.3f} "
          f"(5-95%: {np.percentile(null, 5):.3f}-{np.percentile(null, 95):.3f})")
    media = compare(auto, curated).media
    share = ((media["auto"] - media["curated"]) ** 2).pipe(lambda r: r / r.sum()).rename("share")
    top = pd.concat([media, share], axis=1).nlargest(5, "share")
    print(f"  5 media carry {top['share'].sum():.0%} of the squared error:")
    for row in top.itertuples():
        print(f"    plate {row.plate} medium {row.medium}: curated {row.curated:.3f} auto {row.auto:.3f}")


def _sensitivity(raw_dir, curated: GrowthRates) -> None:
    """R^2 and median |difference| for a few sensible values of each threshold, the others at default."""
    default = AutoCuration()
    print("sensitivity (one threshold varied, others at default):")
    print(f"  {'threshold':<14}{'value':>8}{'R^2':>8}{'median|d|':>11}{'excluded':>10}")
    for name, values in (
        ("rate_cutoff", [2.5, 3.0, 3.5, np.inf]),
        ("yield_cutoff", [2.5, 3.0, 3.5, np.inf]),
        ("rel_floor", [0.0, 0.05, 0.1]),
        ("min_ln_gain", [np.log(1.5), np.log(2.0), np.log(4.0)]),
    ):
        for value in values:
            run = auto_growth_rates(raw_dir, replace(default, **{name: value}))
            cmp = compare(run, curated)
            excluded = int(run.wells["excluded"].sum())
            print(f"  {name:<14}{value:>8.3g}{cmp.r2:>8.4f}{cmp.median_abs_diff:>11.4f}{excluded:>10}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one timing run instead of five")
    args = parser.parse_args()
    repeats = 1 if args.quick else 5

    raw_dir = locate("experimental/ecoli_dh5a_growth/raw/plates.json").parent
    curated, t_curated = _timed(lambda: curated_growth_rates(raw_dir), repeats)
    auto, t_auto = _timed(lambda: auto_growth_rates(raw_dir), repeats)

    _, plates, _ = read_curation(raw_dir)
    err = 0.0
    for k, spec in enumerate(plates):
        published = pd.read_csv(raw_dir / f"{spec.date}_results.csv", index_col=0)[RATES].to_numpy()
        ours = curated.table.iloc[10 * k : 10 * (k + 1)][RATES].to_numpy()
        if not np.array_equal(np.isnan(published), np.isnan(ours)):
            raise SystemExit(f"plate {spec.date}: excluded wells differ from the published table")
        err = max(err, float(np.nanmax(np.abs(published - ours))))
    exp110 = pd.read_csv(raw_dir.parent / "EXP110.csv", index_col=0)
    compounds = list(exp110.columns[:10])
    aligned = curated.table.set_index(compounds).loc[exp110.set_index(compounds).index, RATES].to_numpy()
    err_exp110 = float(np.nanmax(np.abs(aligned - exp110[RATES].to_numpy())))
    cmp = compare(auto, curated)

    rows = [
        ("plates / wells", f"{len(plates)} / {len(curated.wells)}"),
        ("curated: max |err| per well vs <date>_results", f"{err:.2e}"),
        ("curated: max |err| vs EXP110 (matched by medium)", f"{err_exp110:.2e}"),
        ("curated: time (s)", f"{t_curated:.2f}"),
        ("auto: R^2 vs curated (110 media)", f"{cmp.r2:.4f}"),
        ("auto: Pearson r^2", f"{cmp.pearson_r2:.4f}"),
        ("auto: median |auto - curated| (1/h)", f"{cmp.median_abs_diff:.4f}"),
        ("auto: wells rejected, curators kept", str(len(cmp.rejected_not_curated))),
        ("auto: wells kept, curators rejected", str(len(cmp.kept_not_curated))),
        ("auto: time (s)", f"{t_auto:.2f}"),
    ]
    _diagnosis(auto, curated)
    _sensitivity(raw_dir, curated)
    print(f"rejected automatically, kept by curators ({len(cmp.rejected_not_curated)}): "
          + " ".join(cmp.rejected_not_curated))
    print(f"kept automatically, rejected by curators ({len(cmp.kept_not_curated)}): " + " ".join(cmp.kept_not_curated))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(f"platereader max_abs_err_curated={err:.3g} r2_auto={cmp.r2:.4f}")


if __name__ == "__main__":
    main()
