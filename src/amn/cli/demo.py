"""``amn demo``: the main job on the E. coli core model that COBRApy ships."""

from __future__ import annotations

import time

import click
import numpy as np
from cobra.flux_analysis import pfba

from amn.network import load_model, make_unidirectional
from amn.network.io import BUNDLED_MODEL
from amn.solve import HighsLP


@click.command()
@click.option("--model", default=BUNDLED_MODEL, show_default=True, help="Model path or name (default: COBRApy's bundled E. coli core).")
def demo(model: str) -> None:
    """Load the E. coli core model, make it unidirectional, run FBA, and summarise.

    FBA is solved with HiGHS on the unidirectional network and with COBRApy on
    the original model, and the growth rates compared; COBRApy's pFBA on the
    unidirectional network shows the uptake fluxes used.
    """
    t0 = time.perf_counter()
    original = load_model(model)
    net = make_unidirectional(original)
    mats = net.matrices(medium=net.uptake_ids)
    fba = HighsLP.from_network(net).solve()
    reference = original.slim_optimize()
    fluxes = pfba(net.model).fluxes[net.reaction_ids].to_numpy()
    s = net.summary()
    click.echo(f"model        {s['model']}: {s['original_reactions']} reactions -> {s['reactions']} unidirectional "
               f"({s['reversible_split']} reversible split, {s['exchanges']} exchanges as _i/_o)")
    click.echo(f"metabolites  {s['metabolites']}; S {mats.S.shape[0]}x{mats.S.shape[1]} with {mats.S.nnz} non-zeros")
    click.echo(f"FBA growth   {fba.objective:.6f} /h (HiGHS, unidirectional)  {reference:.6f} /h (COBRApy, original)")
    click.echo(f"pFBA         total flux {fluxes.sum():.2f}, {int((fluxes > 1e-9).sum())} active reactions, "
               f"max |S v| = {np.abs(mats.S @ fluxes).max():.1e}")
    used = sorted(((rid, fluxes[j]) for rid, j in zip(net.uptake_ids, mats.medium_index) if fluxes[j] > 1e-9), key=lambda t: -t[1])
    click.echo("uptakes      " + ", ".join(f"{rid} {v:.3g}" for rid, v in used))
    click.echo(f"done in {time.perf_counter() - t0:.2f} s")
