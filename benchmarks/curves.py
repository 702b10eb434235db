"""Dynamic AMN on whole growth curves, against its baselines (issue 16).

M28 (280 media of 28 nutrients, 20 ln-OD points each): held-out media (10-fold by medium) and
forecast (the first two thirds of every curve fitted, the whole curve simulated from its first
point and scored, as the dynamic AMN work scores it; the points after the boundary alone are
printed beside), mean curve R² (negative as 0) and RMSE; 110 media (plate-reader folder): the
maximal growth rate read off the held-out predicted curves against the curated growth-rate table
(EXP110), Q².  The growth model (the network reduced on the media and its pFBA surrogate) is built
once per data set and kept in the cache
(``$XDG_CACHE_HOME/amn/dynamics``); its build time is printed.

    python benchmarks/curves.py --quick      # one seed, 1500 surrogate samples
    python benchmarks/curves.py              # three seeds, 3000 surrogate samples

The last line is ``curves r2_heldout=<x> r2_forecast=<x> r2_best_baseline=<x> q2_growth_rate=<x>``.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

import numpy as np
import torch

from amn.data import cache_dir, locate
from amn.dynamics import DynamicAMN, GrowthModel, read_curve_table, read_plate_folder
from amn.dynamics.baselines import CurveParameterBoosting, PlainDynamicFBA, PointRegressor, SigmoidForecast
from amn.dynamics.evaluation import (
    curve_r2,
    fold_labels,
    forecast,
    forecast_time,
    growth_rates,
    heldout,
    heldout_members,
    q2,
    unforeseen_falls,
)
from amn.dynamics.figures import plot_curves, plot_depletion
from amn.plate_reader import curated_growth_rates

M28 = "experimental/ecoli_m28_timecourses"
RAW = "experimental/ecoli_dh5a_growth/raw"
#: The 110 media: a compound present = this many mM (the design gives presence only), and the glycerol base.
PLATE_MM, GLYCEROL_MM = 1.0, 1.0


def growth_model(model: str, compounds: list[str], samples: int, seed: int = 0) -> GrowthModel:
    """The cached growth model of ``compounds`` (built and saved on first use)."""
    key = hashlib.sha256(f"{model}|{','.join(compounds)}|{samples}|{seed}|v1".encode()).hexdigest()[:16]
    where = cache_dir() / "dynamics" / key
    if (where / "growth.json").exists():
        gm = GrowthModel.load(where)
        print(f"growth model from the cache {where} (built in {gm.seconds:.0f} s)", flush=True)
    else:
        gm = GrowthModel.build(model, compounds, samples=samples, seed=seed, log=lambda line: print(line, flush=True))
        gm.save(where)
        print(f"growth model built in {gm.seconds:.0f} s, cached in {where}", flush=True)
    dn = gm.dynamic_network
    print(f"  reactions kept {len(dn.network.reaction_ids)} of {dn.full_reactions}; surrogate held-out R2 "
          f"{gm.surrogate_r2}", flush=True)
    return gm


def line(result) -> str:
    text = (f"  {result.name:<24} mean curve R2 {result.mean_r2:.4f} (median {np.median(result.r2):.4f}), "
            f"RMSE {result.rmse.mean():.4f}, {result.seconds:.0f} s")
    if "r2_tail" in result.extra:
        text += f"; after the boundary alone: R2 {result.extra['r2_tail'].mean():.4f}, RMSE {result.extra['rmse_tail']:.4f}"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="One seed, 1500 surrogate samples (under 15 minutes).")
    parser.add_argument("--report", type=Path, help="Folder for the figures (PNG + SVG).")
    parser.add_argument("--model", default="iML1515")
    args = parser.parse_args()
    torch.set_num_threads(1)  # tiny batched ops: threads only add contention on a shared machine
    seeds = (0,) if args.quick else (0, 1, 2)
    epochs, substeps, samples = 800, 1, (1500 if args.quick else 3000)
    # one model size for every split (figures in README section 9)
    hidden = (64, 64)
    start = time.perf_counter()

    curves = read_curve_table(locate(f"{M28}/M28_media.csv"), locate(f"{M28}/M28_OD_20.csv"))
    print(f"M28: {len(curves.media)} media x {len(curves.times)} points, {len(curves.compounds)} compounds", flush=True)
    gm = growth_model(args.model, curves.compounds, samples)

    def make(seed, gm=gm):
        return DynamicAMN(growth_model=gm, epochs=epochs, hidden=hidden, substeps=substeps, seed=seed)

    def speed(m):
        return {"s_per_epoch": m.seconds_per_epoch_, "reactions_kept": m.n_reactions_kept_}

    print("held-out media (10-fold by medium):", flush=True)
    dyn = heldout_members(make, curves, seeds=seeds, extra=speed)
    print(line(dyn) + f", {dyn.extra['s_per_epoch']:.2f} s/epoch (10 fold members at once)", flush=True)
    baselines = [heldout(lambda s, k=k: PointRegressor(k, s), curves, name=name, seeds=seeds[:1])
                 for k, name in (("rf", "random forest"), ("ridge", "ridge"))]
    baselines.append(heldout(lambda s: CurveParameterBoosting(s), curves, name="boosting -> Gompertz", seeds=seeds[:1]))
    baselines.append(heldout(lambda s: PlainDynamicFBA(gm, substeps=substeps), curves, name="plain dynamic FBA",
                             seeds=seeds[:1]))
    for result in baselines:
        print(line(result), flush=True)
    best = max(baselines, key=lambda r: r.mean_r2)

    until = forecast_time(curves.times)
    print(f"forecast (fit up to {until:.2f} h, the whole curve scored):", flush=True)
    dyn_fc = forecast(make, curves, until, name="dynamic-amn")
    print(line(dyn_fc), flush=True)
    for kind in ("logistic", "gompertz"):
        print(line(forecast(lambda s, k=kind: SigmoidForecast(k), curves, until, name=kind)), flush=True)
    print(line(forecast(lambda s: PlainDynamicFBA(gm, substeps=substeps), curves, until, name="plain dynamic FBA")),
          flush=True)
    falls, bound = unforeseen_falls(curves.times, curves.log_od, until)
    others = np.setdiff1d(np.arange(len(curves.media)), falls)
    print(f"  ceiling: {len(falls)} media fall by more than 0.5 ln OD below their peak only after the boundary (no fall "
          f"of that size inside it); the measured curves held flat from each such fall score {bound.mean():.4f} "
          f"(those media {bound[falls].mean():.4f}); the dynamic AMN scores {dyn_fc.r2[0][others].mean():.4f} on the "
          f"other media, {dyn_fc.r2[0][falls].mean():.4f} on those", flush=True)

    raw = locate(RAW)
    plates = read_plate_folder(raw, concentration=PLATE_MM, every=3)
    plates.media.insert(0, "glyc_e", GLYCEROL_MM)
    fine = read_plate_folder(raw, concentration=PLATE_MM)
    fine.media.insert(0, "glyc_e", GLYCEROL_MM)
    print(f"110 media: {len(plates.media)} media x {len(plates.times)} points (every 30 min)", flush=True)
    gm110 = growth_model(args.model, plates.compounds, samples)
    rates, r2s = [], []
    for seed in seeds:
        model = DynamicAMN(growth_model=gm110, epochs=epochs, hidden=hidden, substeps=substeps, seed=seed)
        model.fit(plates, folds=fold_labels(len(plates.media), 10, seed))
        predicted = model.predict_out_of_fold(fine)
        rates.append(growth_rates(fine.times, predicted))
        r2s.append(curve_r2(fine.log_od, predicted).mean())
    measured = curated_growth_rates(raw).table["GR_AVG"].to_numpy(float)
    ceiling = q2(measured, growth_rates(fine.times, fine.log_od))
    q2_rate = float(np.mean([q2(measured, r) for r in rates]))
    print(f"  held-out curves: mean curve R2 {np.mean(r2s):.4f}; growth rate read off them: Q2 {q2_rate:.4f} "
          f"vs EXP110", flush=True)
    print(f"  ceiling: the same read-off on the measured mean curves themselves: Q2 {ceiling:.4f} vs EXP110", flush=True)

    if args.report is not None:
        pick = np.argsort(dyn.r2[0])[:: max(1, len(curves.media) // 8)][:8]
        sub = curves.subset(pick)
        for path in plot_curves(curves.times, curves.log_od[pick], dyn.predictions[0][pick], sub.ids,
                                args.report / "m28_heldout", sd=curves.sd[pick], r2=dyn.r2[0][pick],
                                title="M28, held-out media (spread of R2)"):
            print(f"  figure {path}")
        plot_curves(curves.times, curves.log_od[pick], dyn_fc.predictions[0][pick], sub.ids, args.report / "m28_forecast",
                    sd=curves.sd[pick], boundary=until, r2=curve_r2(curves.log_od[pick], dyn_fc.predictions[0][pick],
                                                                    dyn_fc.mask), title="M28, forecast")
        final = make(0).fit(sub)
        _, conc = final.simulate(sub.media, curves.times, sub.log_od[:, 0])
        plot_depletion(curves.times, conc, final.compounds_, sub.ids, args.report / "m28_depletion",
                       title="M28, predicted available substrate")
    print(f"total {time.perf_counter() - start:.0f} s", flush=True)
    print(f"curves r2_heldout={dyn.mean_r2:.4f} r2_forecast={dyn_fc.mean_r2:.4f} r2_best_baseline={best.mean_r2:.4f} "
          f"q2_growth_rate={q2_rate:.4f}")


if __name__ == "__main__":
    main()
