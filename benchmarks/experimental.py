"""Experimental benchmark: every method on the published protocol, beside the published values.

Usage: python benchmarks/experimental.py [--quick] [--outdir runs/experimental]

Protocol: 10-fold CV stratified on binned growth rate, 3 seeds (``--quick``: 1),
Q² on the pooled validation predictions (mean ± SD over seeds, and Q² of the
mean prediction), on the E. coli DH5-alpha table (110 media, GR_AVG) and the
unidirectional iML1515.  Writes results.csv, predictions.csv, the figures,
the reservoir's uptake bounds per medium, trained on all media (with their check
in plain COBRApy) and report.md under ``--outdir``.  The last line printed is
``experimental q2_best=<x> q2_reservoir=<x> q2_fba=<x>`` (best method, the
reservoir, and FBA with the best single
uptake bound after an affine calibration on the training folds, the row that the
published R² 0.518, a squared correlation, compares with).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import cobra
import pandas as pd
from _common import fold_progress
from threadpoolctl import threadpool_limits

from amn.baselines.method import run_methods
from amn.baselines.registry import methods_for
from amn.data import locate, model_path
from amn.dataset import generate, load_dataset
from amn.dataset.reading import read_table
from amn.evaluation.figures import figure_stem, plot_predicted_vs_measured
from amn.evaluation.metrics import noise_ceiling
from amn.evaluation.report import markdown_table, method_table, write_report
from amn.evaluation.splits import SEEDS
from amn.media import GuidedMedia
from amn.media.spec import read_medium
from amn.models import AMNRegressor, save_model
from amn.network import make_unidirectional, reduce_network
from amn.reservoir import ReservoirRegressor, reservoir_medium
from amn.solve.cobra_bounds import check_bounds

DATA = "experimental/ecoli_dh5a_growth"
FBA_NAME = "FBA, best single bound + affine"
RESERVOIR_NAME = "reservoir"


def guided_data(outdir: Path, network, table, medium, per_medium: int):
    """pFBA data guided by the 110 media (cached), drawn on the reservoir's medium (variable compounds and
    limiting base uptakes in [0, 10]), and the network reduced to the reactions it uses."""
    path = outdir / f"iML1515_reservoir_{per_medium}.npz"
    if path.exists():
        data = load_dataset(path)
    else:
        widened, _ = reservoir_medium(network, table, medium)
        guided = GuidedMedia.from_csv(widened, locate(f"{DATA}/iML1515_EXP.csv"), per_medium=per_medium)
        data = generate(network, guided, path, seed=0, progress=False)
    return data, reduce_network(network, data.Y, keep=list(medium.reaction_ids), tol=1e-9)


def reservoir_growth_model(outdir: Path, data, reduced, epochs: int) -> Path:
    """The frozen AMN of the reservoir: AMN-QP trained on the guided pFBA data (cached)."""
    directory = outdir / f"reservoir_medium_amn_{len(data.X)}x{epochs}"  # keyed by the data it was trained on
    if (directory / "model.json").exists():
        return directory
    model = AMNRegressor(arch="amn-qp", network=reduced, epochs=epochs, batch_size=64, lr=2e-3)
    model.fit(data.X, data.Y[reduced.reaction_ids])
    print(f"reservoir AMN: {len(reduced.reaction_ids)} reactions, {len(data.X)} guided pFBA samples, "
          f"training R2 {model.score(data.X, data.Y):.4f}", file=sys.stderr)
    save_model(model, directory)
    return directory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed of the 10-fold protocol")
    parser.add_argument("--outdir", type=Path, default=Path("runs/experimental"))
    args = parser.parse_args()
    threadpool_limits(1)  # small dense algebra: BLAS threads only contend (tens of times slower on 2 busy cores)
    seeds = SEEDS[:1] if args.quick else SEEDS
    start = time.perf_counter()

    original = cobra.io.read_sbml_model(str(model_path("iML1515")))
    network = make_unidirectional(original.copy())
    medium = read_medium(locate("media/iML1515_EXP_guided.csv"))
    table = read_table(locate(f"{DATA}/iML1515_EXP.csv"), target="GR_AVG", network=network)
    replicates = pd.read_csv(locate(f"{DATA}/EXP110.csv"), index_col=0)
    print(f"{table.source}: {len(table)} media, {len(table.variable_ids)} variable compounds; seeds {seeds}")

    args.outdir.mkdir(parents=True, exist_ok=True)
    data, reduced = guided_data(args.outdir, network, table, medium, 20 if args.quick else 100)
    growth_model = reservoir_growth_model(args.outdir, data, reduced, 30 if args.quick else 60)
    methods = methods_for(table, network, medium, exact_route=not args.quick, amn_epochs=100 if args.quick else 200,
                          amn_network=reduced, growth_model=growth_model, reservoir_fba=True)
    results = run_methods(methods, table, seeds=seeds, progress=fold_progress)
    notes = {m.name: m.note for m in methods}
    ceiling = noise_ceiling(table.y, replicates["GR_STD"])
    summary = method_table(results, notes=notes, computed={"noise ceiling": ceiling})
    print(summary.to_string(index=False))

    args.outdir.mkdir(parents=True, exist_ok=True)
    pd.DataFrame([r.summary() for r in results]).to_csv(args.outdir / "results.csv", index=False)
    pd.DataFrame({"measured": table.y, **{r.name: r.mean_prediction for r in results}}).to_csv(
        args.outdir / "predictions.csv", index_label="medium"
    )
    best = max(results, key=lambda r: r.mean())
    by_name = {r.name: r for r in results}
    shown = [best] + [by_name[n] for n in (RESERVOIR_NAME, FBA_NAME) if n in by_name and by_name[n] is not best]
    figures = [p for r in shown for p in plot_predicted_vs_measured(r, figure_stem(args.outdir, r))]

    # the reservoir's learned uptake bounds per medium (Table S2), trained on all media, checked in plain COBRApy
    reservoir = ReservoirRegressor(str(growth_model)).fit(table.X, table.y)
    bounds = reservoir.uptake_bounds(table.X)
    bounds.index.name = "medium"
    bounds.to_csv(args.outdir / "uptake_bounds.csv")
    agreement = check_bounds(original, bounds, reservoir.predict(table.X))
    print(f"reservoir bounds (all media) in COBRApy iML1515 vs the reservoir: {agreement.summary()}")
    learned = bounds.loc[:, bounds.std() > 0].describe().T[["min", "50%", "max"]].round(3)

    sections = {
        "Protocol": (
            f"{len(seeds)} seed(s) {list(seeds)} x 10-fold CV stratified on quantile bins of {table.target}; "
            f"Q² on pooled validation predictions; `±` is the SD over seeds. Data: `{table.source}` "
            f"({len(table)} media). Noise ceiling (ours): 1 - mean(GR_STD²)/var(GR_AVG) from EXP110.csv, "
            "i.e. against single replicates; the means in GR_AVG are less noisy."
        ),
        "Uptake bounds for COBRApy": (
            "The reservoir trained on all media; its uptake layer's bounds per medium are in "
            f"`uptake_bounds.csv` (reaction ids as columns, Table S2 format). FBA in plain COBRApy on the "
            f"original iML1515 with each medium's bounds, against the reservoir's prediction: {agreement.summary()}."
            f"\n\nLearned bounds (mmol/gDW/h; 0 where the compound is absent):\n\n"
            f"{markdown_table(learned.rename_axis('uptake').reset_index())}"
        ),
    }
    report = write_report(args.outdir / "report.md", summary, figures, sections=sections)
    print(f"{report}: report; figures {', '.join(p.name for p in figures)}; {time.perf_counter() - start:.0f} s")

    q2_reservoir = by_name[RESERVOIR_NAME].mean() if RESERVOIR_NAME in by_name else math.nan
    print(f"experimental q2_best={best.mean():.4f} q2_reservoir={q2_reservoir:.4f} q2_fba={by_name[FBA_NAME].mean():.4f}")


if __name__ == "__main__":
    main()
