"""``amn medium``: a medium specification file read off a model, for a new organism's training sets."""

from __future__ import annotations

from pathlib import Path

import click

from amn.cli._options import FiniteRange, NameOrIds, check_output, make_parent, option_names
from amn.errors import UnknownReactionError


@click.command()
@click.argument("model")
@click.option("--variable", required=True, type=NameOrIds(("carbon", "nitrogen")), help="Uptakes drawn per medium: `carbon` or `nitrogen` (every uptake whose metabolite holds C / N, outside the base), or comma-separated uptake ids (EX_glc__D_e_i,...).")
@click.option("--base", type=click.Choice(["model", "salts"]), default="model", show_default=True, help="Always open at the model file's bounds: every uptake the model leaves open, or those without the variable nutrient's element (its salts).")
@click.option("--levels", type=click.IntRange(min=2), default=5, show_default=True, help="Levels of a variable uptake: k * max-value / (levels - 1), k in 1..levels-1.")
@click.option("--max-value", type=FiniteRange(min=0, min_open=True), default=10.0, show_default=True, help="Largest bound of a variable uptake (mmol/gDW/h).")
@click.option("--ratio", type=FiniteRange(min=0, max=1, min_open=True), default=0.5, show_default=True, help="Expected fraction of the variable uptakes opened per medium.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Medium file to write (the format `amn generate --medium` reads).")
def medium(model: str, variable, base: str, levels: int, max_value: float, ratio: float, out: Path) -> None:
    """Write a medium file for MODEL: its own medium always open, the --variable uptakes drawn.

    The file is the published format (`level`, `max_value`, `ratio_drawing`
    rows): edit it by hand if needed, then `amn generate --model MODEL --medium
    OUT`.  Printed: the base's FBA growth, and how many variable uptakes let
    the base grow when opened alone (the compounds the organism can use).

    Example: amn medium iMM904 --variable carbon --base salts --out yeast_carbon.csv
    """
    check_output(out)

    from amn.media.from_model import model_medium
    from amn.network import make_unidirectional
    from amn.solve.composition import sole_uptake_growth

    network = make_unidirectional(model)
    try:
        with option_names(variable="--variable", base="--base", levels="--levels", max_value="--max-value",
                          ratio="--ratio"):
            spec = model_medium(network, variable, base=base, levels=levels, max_value=max_value, ratio=ratio)
    except UnknownReactionError as exc:  # "variable: not uptakes of ..." names the option typed
        raise UnknownReactionError(f"--{exc}") from None
    base_growth, alone = sole_uptake_growth(network, spec)
    spec.write(make_parent(out))
    what = variable if isinstance(variable, str) else "given"
    click.echo(f"{out}: {len(spec.minimal)} uptakes always open ({base} base), {len(spec.variable)} {what} uptakes "
               f"variable ({levels} levels up to {max_value:g}, ratio {ratio:g})")
    click.echo(f"FBA growth on the base alone: {base_growth:.4g} 1/h; variable uptakes that grow when opened alone on "
               f"the base: {int((alone > 1e-6).sum())} of {len(alone)}")
    if base_growth <= 1e-6 and not (alone > 1e-6).any():
        click.echo("amn: note: no variable uptake lets the base grow on its own: random media of this file will be "
                   "redrawn, then recorded as infeasible; open more of the model's medium (--base model)", err=True)
