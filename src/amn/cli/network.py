"""``amn network``: make a model unidirectional, report it, write it as SBML."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from amn.cli._options import check_inputs, check_output, make_parent


@click.command()
@click.argument("model")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Unidirectional SBML to write [default: <model id>_unidirectional.xml].")
@click.option("--medium", type=click.Path(dir_okay=False, path_type=Path), help="Medium specification CSV: its uptakes define Pin and the LP split [default: every uptake].")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--lp-split/--no-lp-split", default=True, show_default=True, help="Also build S_int/S_ext for the upper-bound LP network (slowest step on large models).")
@click.option("--essential/--no-essential", default=True, show_default=True, help="Screen for essential uptakes (each closed alone, the others open at 1000).")
def network(model: str, out: Path | None, medium: Path | None, as_json: bool, lp_split: bool, essential: bool) -> None:
    """Split MODEL into a unidirectional network and print its counts.

    MODEL is an SBML (.xml, .xml.gz) or COBRApy JSON file, a BiGG id found in
    the data directory (e.g. iML1515), or `textbook` (the E. coli core model
    bundled with COBRApy).  Reversible reactions become <id>_for/<id>_rev,
    exchanges <id>_i (uptake) / <id>_o (outflow); all bounds are >= 0.
    """
    check_inputs({"--medium": medium})  # before loading the model: a minute at genome scale
    check_output(out)

    from amn.media import read_medium
    from amn.network import load_model, make_unidirectional
    from amn.solve.essential import essential_uptakes

    spec = read_medium(medium) if medium is not None else None
    timings = {}
    t0 = time.perf_counter()
    original = load_model(model)
    timings["load_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    net = make_unidirectional(original)
    timings["conversion_s"] = time.perf_counter() - t0

    uptakes = net.uptake_ids
    if spec is not None:
        spec.check(net)
        uptakes = list(spec.reaction_ids)

    t0 = time.perf_counter()
    mats = net.matrices(medium=uptakes)
    shapes = {name: list(getattr(mats, name).shape) for name in ("S", "V2M", "M2V", "Pin", "Pout")}
    if lp_split:
        split = mats.lp_split()
        shapes.update(S_int=list(split.S_int.shape), S_ext=list(split.S_ext.shape))
    timings["matrices_s"] = time.perf_counter() - t0

    summary = net.summary()
    summary["source"] = str(model)
    summary["matrices"] = shapes
    if essential:
        t0 = time.perf_counter()
        summary["essential_uptakes"] = essential_uptakes(net)
        timings["essential_s"] = time.perf_counter() - t0

    out = out or Path(f"{original.id or 'model'}_unidirectional.xml")
    t0 = time.perf_counter()
    net.write_sbml(make_parent(out))
    timings["write_s"] = time.perf_counter() - t0
    summary["written"] = str(out)
    summary["timings"] = {k: round(v, 3) for k, v in timings.items()}

    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    objective = ", ".join(f"{k} ({v:g})" for k, v in summary["objective"].items())
    lines = [
        ("model", f"{summary['model']} ({model})"),
        ("reactions", f"{summary['original_reactions']} -> {summary['reactions']} unidirectional"),
        ("reversible split", f"{summary['reversible_split']} (<id>_for / <id>_rev)"),
        ("exchanges", f"{summary['exchanges']} (<id>_i uptake / <id>_o outflow)"),
        ("metabolites", str(summary["metabolites"])),
        ("genes", str(summary["genes"])),
        ("objective", objective),
        ("matrices", ", ".join(f"{k} {v[0]}x{v[1]}" for k, v in shapes.items())),
    ]
    if essential:
        ess = summary["essential_uptakes"]
        lines.append(("essential uptakes", f"{len(ess)}" + (f": {', '.join(ess)}" if ess else "")))
    lines.append(("timings", ", ".join(f"{k[:-2]} {v:.2f} s" for k, v in summary["timings"].items())))
    lines.append(("written", str(out)))
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        click.echo(f"{key:<{width}}  {value}")
