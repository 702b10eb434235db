"""The published AMN table, regenerated: cross-validated growth-rate Q^2 of every architecture.

Generates the seeded training sets it needs (e_coli_core random media, UB and
EB; iML1515 media guided by the 110 experimental media, reduced as published),
cross-validates each architecture, and prints ours beside the published values
with the time per epoch.  Also times AMN-QP at the reference's batch size (5)
against the reference code's 0.80 s/epoch (../shared/REFERENCE.md).

    python benchmarks/table.py --quick
    last line: table core_q2_best=<x> core_q2_ann=<x> sec_per_epoch=<x>
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from _common import data_dir, dataset
from sklearn.model_selection import KFold

import amn
from amn.data import locate
from amn.evaluation import AMNFoldScorer, cross_validate
from amn.media import GuidedMedia, RandomMedia, read_medium
from amn.media.spec import core_medium
from amn.models import AMNRegressor
from amn.network import reduce_network

PUBLISHED = {  # growth-rate Q^2, 5-fold CV, 100 epochs (Faure et al. 2023)
    "core_UB": {"amn-qp": 0.980, "amn-ub": 0.994, "amn-w": 0.992, "ann-dense": 0.910},
    "core_EB": {"amn-qp": 0.980, "amn-eb": 0.993, "ann-dense": 0.940},
    "iML1515_UB": {"amn-qp": 0.9993, "amn-ub": 0.9995, "amn-w": 0.988, "ann-dense": 0.53},
}
UNROLLED = ("amn-qp", "amn-ub", "amn-eb", "amn-w", "amn-pdhg", "amn-ipm")
REFERENCE_SEC_PER_EPOCH = 0.80  # AMN-QP, e_coli_core, 1000 samples, batch 5, reference code here


def row(name, arch, data, network, epochs, folds, max_folds, workdir=None, **params):
    """Cross-validate one architecture on one training set; print its line of the table, return its growth Q^2."""
    estimator = AMNRegressor(arch=arch, network=network, epochs=epochs, bound=data.metadata["bound"], **params)
    started = time.perf_counter()
    cv = cross_validate(estimator, data.X, data.Y, cv=KFold(folds, shuffle=True), seeds=(0,), name=arch,
                        scorer=AMNFoldScorer(), max_folds=max_folds,
                        workdir=None if workdir is None else workdir / f"cv_{name}_{arch}")
    s = cv.summary()
    q2_flux = s.get("q2_val_fluxes_mean", float("nan"))
    published = PUBLISHED.get(name, {}).get(arch)
    print(f"{name:<11} {arch:<10} {s['q2_val_measured_mean']:>9.4f} {q2_flux:>10.4f} "
          f"{'-' if published is None else f'{published:.4f}':>10} {s['seconds_per_epoch_mean']:>8.4f} "
          f"{int(s['n_params_mean']):>8} {time.perf_counter() - started:>7.1f}")
    return s["q2_val_measured_mean"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="e_coli_core only, 1000 samples, one validation fold")
    parser.add_argument("--epochs", type=int, help="epochs per fit [default: 200 quick, 100 full as published]")
    parser.add_argument("--only", help="comma-separated rows to run, SET or SET:ARCH (e.g. iML1515_UB:amn-ub); "
                        "sets: core_UB, core_EB, iML1515_UB, efficiency [default: all]")
    parser.add_argument("--workdir", type=Path, help="keep training sets and finished folds here, so a rerun resumes "
                        "[default: a fresh temporary directory]")
    args = parser.parse_args()
    epochs = args.epochs or (200 if args.quick else 100)
    max_folds = 1 if args.quick else None
    tmp = data_dir(args.workdir, "amn-table-")
    wanted = [item.split(":") for item in args.only.split(",")] if args.only else None

    def selected(name: str, arch: str | None = None) -> bool:
        return wanted is None or any(w[0] == name and (arch is None or len(w) == 1 or w[1] == arch) for w in wanted)

    core = amn.make_unidirectional("textbook")
    spec = core_medium(core)
    sets = {"core_UB": dataset(core, RandomMedia(spec, 1000), tmp / "core_UB.npz", seed=0)}
    if not args.quick:
        sets["core_EB"] = dataset(core, RandomMedia(spec, 1000), tmp / "core_EB.npz", bound="EB", seed=0)

    print(f"{'set':<11} {'arch':<10} {'Q2 growth':>9} {'Q2 fluxes':>10} {'published':>10} {'s/epoch':>8} {'params':>8} {'time s':>7}")
    results: dict[tuple[str, str], float] = {}
    archs = {"core_UB": ("ann-dense", "amn-qp", "amn-ub", "amn-w") + (() if args.quick else ("amn-pdhg", "amn-ipm")),
             "core_EB": ("ann-dense", "amn-qp", "amn-eb")}
    for name, data in sets.items():
        for arch in archs[name]:
            if selected(name, arch):
                results[(name, arch)] = row(name, arch, data, core, epochs, 5, max_folds, tmp)
        # consistency check, never the best unrolled result: the exact pFBA layer, untrained
        if selected(name, "amn-exact"):
            row(name, "amn-exact", data, core, 0, 5, max_folds)

    if not args.quick and selected("iML1515_UB"):
        iml = amn.make_unidirectional("iML1515")
        iml_spec = read_medium(locate("media/iML1515_EXP_guided.csv"))
        guided = GuidedMedia.from_csv(iml_spec, locate("experimental/ecoli_dh5a_growth/iML1515_EXP.csv"), per_medium=100)
        full = dataset(iml, guided, tmp / "iML1515_full.npz", seed=0, workers=2)
        reduced = reduce_network(iml, full.Y, keep=list(iml_spec.reaction_ids), tol=1e-9)
        kept = reduced.reaction_ids
        full.Y = full.Y[kept]
        full.metadata["bound"] = "UB"
        print(f"iML1515 reduced to {len(kept)} reactions (published: about 550)")
        for arch in ("ann-dense", "amn-qp", "amn-ub", "amn-w"):
            # RNN-W's published substrate weighting diverges on iML1515 (trace biomass cofactors)
            extra = {"layer_params": {"substrate_weights": "stoichiometry"}} if arch == "amn-w" else {}
            if selected("iML1515_UB", arch):
                results[("iML1515_UB", arch)] = row("iML1515_UB", arch, full, reduced, epochs, 5, None, tmp, **extra)

    if not args.quick and selected("efficiency"):
        print("data efficiency, AMN-QP on e_coli_core (published: 0.79 @10, 0.94 @100, 0.97 @1000, 0.99 @5000)")
        for size in (10, 100, 1000, 5000):
            data = dataset(core, RandomMedia(spec, size), tmp / f"core_{size}.npz", seed=1)
            row(f"core_{size}", "amn-qp", data, core, epochs, 5, None, tmp, batch_size=min(32, max(2, size // 10)))

    if wanted is not None:
        return

    # speed at the reference's batch size (800 training samples = one 5-fold training split of 1000)
    speeds = {}
    for compiled in (False, True):
        est = AMNRegressor(arch="amn-qp", network=core, epochs=4, batch_size=5, val_fraction=0, patience=100, compile=compiled)
        est.fit(sets["core_UB"].X.iloc[:800], sets["core_UB"].Y.iloc[:800])
        speeds[compiled] = float(np.median([r["seconds"] for r in est.history_[1:]]))  # epoch 0 includes compilation
        print(f"AMN-QP, batch 5, 800 training samples, {'compiled' if compiled else 'eager   '}: {speeds[compiled]:.4f} s/epoch "
              f"(reference code {REFERENCE_SEC_PER_EPOCH} s/epoch: x{REFERENCE_SEC_PER_EPOCH / speeds[compiled]:.1f})")
    speed = min(speeds.values())
    best = max(v for (name, arch), v in results.items() if name == "core_UB" and arch in UNROLLED)
    print(f"table core_q2_best={best:.4f} core_q2_ann={results[('core_UB', 'ann-dense')]:.4f} sec_per_epoch={speed:.4f}")


if __name__ == "__main__":
    main()
