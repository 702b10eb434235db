"""Training-set labelling speed and exactness: HiGHS kept warm vs COBRApy's pfba loop.

Both label the same media in one process; the reference is the plain loop a
COBRApy user writes (set the uptake bounds inside ``with model:``, call
``cobra.flux_analysis.pfba``).  Then the 1 -> 2 worker scaling of
``amn.generate`` on a local Dask cluster (cluster start-up excluded).

    python benchmarks/generate.py --quick
    last line: generate speedup_core=<x> speedup_iml1515=<x> max_rel_err=<e>
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from cobra.flux_analysis import pfba
from dask.distributed import LocalCluster

import amn
from amn.data import locate
from amn.media import GuidedMedia, RandomMedia, read_medium, sample_rng
from amn.solve.pfba import FluxProblem, HighsLabeler


def cobra_pfba_loop(network, medium_ids, media):
    """The reference: COBRApy's pfba on each medium, other uptakes closed."""
    model = network.model
    uptakes = [model.reactions.get_by_id(r) for r in network.uptake_ids]
    medium = [model.reactions.get_by_id(r) for r in medium_ids]
    objective = network.objective_id
    out = []
    for bounds in media:
        with model:
            for r in uptakes:
                r.upper_bound = 0.0
            for r, b in zip(medium, bounds):
                r.upper_bound = float(b)
            fluxes = pfba(model).fluxes[network.reaction_ids].to_numpy()
        out.append((fluxes[network.reaction_ids.index(objective)], fluxes.sum()))
    return out


def compare(name, network, medium_ids, media):
    t0 = time.perf_counter()
    reference = cobra_pfba_loop(network, medium_ids, media)
    t_ref = time.perf_counter() - t0
    t0 = time.perf_counter()
    labeler = HighsLabeler(FluxProblem.from_network(network, medium_ids))  # build time counted
    fast = [labeler.label(b) for b in media]
    t_fast = time.perf_counter() - t0
    growth_err = max(abs(f.growth - g) / abs(g) for f, (g, _) in zip(fast, reference))
    total_err = max(abs(f.fluxes.sum() - t) / abs(t) for f, (_, t) in zip(fast, reference))
    n = len(media)
    print(f"{name:<12} {n:>6} {n / t_ref:>12.1f} {n / t_fast:>12.1f} {t_ref / t_fast:>8.1f} {growth_err:>11.1e} {total_err:>11.1e}")
    return t_ref / t_fast, max(growth_err, total_err)


def scaling(network, media, chunk_size):
    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        amn.generate(network, media, Path(tmp) / "w1.npz", progress=False, chunk_size=chunk_size)
        rates[1] = media.size / (time.perf_counter() - t0)
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            t0 = time.perf_counter()
            amn.generate(network, media, Path(tmp) / "w2.npz", progress=False, chunk_size=chunk_size,
                         dask_address=cluster.scheduler_address)
            rates[2] = media.size / (time.perf_counter() - t0)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    args = parser.parse_args()
    n_core, n_iml, n_scale = (300, 30, 330) if args.quick else (2000, 200, 2200)

    core = amn.make_unidirectional("textbook")
    core_spec = read_medium(locate("media/e_coli_core.csv"))
    core_media = RandomMedia(core_spec, n_core)
    core_bounds = [core_media.draw(sample_rng(0, i), i) for i in range(n_core)]

    iml = amn.make_unidirectional("iML1515")
    iml_spec = read_medium(locate("media/iML1515_EXP_guided.csv"))
    table = locate("experimental/ecoli_dh5a_growth/iML1515_EXP.csv")
    iml_media = GuidedMedia.from_csv(iml_spec, table, per_medium=-(-n_iml // 110))
    iml_bounds = [iml_media.draw(sample_rng(0, i), i) for i in range(n_iml)]

    print(f"{'model':<12} {'media':>6} {'cobra med/s':>12} {'highs med/s':>12} {'speedup':>8} {'growth err':>11} {'total err':>11}")
    speed_core, err_core = compare("e_coli_core", core, core_spec.reaction_ids, core_bounds)
    speed_iml, err_iml = compare("iML1515", iml, iml_spec.reaction_ids, iml_bounds)

    guided = GuidedMedia.from_csv(iml_spec, table, per_medium=max(1, n_scale // 110))
    rates = scaling(iml, guided, chunk_size=max(10, guided.size // 20))
    print(f"scaling iML1515 guided, {guided.size} samples: 1 worker {rates[1]:.1f}/s, 2 workers {rates[2]:.1f}/s "
          f"(x{rates[2] / rates[1]:.2f})")
    print(f"generate speedup_core={speed_core:.1f} speedup_iml1515={speed_iml:.1f} max_rel_err={max(err_core, err_iml):.1e}")


if __name__ == "__main__":
    main()
