"""Plate-reader benchmark: reproduce the published growth-rate tables and score the automatic curation.

Usage: python benchmarks/platereader.py [--quick]

The last line printed is ``platereader max_abs_err_curated=<e> r2_auto=<x>``, where ``e`` is the
largest per-well (and GR_AVG/GR_STD) difference to the published ``<date>_results.csv`` files and
``x`` the R^2 of the automatic medium growth rates against the curated ones.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from amn.data import locate
from amn.experiment.curation import auto_growth_rates, compare
from amn.experiment.growth_rates import REPLICATES, curated_growth_rates, read_curation

RATES = REPLICATES + ["GR_AVG", "GR_STD"]


def _timed(fn, repeats: int):
    """Result of ``fn()`` and its best wall time over ``repeats`` runs."""
    best, result = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return result, best


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
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(f"platereader max_abs_err_curated={err:.3g} r2_auto={cmp.r2:.4f}")


if __name__ == "__main__":
    main()
