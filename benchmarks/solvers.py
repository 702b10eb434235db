"""Mechanistic layers used as LP solvers on e_coli_core (paper Fig. 2C/2D): accuracy against pFBA versus iterations.

Usage: python benchmarks/solvers.py [--quick] [--media 50] [--seed 0] [--outdir runs/solvers]

50 media are drawn from ``media/e_coli_core.csv`` (level <= 1: open at
max_value; variable uptakes: Binomial(n_var, ratio) of them, at least one,
each at k * max / (level - 1), k uniform in 1..level-1).  The reference is
pFBA from the training-set generator (maximal growth, then minimal total flux; HiGHS).
Layers with uptake bounds as input (UB) get the medium; RNN-EB gets pFBA's
uptake fluxes.  R^2 are pooled: growth over media, all-flux over every
(medium, reaction) pair.  One iteration is one step of the layer: for the
interior-point layer that is one Newton step (a batched Cholesky
factorisation), far more work than a PDHG step, hence the wall times.
The last line printed is
``solvers best_method=<name> iters_to_1pct=<n> r2_at_1000=<x>``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch

import amn
from amn.data import locate
from amn.evaluation.metrics import r2
from amn.layers import PDHG, QP, RNNEB, RNNUB, InteriorPoint, ProjectedPDHG
from amn.media import RandomMedia, read_medium


def draw_media(network, spec, n: int, seed: int) -> tuple[np.ndarray, list[tuple[float, np.ndarray]]]:
    """``n`` media from the training-set generator, with their pFBA growth and fluxes (HiGHS)."""
    dataset = amn.generate(network, RandomMedia(spec, n), Path(tempfile.mkdtemp()) / "media.npz", seed=seed, progress=False)
    Y = dataset.Y[network.reaction_ids].to_numpy()
    return dataset.X.to_numpy(), [(g, y) for g, y in zip(dataset.growth.to_numpy(), Y)]


def scores(V: np.ndarray, V_ref: np.ndarray, c: np.ndarray, S) -> dict[str, float]:
    """Growth and all-flux R² of the layer's fluxes ``V`` against pFBA's ``V_ref``, relative growth error, ||SV||."""
    g, g_ref = V @ c, V_ref @ c
    return {
        "r2_growth": r2(g_ref, g),
        "r2_flux": r2(V_ref, V),  # pooled over every (medium, reaction) pair
        "rel_growth": float(np.mean(np.abs(g - g_ref) / np.abs(g_ref))),
        "sv": float(np.mean(np.linalg.norm(V @ S.T.toarray(), axis=1))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="at most 1000 iterations (under a minute)")
    parser.add_argument("--media", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--outdir", type=Path, default=Path("runs/solvers"))
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    max_iter = 1000 if args.quick else 10000
    ipm_rows = (5, 10, 20, 30, 50, 100, 1000)  # the interior-point layer converges in tens of iterations
    grid = sorted({int(x) for x in np.unique(np.round(np.logspace(0, np.log10(max_iter), 29)))} | {1000, max_iter}
                  | set(ipm_rows))

    network = amn.make_unidirectional("e_coli_core")
    spec = read_medium(locate("media/e_coli_core.csv"))
    spec.check(network)
    mats = network.matrices(medium=list(spec.reaction_ids))
    media, refs = draw_media(network, spec, args.media, args.seed)
    start = time.perf_counter()
    t_ref = time.perf_counter() - start
    V_ref = np.array([v for _, v in refs])
    uptakes = V_ref[:, mats.medium_index]
    c = mats.objective

    layers = {
        "RNN-UB": (RNNUB(mats), media),
        "RNN-EB": (RNNEB(mats), uptakes),
        "QP": (QP(mats), media),
        "PDHG": (PDHG(mats), media),
        "ProjectedPDHG": (ProjectedPDHG(mats), media),
        "InteriorPoint": (InteriorPoint(mats), media),
    }
    curves: dict[str, dict[int, dict]] = {}
    rows = [("pFBA (HiGHS)", "-", 1.0, 1.0, 0.0, scores(V_ref, V_ref, c, mats.S)["sv"], t_ref)]
    final: dict[str, tuple[int, np.ndarray]] = {}
    with torch.no_grad():
        for name, (layer, x) in layers.items():
            x = torch.as_tensor(x)
            if name == "InteriorPoint":  # converged long before 1000 iterations: one timed run per row
                sol = layer.run(x, iterations=1000, trace_at=grid)
                curves[name] = {t: scores(V.numpy(), V_ref, c, mats.S) for t, V in sol.trace.items()}
                for t in ipm_rows:
                    start = time.perf_counter()
                    layer.run(x, iterations=t)
                    s = curves[name][t]
                    rows.append((name, t, s["r2_growth"], s["r2_flux"], s["rel_growth"], s["sv"], time.perf_counter() - start))
                final[name] = (30, sol.trace[30].numpy() @ c)
                continue
            if max_iter != 1000:  # the quick run times the traced run itself
                start = time.perf_counter()
                layer.run(x, iterations=1000)
                t_1000 = time.perf_counter() - start
            start = time.perf_counter()
            sol = layer.run(x, iterations=max_iter, trace_at=grid)
            t_max = time.perf_counter() - start
            t_1000 = t_max if max_iter == 1000 else t_1000
            curves[name] = {t: scores(V.numpy(), V_ref, c, mats.S) for t, V in sol.trace.items()}
            final[name] = (1000, sol.trace[1000].numpy() @ c)
            for t, seconds in ((1000, t_1000), (max_iter, t_max)) if max_iter != 1000 else ((1000, t_1000),):
                s = curves[name][t]
                rows.append((name, t, s["r2_growth"], s["r2_flux"], s["rel_growth"], s["sv"], seconds))

    header = f"{'method':<15}{'iters':>7}{'R2 growth':>11}{'R2 flux':>10}{'rel err':>10}{'||SV||':>10}{'time s':>9}"
    print(f"e_coli_core, {args.media} media (seed {args.seed}), float64, batch of all media, CPU")
    print(header)
    for name, t, r2g, r2f, rel, sv, sec in rows:
        print(f"{name:<15}{t!s:>7}{r2g:>11.5f}{r2f:>10.5f}{rel:>10.4f}{sv:>10.2e}{sec:>9.2f}")

    args.outdir.mkdir(parents=True, exist_ok=True)
    g_ref = V_ref @ c
    fig, axes = plt.subplots(1, len(final), figsize=(3.2 * len(final), 3.2), sharex=True, sharey=True)
    for ax, (name, (its, g)) in zip(axes, final.items()):
        ax.scatter(g_ref, g, s=8)
        lim = [g_ref.min() * 0.9, g_ref.max() * 1.1]
        ax.plot(lim, lim, "k--", lw=0.8)
        ax.set_title(f"{name} ({its} it.)", fontsize=9)
        ax.set_xlabel("pFBA growth")
    axes[0].set_ylabel("layer growth")
    fig.tight_layout()
    fig.savefig(args.outdir / "growth_vs_pfba.png", dpi=120)
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.5))
    for name, curve in curves.items():
        its = sorted(curve)
        ax[0].plot(its, [max(curve[t]["r2_flux"], -1) for t in its], label=name)
        ax[1].plot(its, [max(curve[t]["r2_growth"], -1) for t in its], label=name)
    for a, what in zip(ax, ("all-flux R$^2$", "growth R$^2$")):
        a.set_xscale("log")
        a.set_ylim(-1, 1.02)
        a.set_xlabel("iterations")
        a.set_ylabel(what)
    ax[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.outdir / "r2_vs_iterations.png", dpi=120)

    def first_below(curve, tol=0.01):
        return next((t for t in sorted(curve) if curve[t]["rel_growth"] < tol), None)

    best = max(curves, key=lambda k: (curves[k][1000]["r2_flux"], -(first_below(curves[k]) or np.inf)))
    print(f"figures: {args.outdir / 'growth_vs_pfba.png'}, {args.outdir / 'r2_vs_iterations.png'}")
    reached = first_below(curves[best])
    print(f"solvers best_method={best} iters_to_1pct={reached if reached is not None else 'none'} "
          f"r2_at_1000={curves[best][1000]['r2_flux']:.5f}")


if __name__ == "__main__":
    main()
