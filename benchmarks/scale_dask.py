"""Cross-validation folds on Dask: 5-fold CV of AMN-QP (three seeds) on 1 local worker and on 2.

The folds run through :class:`amn.evaluation.executors.DaskExecutor` in both
runs (one PyTorch thread per worker), so the only difference is the number of
workers: the speed-up is the parallel gain, and the results must be identical
(predictions and per-fold scores equal to the last bit).  The CV repeats the
5 folds for the package's three default seeds, as ``amn train`` does: 15 jobs
(5 jobs on 2 workers could gain at most 5/3).  The machine's load
average is printed beside it: on a loaded machine the speed-up is lower.

    python benchmarks/scale_dask.py --quick
    last line: scale_dask dask_speedup=<x> identical=<0|1>
(``benchmarks/scale.py`` imports :func:`dask_benchmark` for its own last line.)
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
from _common import data_dir, dataset
from sklearn.model_selection import KFold

import amn
from amn.evaluation import AMNFoldScorer, cross_validate
from amn.evaluation.executors import DaskExecutor
from amn.evaluation.splits import SEEDS
from amn.media import RandomMedia
from amn.media.spec import core_medium
from amn.models import AMNRegressor


def dask_benchmark(quick: bool = True, workdir: Path | None = None) -> dict[str, float]:
    """Seconds of a 5-fold, 3-seed AMN-QP CV on 1 and on 2 local Dask workers, their ratio, and whether results match.

    Parameters
    ----------
    quick : bool, default True
        1,000 e_coli_core samples and 20 epochs (else 2,000 and 50).
    workdir : Path, optional
        Keeps the dataset for a rerun.

    Returns
    -------
    dict
        ``dask_speedup``, ``identical`` (1.0 or 0.0), ``seconds_1``, ``seconds_2``, ``load_before``.
    """
    n, epochs = (1000, 20) if quick else (2000, 50)
    network = amn.make_unidirectional("textbook")
    spec = core_medium(network)
    data = dataset(network, RandomMedia(spec, n), data_dir(workdir, "amn-scale-dask-") / f"core_{n}.npz", seed=0)
    estimator = AMNRegressor(arch="amn-qp", network=network, medium=data.medium_ids, epochs=epochs, batch_size=32,
                             seed=0)
    load = os.getloadavg()[0]
    seconds, results = {}, {}
    for workers in (1, 2):
        with DaskExecutor(workers=workers) as executor:
            started = time.perf_counter()  # the cluster's start-up is left out: it is paid once per run
            results[workers] = cross_validate(estimator, data.X, data.Y, cv=KFold(5, shuffle=True), seeds=SEEDS,
                                              scorer=AMNFoldScorer(), executor=executor)
            seconds[workers] = time.perf_counter() - started
    timing = [c for c in results[1].fold_scores if c.startswith("seconds")]
    identical = (np.array_equal(results[1].predictions, results[2].predictions)
                 and results[1].fold_scores.drop(columns=timing).equals(results[2].fold_scores.drop(columns=timing)))
    return {"dask_speedup": seconds[1] / seconds[2], "identical": float(identical), "seconds_1": seconds[1],
            "seconds_2": seconds[2], "load_before": load, "samples": n, "epochs": epochs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 samples, 20 epochs (else 2,000 and 50)")
    parser.add_argument("--workdir", type=Path, help="keep the dataset here, so a rerun reuses it")
    args = parser.parse_args()
    r = dask_benchmark(args.quick, args.workdir)
    print(f"e_coli_core AMN-QP, {r['samples']} samples, {r['epochs']} epochs, 5-fold CV, seeds {', '.join(map(str, SEEDS))} "
          f"(load average before: {r['load_before']:.2f} on {os.cpu_count()} cores)")
    print(f"1 worker {r['seconds_1']:.1f} s, 2 workers {r['seconds_2']:.1f} s")
    print(f"scale_dask dask_speedup={r['dask_speedup']:.2f} identical={int(r['identical'])}")


if __name__ == "__main__":
    main()
