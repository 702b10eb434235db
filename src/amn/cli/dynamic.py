"""``amn dynamic cv|fit|predict``: dynamic AMNs trained on whole growth curves.

Curves come from a curve table (``--media`` + ``--curves``: the ``T_<ID>`` /
``OD_<ID>`` / ``DEV_<ID>`` layout, or one reading a row) or a plate-reader folder (``--plates``).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from amn.cli._options import (
    NameOrIds,
    check_inputs,
    check_output,
    device_option,
    epochs_line,
    make_parent,
    with_notes,
)
from amn.errors import ParameterError

if TYPE_CHECKING:
    import pandas as pd

POSITIVE = click.IntRange(min=1)


def _curve_options(f):
    f = click.option("--plates", type=click.Path(file_okay=False, path_type=Path),
                     help="Plate-reader folder (plates.json, <date>_data.csv, designs) instead of --media/--curves.")(f)
    f = click.option("--curves", type=click.Path(dir_okay=False, path_type=Path),
                     help="Curves: T_<ID> (h), OD_<ID> (ln OD600), DEV_<ID> (SD) per medium; or one reading a row: ID, "
                          "time (h, or Time [s], h:mm:ss), log_od or od, optional sd (replicate rows averaged). Curves "
                          "may be read at different times (each simulated from its first reading).")(f)
    f = click.option("--media", type=click.Path(dir_okay=False, path_type=Path),
                     help="Media: an ID column and one column per compound (mM), named by its extracellular metabolite, "
                          "exchange or uptake id.")(f)
    f = click.option("--concentration", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
                     help="--plates: mM of a compound marked present.")(f)
    f = click.option("--add", "additions", multiple=True, metavar="MET=MM",
                     help="A compound in every medium (e.g. the base carbon source glyc_e=1), repeatable.")(f)
    f = click.option("--every", type=POSITIVE, default=1, show_default=True,
                     help="--plates: keep every n-th reading.")(f)
    f = click.option("--mapping", type=click.Path(dir_okay=False, path_type=Path),
                     help="CSV `column,id`: the model id (metabolite, exchange or uptake) each compound column means.")(f)
    return f


def _train_options(f):
    for option in reversed([
        click.option("--model", default="iML1515", show_default=True, help="Metabolic model (BiGG id, file, textbook)."),
        click.option("--base", type=NameOrIds(("m9", "model")), default="m9", show_default=True,
                     help="Uptakes always open beside the media: m9 (E. coli's M9 salts and O2), model (the model "
                          "file's own open uptakes without carbon: another organism's salts), or comma-separated "
                          "uptake ids."),
        click.option("--layer", type=click.Choice(["surrogate", "exact", "ipm"]), default="surrogate", show_default=True,
                     help="Growth map: frozen pFBA surrogate, or the exact / interior-point layer in the loop (slow)."),
        click.option("--epochs", type=POSITIVE, default=400, show_default=True),
        click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=0.02, show_default=True),
        click.option("--substeps", type=POSITIVE, default=2, show_default=True, help="Euler steps per curve interval."),
        click.option("--hidden", default="32", show_default=True, help="Hidden sizes, comma-separated."),
        click.option("--samples", type=POSITIVE, default=3000, show_default=True,
                     help="pFBA solutions the surrogate learns from."),
        click.option("--secretions", default="", metavar="IDS",
                     help="Comma-separated compounds the cells secrete that feed back as substrates (e.g. ac_e): "
                          "tracked from 0 mM (or the medium's amount), made at the network's secretion flux, taken "
                          "up again with learned kinetics."),
        click.option("--od-to-biomass", type=click.FloatRange(min=0, min_open=True), default=0.4, show_default=True,
                     help="gDW/L per OD600 unit."),
        click.option("--ensemble", type=POSITIVE, default=1, show_default=True,
                     help="Copies trained at once from different starting weights; predictions are their mean."),
        click.option("--seed", type=int, default=0, show_default=True),
        device_option,
        click.option("--quiet", is_flag=True, help="No progress bars."),
    ]):
        f = option(f)
    return f


def _add(table: pd.DataFrame, additions) -> None:
    """``--add MET=MM``: a compound column in every medium of ``table``, one that the table lacks."""
    for item in additions:
        name, _, value = (part.strip() for part in item.partition("="))
        try:
            mm = float(value)
        except ValueError:
            raise ParameterError(f"--add {item!r}: expected MET=MM, e.g. glyc_e=1") from None
        if not name or not mm >= 0:
            raise ParameterError(f"--add {item!r}: expected MET=MM with MM >= 0, e.g. glyc_e=1")
        if name in table.columns:
            raise ParameterError(f"--add {item!r}: {name} is already a column of "
                                 f"{table.attrs.get('source', 'the media')}")
        table[name] = mm


def _rename(table: pd.DataFrame, mapping: Path | None) -> None:
    """``--mapping``: the compound columns of ``table`` the mapping file names, renamed to their ids."""
    if mapping is None:
        return
    from amn.cli._options import note_renamed
    from amn.dataset.names import read_mapping

    source = table.attrs.get("source", "the media")
    names = read_mapping(mapping, list(table.columns), source)
    renamed = {column: names[column] for column in map(str, table.columns) if column in names}
    for column, target in renamed.items():
        if target in table.columns and target not in renamed:
            raise ParameterError(f"{mapping}: maps column {column} to {target}, already a column of {source}")
    table.rename(columns=renamed, inplace=True)
    note_renamed(source, renamed)


def _read(media, curves, plates, concentration, additions, every, mapping):
    if plates is not None:
        if media is not None or curves is not None:
            raise ParameterError("--plates: give either --plates or --media and --curves")
        check_inputs({"--mapping": mapping}, {"--plates": plates})
        from amn.dynamics import read_plate_folder

        data = with_notes(read_plate_folder, plates, concentration=concentration, every=every)
    else:
        if media is None or curves is None:
            raise ParameterError("--media and --curves are both needed (or --plates)")
        check_inputs({"--media": media, "--curves": curves, "--mapping": mapping})
        from amn.dynamics import read_curve_table

        data = with_notes(read_curve_table, media, curves)
    _rename(data.media, mapping)
    _add(data.media, additions)
    return data


def _estimator(model, base, layer, epochs, lr, substeps, hidden, samples, secretions, od_to_biomass, ensemble, seed,
               device, quiet):
    from amn.dynamics import DynamicAMN

    try:
        sizes = tuple(int(h) for h in hidden.split(",") if h.strip())
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise ParameterError(f"--hidden {hidden!r}: comma-separated layer sizes >= 1, e.g. 64,64")
    names = tuple(name.strip() for name in secretions.split(",") if name.strip())
    return DynamicAMN(model=model, base=base, layer=layer, epochs=epochs, lr=lr, substeps=substeps, hidden=sizes,
                      surrogate_samples=samples, secretions=names, od_to_biomass=od_to_biomass, ensemble=ensemble,
                      seed=seed, device=device, verbose=not quiet)


@click.group()
def dynamic() -> None:
    """Dynamic AMNs: dynamic FBA with learned uptake kinetics, trained on whole growth curves."""


@dynamic.command()
@_curve_options
@_train_options
@click.option("--folds", type=click.IntRange(min=2), default=10, show_default=True, help="Held-out media folds.")
@click.option("--seeds", default="0", show_default=True, help="Repeats (comma-separated seeds).")
@click.option("--forecast-fraction", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=2 / 3,
              show_default="2/3", help="Share of each curve's points fitted in the forecast split.")
@click.option("--report", type=click.Path(file_okay=False, path_type=Path), default=Path("runs/dynamic-cv"),
              show_default=True, help="Folder for scores and figures; the runs are checkpointed in REPORT/checkpoints "
                                      "until they are written.")
def cv(media, curves, plates, concentration, additions, every, mapping, model, base, layer, epochs, lr, substeps, hidden, samples,
       secretions, od_to_biomass, ensemble, seed, device, quiet, folds, seeds, forecast_fraction, report) -> None:
    """Held-out media (k-fold by medium) and forecast scores of a dynamic AMN.

    The runs (one per seed, and the forecast) are checkpointed under
    REPORT/checkpoints: rerun the same command after an interruption to resume.
    The checkpoints are removed once the scores and figures are written.
    """
    check_output(report, "--report", folder=True)
    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        seed_list = []
    if not seed_list:
        raise ParameterError(f"--seeds {seeds!r}: not comma-separated integers")
    data = _read(media, curves, plates, concentration, additions, every, mapping)

    import numpy as np
    import pandas as pd

    from amn.dynamics import GrowthModel
    from amn.dynamics.evaluation import forecast, forecast_time, heldout_members
    from amn.dynamics.figures import plot_curves

    if folds > len(data.media):
        raise ParameterError(f"--folds {folds}: more folds than the {len(data.media)} media of {data.source}")
    template = _estimator(model, base, layer, epochs, lr, substeps, hidden, samples, secretions, od_to_biomass, ensemble,
                          seed, device, quiet)
    gm = with_notes(GrowthModel.build, model, data.compounds, layer=layer, base=template.base, samples=samples,
                    seed=seed, source=data.media.attrs.get("source", data.source), secretions=template.secretions,
                    log=None if quiet else click.echo)
    click.echo(f"reactions kept: {len(gm.dynamic_network.network.reaction_ids)} of {gm.dynamic_network.full_reactions}")

    def make(s):
        return template.set_params(growth_model=gm, seed=s)

    checkpoints = report / "checkpoints"
    until = forecast_time(data.times, forecast_fraction)
    try:
        held = heldout_members(make, data, seeds=seed_list, n_splits=folds, checkpoint_dir=checkpoints)
        fc = forecast(make, data, until, seed=seed_list[0], checkpoint_dir=checkpoints / "forecast")
    except KeyboardInterrupt:
        click.echo(f"amn: interrupted; progress is kept in {checkpoints}: rerun the same command to resume", err=True)
        sys.exit(130)
    click.echo(f"held-out media: mean curve R2 {held.mean_r2:.4f}, RMSE {held.rmse.mean():.4f}")
    click.echo(f"forecast (fitted up to {until:.2f} h): mean curve R2 {fc.mean_r2:.4f}, RMSE {fc.rmse.mean():.4f}; "
               f"after {until:.2f} h alone: mean R2 {fc.extra['r2_tail'].mean():.4f}, RMSE {fc.extra['rmse_tail']:.4f}")
    report.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"medium": data.ids, "r2_heldout": held.r2.mean(0), "r2_forecast": fc.r2[0]}).to_csv(
        report / "scores.csv", index=False)
    pick = np.argsort(held.r2[0])[:: max(1, len(data.ids) // 8)][:8]
    sd = None if data.sd is None else data.sd[pick]
    plot_curves(data.times, data.log_od[pick], held.predictions[0][pick], [data.ids[i] for i in pick],
                report / "heldout", sd=sd, r2=held.r2[0][pick], title="held-out media")
    plot_curves(data.times, data.log_od[pick], fc.predictions[0][pick], [data.ids[i] for i in pick],
                report / "forecast", sd=sd, boundary=until, title="forecast")
    shutil.rmtree(checkpoints, ignore_errors=True)  # the results are written: the default folder serves the next run
    click.echo(f"{report}: scores.csv, heldout.png/svg, forecast.png/svg")


@dynamic.command()
@_curve_options
@_train_options
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Model directory to write.")
def fit(media, curves, plates, concentration, additions, every, mapping, model, base, layer, epochs, lr, substeps, hidden, samples,
        secretions, od_to_biomass, ensemble, seed, device, quiet, out) -> None:
    """Train a dynamic AMN on every curve and save it.

    The run is checkpointed under OUT/checkpoints: rerun the same command after an interruption to
    resume (the result is that of an uninterrupted run).
    """
    check_output(out, folder=True)
    data = _read(media, curves, plates, concentration, additions, every, mapping)
    estimator = _estimator(model, base, layer, epochs, lr, substeps, hidden, samples, secretions, od_to_biomass,
                           ensemble, seed, device, quiet)
    checkpoints = out / "checkpoints"
    try:
        with_notes(estimator.fit, data, checkpoint_dir=checkpoints)
    except KeyboardInterrupt:
        click.echo(f"amn: interrupted; progress is kept in {checkpoints}: rerun the same command to resume", err=True)
        sys.exit(130)
    r2 = estimator.score(data)
    estimator.save(out, metrics={"r2_train": r2})
    click.echo(f"{out}: {estimator.n_reactions_kept_} reactions kept of "
               f"{estimator.growth_model_.dynamic_network.full_reactions}, "
               f"{epochs_line(estimator.history_, estimator.resumed_epochs_)}, "
               f"mean curve R2 on the training curves {r2:.4f}")


@dynamic.command()
@click.argument("model_dir", type=click.Path(file_okay=False, path_type=Path))
@_curve_options
@click.option("--times", "times_text", help="Comma-separated hours (>= 0) to predict at, without --curves "
              "(starting from --od0 at the first).")
@click.option("--od0", type=float, help="ln OD at the first time, without --curves [default: -2.5].")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="CSV of predicted curves: medium, time, log_od, and one column per compound and secreted product "
                   "(mM).")
@click.option("--kinetics", type=click.Path(dir_okay=False, path_type=Path),
              help="CSV of the learned kinetics per medium: lags, Vmax, availability, Km, amounts, death rate and delay.")
@click.option("--figures", type=click.Path(file_okay=False, path_type=Path), help="Folder for curve figures.")
@device_option
def predict(model_dir, media, curves, plates, concentration, additions, every, mapping, times_text, od0, out, kinetics,
            figures, device) -> None:
    """Predict curves, substrate depletion and the learned kinetics of a saved dynamic AMN for the media of a table."""
    check_inputs({"--media": media, "--mapping": mapping}, {"model_dir": model_dir})
    check_output(out)
    check_output(kinetics, "--kinetics")

    import numpy as np
    import pandas as pd

    from amn.dynamics import DynamicAMN, read_media
    from amn.dynamics.figures import plot_curves, plot_depletion

    estimator = DynamicAMN.load(model_dir, device=device)
    measured = None
    if curves is not None or plates is not None:
        if times_text is not None or od0 is not None:
            raise ParameterError("--times and --od0 are for media without curves: with --curves or --plates the "
                                 "curves' own times and first readings are used")
        measured = _read(media, curves, plates, concentration, additions, every, mapping)
        table, times, od0, start = measured.media, measured.times, measured.log_od0, measured.start
    else:
        if media is None or times_text is None:
            raise ParameterError("--media with --times (or --curves) is needed")
        table = read_media(media)
        _rename(table, mapping)
        _add(table, additions)
        try:
            times = np.array([float(t) for t in times_text.split(",")])
        except ValueError:
            raise ParameterError(f"--times {times_text!r}: not comma-separated hours") from None
        if len(times) < 2 or (np.diff(times) <= 0).any() or times[0] < 0:
            raise ParameterError(f"--times {times_text!r}: needs at least two increasing times >= 0 h")
        od0, start = np.full(len(table), -2.5 if od0 is None else od0), None
    table = with_notes(estimator.as_trained, table)
    log_od, conc = estimator.simulate(table, times, od0, start=start)
    rows = []
    for i, medium in enumerate(table.index):
        for k, t in enumerate(times):
            rows.append({"medium": medium, "time": t, "log_od": log_od[i, k],
                         **{c: conc[i, k, j] for j, c in enumerate(estimator.state_)}})
    pd.DataFrame(rows).to_csv(make_parent(out), index=False)
    click.echo(f"{out}: {len(table)} media x {len(times)} times")
    if kinetics is not None:
        estimator.kinetics(table).to_csv(make_parent(kinetics), index_label="medium")
        click.echo(f"{kinetics}: learned kinetics of {len(table)} media")
    if figures is not None:
        ids = [str(i) for i in table.index[:12]]
        plot_depletion(times, conc[:12], estimator.state_, ids, figures / "depletion")
        if measured is not None:
            plot_curves(times, measured.log_od[:12], log_od[:12], ids, figures / "curves",
                        sd=None if measured.sd is None else measured.sd[:12])
        click.echo(f"{figures}: figures written")
