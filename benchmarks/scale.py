"""Genome scale at speed: full iML1515 AMN-QP training, the sparse interior point, Recon3D memory, Dask CV.

Side by side in one run:

1. full iML1515 (no reduction), AMN-QP, 2,200 experiment-guided UB samples: ms per sample-epoch
   at batch 32 and at batch 5 (beside the published code's 37.4 ms, ../shared/REFERENCE.md);
2. the same training at commit f94d644 (checked out into a temporary ``git worktree``, run in a
   subprocess with ``PYTHONPATH`` at its ``src``), on the same samples: the speed-up;
3. ``InteriorPoint`` on iML1515 at batch 32, sparse vs dense normal equations: seconds per
   iteration, and the growth of both after the same iterations (agreement to 1e-7);
4. (``--full``, or without ``--quick``) Recon3D: forward + backward of 20 sparse interior-point
   iterations at batch 8, peak resident memory of that subprocess (``resource.getrusage``);
5. Dask CV: ``dask_benchmark(quick)`` of ``benchmarks/scale_dask.py`` when that module has it.

    python benchmarks/scale.py --quick
    last line: scale ms_per_sample_epoch=<x> speedup_vs_f94d644=<x> ipm_sparse_speedup=<x> dask_speedup=<x> identical=<0|1>

Timings are wall-clock on whatever else the machine runs: report the load with them.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import amn
from amn.data import locate
from amn.layers import InteriorPoint
from amn.media import GuidedMedia, read_medium
from amn.models import AMNRegressor

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import data_dir, dataset

REFERENCE_MS = 37.4  # the published code, full iML1515 AMN-QP, batch 5 (../shared/REFERENCE.md)
BASELINE_COMMIT = "f94d644"
REPO = Path(__file__).resolve().parent.parent

#: Trains AMN-QP in a subprocess (the baseline's tree) and prints one JSON line of epoch seconds.
TRAIN_SCRIPT = """
import json, sys
import numpy as np, pandas as pd, torch
import amn
from amn.models import AMNRegressor
spec = json.loads(sys.argv[1])
data = np.load(spec["data"], allow_pickle=False)
X = pd.DataFrame(data["X"], columns=spec["x_columns"])
Y = pd.DataFrame(data["Y"], columns=spec["y_columns"])
net = amn.make_unidirectional("iML1515")
est = AMNRegressor(arch="amn-qp", network=net, epochs=spec["epochs"], batch_size=spec["batch"], val_fraction=0,
                   patience=1000, seed=0, device="cpu")
est.fit(X, Y)
print(json.dumps({"seconds": [row["seconds"] for row in est.history_]}))
"""

#: Recon3D forward + backward of the sparse interior point in a fresh process: peak RSS and seconds.
RECON_SCRIPT = """
import json, resource, time, sys
import numpy as np, torch
import amn
from amn.layers import InteriorPoint
torch.set_num_threads(1)
net = amn.make_unidirectional("Recon3D")
medium = list(net.uptake_ids)
mats = net.matrices(medium=medium)
start = time.perf_counter()
layer = InteriorPoint(mats, objective=False, iterations=20, linear_solver="sparse")
built = time.perf_counter() - start
rng = np.random.default_rng(0)
u = torch.as_tensor(rng.uniform(0, 10, size=(8, len(medium))) * (rng.random((8, len(medium))) < 0.3)).requires_grad_(True)
V0 = torch.as_tensor(rng.uniform(0, 1, size=(8, layer.n))).requires_grad_(True)
start = time.perf_counter()
V = layer(u, V0)
(V.sum()).backward()
seconds = time.perf_counter() - start
print(json.dumps({"rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, "seconds": seconds,
                  "build_seconds": built, "n": layer.n, "m": layer.A.shape[0],
                  "finite": bool(torch.isfinite(u.grad).all() and torch.isfinite(V).all())}))
