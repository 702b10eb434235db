"""``amn predict``: fluxes of a saved model for the media of a CSV table."""

from __future__ import annotations

from pathlib import Path

import click

from amn.cli._options import check_inputs, check_output, make_parent, note_renamed
from amn.errors import DatasetMismatchError, UnknownGeneError, id_list


@click.command()
@click.argument("model_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--media", required=True, type=click.Path(dir_okay=False, path_type=Path), help="CSV with one row per medium, a column per medium uptake of the model: its id (EX_glc__D_e_i), exchange (EX_glc__D_e) or metabolite (glc__D_e).")
@click.option("--knockouts", "knockouts_path", type=click.Path(dir_okay=False, path_type=Path),
              help="CSV with one row per medium row and a column `knockouts`: `;`-separated gene (or reaction) ids, empty = wild type.")
@click.option("--mapping", type=click.Path(dir_okay=False, path_type=Path),
              help="CSV `column,id`: the model id (uptake, exchange, metabolite, gene) each named column means.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="CSV of predicted fluxes (columns = reaction ids).")
def predict(model_dir: Path, media: Path, knockouts_path: Path | None, mapping: Path | None, out: Path) -> None:
    """Predict the fluxes of a saved model for the media of a CSV table.

    Columns may name an uptake as the table's authors do (exchange or metabolite
    id, R_ prefix, --mapping); each renamed column is printed.  Knockouts come
    from KO:<gene> indicator columns of the media table (1 = knocked out; a gene
    id or name) and from --knockouts; AMNs remove the reactions of the
    knocked-out genes through the gene-reaction rules, for any gene of the
    network.  A column the model only saw at one value in training (its base:
    salts, oxygen) may be left out: it takes that value, and is printed.
    Missing folders of --out are created.
    """
    check_inputs({"--media": media, "--knockouts": knockouts_path, "--mapping": mapping})
    check_output(out)

    import numpy as np
    import pandas as pd

    from amn.csv_input import read_csv
    from amn.dataset.names import model_columns
    from amn.media import validate_media_table
    from amn.models import load_model_dir
    from amn.network.knockouts import read_knockout_table

    estimator = load_model_dir(model_dir)
    table = read_csv(media, DatasetMismatchError, index_col=None)
    table, renamed = model_columns(table, estimator.network_, estimator.medium_, str(media), mapping)
    note_renamed(media, renamed)
    constants = {m: low for m, low, high in zip(estimator.medium_, estimator.input_min_, estimator.input_max_)
                 if low == high}  # the base the model always saw at one value
    values = validate_media_table(table, estimator.medium_, source=str(media), constants=constants)
    if values.attrs["filled"]:
        click.echo(f"amn: note: {media}: column(s) the model only saw at one value, filled with it: "
                   + ", ".join(f"{m}={v:g}" for m, v in values.attrs["filled"].items()), err=True)
    if values.attrs.get("ignored"):
        click.echo(f"amn: note: {media}: column(s) {id_list(values.attrs['ignored'])} are not inputs of the model "
                   "(ignored)", err=True)
    knockouts = None
    if knockouts_path is not None:
        knockouts = read_knockout_table(knockouts_path, len(values), estimator.knockouts_)
    try:  # --knockouts is checked above: an unknown gene here is one of the media table's KO: columns
        if not estimator.predicts_fluxes:
            fluxes = pd.DataFrame(np.asarray(estimator.predict(values, knockouts)).reshape(len(values), -1),
                                  columns=estimator.measured_)
        else:
            fluxes = estimator.predict_fluxes(values, knockouts)
    except (UnknownGeneError, DatasetMismatchError) as exc:  # a KO: column the model cannot apply
        raise type(exc)(f"{media}: {exc}") from None
    fluxes.to_csv(make_parent(out), index=False)
    click.echo(f"{out}: {len(fluxes)} media x {fluxes.shape[1]} fluxes")

