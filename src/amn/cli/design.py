"""``amn design``: media that a saved AMN predicts to maximise growth or a flux, checked by FBA."""

from __future__ import annotations

from pathlib import Path

import click

from amn.cli._options import FiniteRange, check_inputs, check_output, make_parent


@click.command()
@click.option("--model", "model_dir", required=True, type=click.Path(path_type=Path), help="Saved model directory (amn train --out).")
@click.option("--objective", help="Reaction id to maximise (unidirectional or original id) [default: growth].")
@click.option("--max-compounds", type=click.IntRange(min=1), help="At most K variable compounds in the medium.")
@click.option("--max-total", type=FiniteRange(min=0, min_open=True), help="At most this total uptake bound over the variable compounds.")
@click.option("--levels", type=click.IntRange(min=2), default=5, show_default=True, help="Round each compound to LEVELS values over its trained range.")
@click.option("--medium", "medium_file", type=click.Path(dir_okay=False, path_type=Path), help="Medium file whose levels to round to (instead of --levels).")
@click.option("--restarts", type=click.IntRange(min=1), default=16, show_default=True, help="Random restarts.")
@click.option("--steps", type=click.IntRange(min=1), default=100, show_default=True, help="Gradient steps per stage.")
@click.option("--lr", type=FiniteRange(min=0, min_open=True), default=0.05, show_default=True, help="Gradient step of the steepest compound, in units of its range (decays to 0 over a stage).")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="Media to report.")
@click.option("--tolerance", type=FiniteRange(min=0), default=0.1, show_default=True, help="Relative AMN-FBA difference flagged as a disagreement.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="CSV of the media (readable by amn predict --media).")
def design(model_dir, objective, max_compounds, max_total, levels, medium_file, restarts, steps, lr, top, tolerance,
           seed, out) -> None:
    """Design media under a budget by gradient ascent through a saved AMN, then validate them by FBA.

    Writes one row per medium, best predicted first: rank, compounds,
    n_compounds, amn_objective, fba_objective, difference (AMN - FBA),
    disagree, amn_growth, fba_growth, fba_status, then the uptake bound of
    every medium uptake of the model (the columns `amn predict --media` reads).
    """
    check_inputs({"--medium": medium_file})
    check_output(out)

    from amn.design import MediumDesigner
    from amn.media import read_medium

    designer = MediumDesigner(
        model_dir, objective=objective, max_compounds=max_compounds, max_total=max_total,
        levels=read_medium(medium_file) if medium_file else levels, restarts=restarts, steps=steps, lr=lr,
        seed=seed, tolerance=tolerance,
    )
    table = designer.design(top)
    table.to_csv(make_parent(out), index=False)
    shown = table[["rank", "compounds", "amn_objective", "fba_objective", "difference", "disagree"]]
    budget = [f"at most {max_compounds} compounds"] if max_compounds is not None else []
    budget += [f"total uptake <= {max_total:g}"] if max_total is not None else []
    click.echo(f"objective {designer.objective}; budget: {', '.join(budget)}")
    click.echo(shown.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    click.echo(f"{out}: {len(table)} media, {int(table['disagree'].sum())} where AMN and FBA disagree "
               f"by more than {tolerance:.0%}")