"""


def _run_json(script: str, spec: dict | None, pythonpath: Path, timeout: float) -> dict:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    args = [sys.executable, "-c", script] + ([json.dumps(spec)] if spec is not None else [])
    done = subprocess.run(args, check=False, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        raise RuntimeError(f"subprocess failed ({pythonpath}):\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ms_per_sample(seconds: list[float], n: int) -> float:
    """Median epoch after the first (which carries start-up), per sample, in ms."""
    tail = seconds[1:] or seconds
    return 1e3 * float(np.median(tail)) / n


def _fit_seconds(net, X, Y, batch: int, epochs: int) -> list[float]:
    """Epoch seconds of AMN-QP trained in this process (this tree), as ``TRAIN_SCRIPT`` trains it."""
    est = AMNRegressor(arch="amn-qp", network=net, epochs=epochs, batch_size=batch, val_fraction=0, patience=1000,
                       seed=0, device="cpu")
    return [row["seconds"] for row in est.fit(X, Y).history_]


def training(net, data, workdir: Path, quick: bool) -> dict:
    """ms per sample-epoch at batch 32 and 5 (this tree), and on a subset at f94d644 vs this tree."""
    n = len(data.X)
    out = {}
    for batch, epochs in ((32, 3 if quick else 6), (5, 2 if quick else 3)):
        seconds = _fit_seconds(net, data.X, data.Y, batch, epochs)
        out[f"ms_b{batch}"] = _ms_per_sample(seconds, n)
        print(f"this tree, full iML1515 AMN-QP, {n} samples, batch {batch}: {out[f'ms_b{batch}']:.3f} ms per sample-epoch "
              f"(epochs {', '.join(f'{s:.1f}' for s in seconds)} s)", flush=True)
    print(f"  batch 5: {out['ms_b5']:.3f} ms per sample-epoch beside the reference code's {REFERENCE_MS} ms "
          f"(x{REFERENCE_MS / out['ms_b5']:.1f})")
    # the baseline is ~100x slower: --quick times it (and this tree again) on the first 256 samples
    subset = 256 if quick else n
    arrays = workdir / "iML1515_scale_subset.npz"
    np.savez(arrays, X=data.X.to_numpy()[:subset], Y=data.Y.to_numpy()[:subset])
    spec = {"data": str(arrays), "x_columns": list(data.X.columns), "y_columns": list(data.Y.columns),
            "batch": 32, "epochs": 2}
    worktree = Path(tempfile.mkdtemp(prefix="amn-f94d644-")) / "tree"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(worktree), BASELINE_COMMIT],
                   check=True, capture_output=True)
    try:
        old = _run_json(TRAIN_SCRIPT, spec, worktree / "src", 7200)["seconds"]
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(worktree)], check=False, capture_output=True)
        subprocess.run(["git", "-C", str(REPO), "worktree", "prune"], check=False, capture_output=True)
    new = _fit_seconds(net, data.X.iloc[:subset], data.Y.iloc[:subset], 32, 2)
    out["ms_old"], out["ms_new_subset"] = _ms_per_sample(old, subset), _ms_per_sample(new, subset)
    out["speedup"] = out["ms_old"] / out["ms_new_subset"]
    print(f"{subset} samples, batch 32: f94d644 {out['ms_old']:.2f} ms, this tree {out['ms_new_subset']:.3f} ms per "
          f"sample-epoch: x{out['speedup']:.1f}", flush=True)
    return out


def interior_point(net, data, quick: bool) -> dict:
    """Seconds per iteration of the sparse and the dense normal equations, iML1515, batch 32, and their growth.

    The inputs are the dataset's media, every other uptake closed (as the labels were made).  The dense
    path costs ~10 s per sample and iteration here, so ``--quick`` times it at batch 4 for 2 iterations
    and scales to batch 32 (its cost is linear in the batch: one batched product and Cholesky), and
    compares the growth of both after those 2 iterations; without ``--quick`` both run 30 iterations at
    batch 32.
    """
    medium = list(net.uptake_ids)
    mats = net.matrices(medium=medium)
    inputs = np.zeros((32, len(medium)))
    inputs[:, [medium.index(c) for c in data.X.columns]] = data.X.to_numpy()[:32]
    u = torch.as_tensor(inputs)
    c = torch.as_tensor(mats.objective)
    iterations, dense_batch = (2, 4) if quick else (30, 32)
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    out = {}
    try:
        with torch.no_grad():
            layer = InteriorPoint(mats, iterations=30, linear_solver="sparse")
            start = time.perf_counter()
            run = layer.run(u, trace_at=[iterations])
            out["sparse"] = (time.perf_counter() - start) / 30
            growth_sparse, converged = run.trace[iterations] @ c, run.V @ c
            dense = InteriorPoint(mats, iterations=iterations, linear_solver="dense")
            start = time.perf_counter()
            growth_dense = dense(u[:dense_batch]) @ c
            out["dense"] = (time.perf_counter() - start) / iterations * 32 / dense_batch
    finally:
        torch.set_num_threads(previous)
    scaled = "" if dense_batch == 32 else f" (measured at batch {dense_batch}, x{32 // dense_batch})"
    print(f"InteriorPoint iML1515 batch 32: sparse {out['sparse']:.2f} s per iteration (30 iterations), "
          f"dense {out['dense']:.1f} s per iteration{scaled}", flush=True)
    diff = float(((growth_sparse[:dense_batch] - growth_dense).abs() / growth_dense.abs().clamp_min(1e-12)).max())
    Y = data.Y.to_numpy()[:32] @ mats.objective
    pfba = float(np.max(np.abs(converged.numpy() - Y) / np.abs(Y).clip(1e-12)))
    out.update(speedup=out["dense"] / out["sparse"], growth_diff=diff, pfba_err=pfba)
    print(f"  sparse x{out['speedup']:.1f} per iteration; growth after {iterations} iterations, sparse vs dense "
          f"({dense_batch} samples): max rel diff {diff:.1e} (target 1e-7); sparse growth after 30 iterations vs "
          f"HiGHS pFBA (32 samples): max rel err {pfba:.1e}")
    return out


def recon3d() -> dict:
    res = _run_json(RECON_SCRIPT, None, REPO / "src", 3600)
    print(f"Recon3D ({res['n']} fluxes, {res['m']} independent rows): sparse InteriorPoint forward + backward, 20 "
          f"iterations, batch 8: {res['seconds']:.1f} s (built in {res['build_seconds']:.1f} s), peak RSS "
          f"{res['rss_gb']:.2f} GB (target 8 GB), finite {res['finite']}")
    return res


def dask(quick: bool) -> dict:
    """``dask_benchmark(quick)`` of ``benchmarks/scale_dask.py`` (keys ``dask_speedup``, ``identical``), NaNs without it."""
    path = Path(__file__).resolve().parent / "scale_dask.py"
    missing = {"dask_speedup": float("nan"), "identical": float("nan")}
    if not path.exists():
        return missing
    spec = importlib.util.spec_from_file_location("scale_dask", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "dask_benchmark"):
        return missing
    result = {**missing, **module.dask_benchmark(quick)}
    print(f"Dask: 5-fold CV of AMN-QP on e_coli_core ({result['samples']} samples, {result['epochs']} epochs, 3 seeds): "
          f"1 worker {result['seconds_1']:.1f} s, 2 workers {result['seconds_2']:.1f} s (load average before "
          f"{result['load_before']:.2f}): x{result['dask_speedup']:.3f}, identical {bool(result['identical'])}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer epochs and iterations, baseline on 256 samples; no Recon3D")
    parser.add_argument("--full", action="store_true", help="with --quick: still run the Recon3D memory check")
    parser.add_argument("--workdir", type=Path, help="keep the generated dataset here (a rerun reuses it)")
    args = parser.parse_args()
    print(f"load average at start: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores", flush=True)
    work = data_dir(args.workdir, "amn-scale-")
    net = amn.make_unidirectional("iML1515")
    spec = read_medium(locate("media/iML1515_EXP_guided.csv"))
    media = GuidedMedia.from_csv(spec, locate("experimental/ecoli_dh5a_growth/iML1515_EXP.csv"), per_medium=20)
    data = dataset(net, media, work / "iML1515_guided_2200.npz", seed=0, workers=2)
    print(f"dataset: {len(data.X)} samples x {data.Y.shape[1]} fluxes (full iML1515), {data.X.shape[1]} medium inputs")
    train = training(net, data, work, args.quick)
    ipm = interior_point(net, data, args.quick)
    if not args.quick or args.full:
        recon3d()
    result = dask(args.quick)
    print(f"load average at end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    identical = result["identical"]
    identical = "nan" if np.isnan(float(identical)) else str(int(bool(identical)))
    print(f"scale ms_per_sample_epoch={train['ms_b32']:.3f} speedup_vs_f94d644={train['speedup']:.1f} "
          f"ipm_sparse_speedup={ipm['speedup']:.1f} dask_speedup={float(result['dask_speedup']):.2f} "
          f"identical={identical}")


if __name__ == "__main__":
    main()
