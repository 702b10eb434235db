"""``amn experiment``: plate-reader curves to growth-rate tables, media design, and learning from
measured growth (the published protocol, baselines, reservoir)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from amn.cli._options import check_inputs, check_output, make_parent, option_names, table_options, with_notes
from amn.errors import AMNError, ParameterError, PlateReaderError


@click.group(name="experiment")
def experiment() -> None:
    """Experiments: growth-rate tables, media design, and models of measured growth."""


@experiment.command("growth-rates")
@click.argument("raw_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Medium table to write (EXP110.csv format: composition, GR_1..GR_n, GR_AVG, GR_STD).")
@click.option("--auto", is_flag=True,
              help="Curate automatically (no start/stop, no outlier list) and compare with the curated table.")
@click.option("--figures", type=click.Path(file_okay=False, path_type=Path),
              help="Directory for one <date>_curves.png per plate (a growth curve per well).")
@click.option("--wells", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the per-well table (rate, fit window, excluded, reason).")
def growth_rates(raw_dir: Path, out: Path, auto: bool, figures: Path | None, wells: Path | None) -> None:
    """Growth rates of every plate in RAW_DIR, one row per medium.

    RAW_DIR holds plates.json (plates, design rows, outlier wells and, for another
    layout than 10 media in columns 2-11 of rows A-H, the wells of each medium;
    blank wells, if listed, are subtracted; "blanked": true for readings the
    reader blanked), the
    design files, and per plate <date>_data.csv (a time column: TIME in hours,
    Time [s], time (min) or h:mm:ss; OD600 per well; any plate format) and, for the
    curated method, <date>_start_stop.csv.
    By default the published method is applied (start/stop windows and the
    curators' outliers); with --auto the exponential phase and the aberrant
    replicates are found automatically. Problems of single wells are reported as
    warnings and those wells skipped.

    Example: amn experiment growth-rates ../shared/data/experimental/ecoli_dh5a_growth/raw --out growth.csv
    """
    check_output(out)
    check_output(wells, "--wells")
    check_output(figures, "--figures", folder=True)

    from amn.plate_reader.curation import auto_growth_rates, compare
    from amn.plate_reader.growth_rates import curated_growth_rates

    result = auto_growth_rates(raw_dir) if auto else curated_growth_rates(raw_dir)
    for issue in result.issues:
        click.echo(f"amn: warning: {issue}", err=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    result.table.to_csv(out)
    excluded = int(result.wells["excluded"].sum())
    click.echo(f"{out}: {len(result.table)} media, {len(result.wells)} wells, {excluded} excluded")
    blanked = result.wells.groupby("plate", sort=False)["loq"].first()
    if (blanked > 0).any():
        shown = blanked[blanked > 0]
        click.echo(f"readings blank-subtracted on {len(shown)} of {len(blanked)} plates (blank wells, or by the reader); "
                   f"points fitted from the limit of quantification on, {shown.min():.3g}-{shown.max():.3g} OD above "
                   "the blank")
    if wells is not None:
        result.wells.to_csv(make_parent(wells), index=False)
        click.echo(f"{wells}: per-well table")
    if figures is not None:
        from amn.plate_reader.plots import plate_figures  # matplotlib only when asked

        for path in plate_figures(raw_dir, result.wells, figures):
            click.echo(f"{path}: curves")
    if auto:
        try:
            curated = curated_growth_rates(raw_dir)
        except PlateReaderError as exc:
            click.echo(f"no comparison with the curated table: {exc}", err=True)
            return
        click.echo(compare(result, curated).summary())
        click.echo(f"every well's decision and reason: {wells if wells is not None else 'add --wells FILE'}")


@experiment.command("design")
@click.option("--compounds", required=True, help="Comma-separated compound ids, e.g. EX_glc__D_e_i,EX_ac_e_i,...")
@click.option("--on", "k", required=True, type=int, help="Number of compounds present in each medium (K).")
@click.option("--seed", required=True, type=int, help="Seed of the shuffle; the same seed gives the same order.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="CSV to write (default: standard output).")
def design(compounds: str, k: int, seed: int, out: Path | None) -> None:
    """Every medium with exactly K of the compounds, in a reproducible random order.

    The table has the compositions_<k>comps.csv layout: an index numbered from 1
    and one 0/1 column per compound; plates then take consecutive rows of it.

    Example: amn experiment design --compounds EX_rib__D_e_i,EX_malt_e_i,EX_fru_e_i,EX_ac_e_i --on 2 --seed 0
    """
    check_output(out)

    from amn.plate_reader.combinations import combinations_design, parse_compounds

    with option_names(**{"k =": "--on"}):
        table = combinations_design(parse_compounds(compounds), k, seed)
    if out is None:
        click.echo(table.to_csv(), nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(out)
        click.echo(f"{out}: {len(table)} media")


def _table_and_network(data: Path, target: str, model: str | None, task: str = "auto"):
    from amn.dataset.reading import read_table
    from amn.network import make_unidirectional

    network = make_unidirectional(model) if model else None
    return read_table(data, target=target, network=network, task=task), network


def _read(data, network, target: str, all_targets: str | None, task: str, composition: str, ignore: str, inputs: str,
          mapping: Path | None, knockout_value: str | None, key: str | None, fitting: bool = True):
    """The table of ``amn experiment cv`` (the options of :func:`~amn.cli._options.table_options`)."""
    from amn.dataset.reading import read_table

    return read_table(list(data), target=all_targets or target, network=network, task=task, composition=composition,
                      ignore=ignore, inputs=inputs, mapping=mapping,
                      knockout_value=None if knockout_value is None else int(knockout_value), key=key,
                      fitting=fitting)


def _cv_option(value: str) -> int | str:
    """``--cv``: a number of folds (>= 2) or ``loo``."""
    text = str(value).strip().lower()
    if text == "loo":
        return "loo"
    try:
        folds = int(text)
    except ValueError:
        folds = 0
    if folds < 2:
        raise ParameterError(f"--cv: a number of folds >= 2 or loo (got {value!r})")
    return folds


@experiment.command("reservoir-medium")
@click.option("--data", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Experimental table (compositions + target).")
@click.option("--target", default="GR_AVG", show_default=True)
@click.option("--model", required=True, help="Metabolic model (path, BiGG id or textbook).")
@click.option("--medium", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Medium file to widen: the base compounds and every variable compound of the table.")
@click.option("--max-bound", type=float, default=10.0, show_default=True, help="Upper end of the drawn uptake bounds (mmol/gDW/h).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Medium file to write.")
def reservoir_medium_command(data: Path, target: str, model: str, medium: Path, max_bound: float, out: Path) -> None:
    """Write the medium file for a reservoir's growth model: the table's variable compounds and the
    base uptakes that limit FBA growth drawn in [0, --max-bound].

    Generate guided data with it (amn generate --medium OUT --experimental DATA), train
    an AMN on them, and give that AMN to `amn experiment fit|cv --growth-model`.
    """
    check_inputs({"--data": data, "--medium": medium})
    check_output(out)

    from amn.media import read_medium
    from amn.reservoir import reservoir_medium

    table, network = _table_and_network(data, target, model)
    widened, limiting = reservoir_medium(network, table, read_medium(medium), max_bound)
    out.parent.mkdir(parents=True, exist_ok=True)
    widened.write(out)
    click.echo(f"{out}: {len(widened.variable)} uptakes drawn in [0, {max_bound:g}]; limiting base uptakes: {', '.join(limiting) or 'none'}")


@experiment.command("cv")
@table_options
@click.option("--cv", "cv_folds", default="10", show_default=True,
              help="Folds of the protocol (stratified on the binned target, or its classes; several targets: "
                   "shuffled KFold), or loo: leave one row out (one condition per row).")
@click.option("--methods", "method_names", help="Comma-separated method names to run (case-insensitive) [default: all].")
@click.option("--test-data", type=click.Path(dir_okay=False, path_type=Path), help="Fit every method on all rows of --data and score it on this table (same columns) instead of cross-validating.")
@click.option("--model", help="Metabolic model: maps column names to its uptakes, genes and reactions; adds the FBA baselines (path, BiGG id or textbook).")
@click.option("--medium", type=click.Path(dir_okay=False, path_type=Path), help="Medium file of the base compounds (FBA baselines).")
@click.option("--growth-model", type=click.Path(file_okay=False, path_type=Path), help="Saved AMN (amn train) whose medium is the table's uptakes: adds the reservoir (regression targets).")
@click.option("--exact-route", is_flag=True, help="Also fit composition-dependent uptake bounds through FBA itself (needs --model; slow).")
@click.option("--amn", "amn_epochs", type=int, default=0, help="Also train AMN-QP on the measured values (method 1) on --model's network, for this many epochs.")
@click.option("--seeds", default="0,1,2", show_default=True, help="Repeats of the protocol (with --test-data: the first seeds the estimators).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Folds on a local Dask cluster of this many processes (1 = in this process); same results.")
@click.option("--dask", "dask_address", help="Run the folds on an existing Dask scheduler (tcp://host:8786).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("runs/experiment"), show_default=True, help="Directory for results.csv, predictions.csv and report.md.")
def cv(data: tuple[Path, ...], target: str, all_targets: str | None, task: str, composition: str, ignore: str,
       inputs: str, mapping: Path | None, knockout_value: str | None, key: str | None, cv_folds: str,
       method_names: str | None, test_data: Path | None, model: str | None, medium: Path | None,
       growth_model: Path | None, exact_route: bool, amn_epochs: int, seeds: str, workers: int,
       dask_address: str | None, out: Path) -> None:
    """Run the published protocol (10-fold CV stratified on binned target, repeated) for every method.

    Every column of the table gets a role, printed once: uptake (a medium
    compound), knockout (0/1, a gene or reaction of --model), measured or
    extra input, target, or ignored (with the reason).  Statistical baselines
    always run, on every input column and every target; FBA baselines with
    --model (presence, bounds or concentrations; for a 0/1 target, grows =
    FBA growth above a threshold chosen on the training folds), the exact-FBA
    reservoir route with --exact-route and AMN-QP trained on the measured
    values with --amn EPOCHS (presence tables), the reservoir with
    --growth-model (a logistic head for a 0/1 target) -- on tables with one
    target, each applying the table's knockout columns; a method asked for that cannot run gets a
    one-line note saying why; --methods keeps some of them.  --workers N or
    --dask ADDRESS run the folds on Dask, with the same results.  With --test-data, every
    method is fitted on all rows of --data and scored on that table.  Prints
    the method table and writes to --out: results.csv (one row per method,
    numeric metric columns: q2, or q2_variance_weighted and q2_<target> for
    several targets; accuracy, balanced_accuracy, roc_auc, majority_rate for
    classification), predictions.csv (held-out predictions per row) and report.md.
    Every finished fold is kept under OUT/checkpoints until the results are
    written: rerun the same command after an interruption to resume (a method's
    seconds then count the resumed part only).
    """
    files = {f"--data {path}": path for path in data}
    check_inputs({**files, "--medium": medium, "--test-data": test_data, "--mapping": mapping},
                 {"--growth-model": growth_model})
    check_output(out, folder=True)

    import warnings

    from amn.baselines.method import run_methods, run_methods_on, select_methods
    from amn.baselines.registry import methods_for
    from amn.evaluation.report import method_table, predictions_table, published_for, results_frame
    from amn.media import read_medium
    from amn.network import make_unidirectional

    seed_list, folds = _seeds(seeds), _cv_option(cv_folds)
    network = make_unidirectional(model) if model else None
    options = {"target": target, "all_targets": all_targets, "composition": composition, "ignore": ignore,
               "inputs": inputs, "mapping": mapping, "knockout_value": knockout_value, "key": key}
    table = _read(data, network, task=task, **options)
    click.echo(table.summary())
    if test_data is None and folds != "loo" and len(table) < folds:
        raise ParameterError(f"{table.source}: {len(table)} rows are too few for {folds}-fold cross-validation "
                             f"(--cv {len(table)} or fewer, or --cv loo)")
    test = None
    if test_data is not None:  # read as the training table was: the same composition and knockout value
        test = _read([test_data], network, task=table.task, fitting=False, **{
            **options, "composition": table.composition or composition,
            "knockout_value": knockout_value if table.knockout_value is None else table.knockout_value})
        read_as = [f"composition {test.composition}"] if test.composition else []
        read_as += [f"{test.knockout_value} = knocked out"] if test.knockout_value is not None else []
        click.echo(f"{test_data}: {len(test)} rows to score, read as the training table"
                   + (f" ({', '.join(read_as)})" if read_as else ""))
    spec = read_medium(medium) if medium else None
    methods = with_notes(methods_for, table, network, spec, exact_route=exact_route,  # a method skipped: one line
                         amn_epochs=amn_epochs, growth_model=growth_model)
    methods = select_methods(methods, method_names)
    rare = table.y.value_counts().min() if table.task == "classification" else None
    if test is None and folds != "loo" and rare is not None and rare < folds:
        click.echo(f"amn: note: {table.source}: column {table.target}: the rarer class has {rare} rows, fewer than "
                   f"the {folds} folds: some held-out folds hold none of it", err=True)
    checkpoints = out / "checkpoints"
    if test is None:  # the protocol's folds are recorded there: an interrupted run resumes
        from amn.evaluation.runs import claim_run, frame_digest, path_digest

        claim_run(checkpoints, {
            "table": frame_digest(table.X, table.Y), "roles": table.input_roles, "task": table.task,
            "methods": [m.name for m in methods], "seeds": seed_list, "folds": folds, "exact_route": exact_route,
            "amn_epochs": amn_epochs, "model": None if network is None else network.sha256(),
            "medium": path_digest(medium), "growth_model": path_digest(growth_model)})
    from tqdm import tqdm

    try:
        with tqdm(total=len(methods), unit="method", desc="protocol" if test is None else "fit and test") as bar, \
                warnings.catch_warnings():
            warnings.filterwarnings("ignore", "The least populated class", UserWarning)  # said once, above
            if test is None:
                def progress(name: str, done: int, total: int) -> None:
                    bar.set_postfix_str(f"{name} fold {done}/{total}")
                    if done == total:
                        bar.update()

                from amn.evaluation.executors import executor_for

                with executor_for(workers, dask_address) as executor:
                    results = run_methods(methods, table, seeds=seed_list, n_splits=folds, progress=progress,
                                          executor=executor, workdir=checkpoints)
            else:
                results = run_methods_on(methods, table, test, seed=seed_list[0], progress=lambda name: bar.update())
    except KeyboardInterrupt:
        click.echo("amn: interrupted" + (f"; progress is kept in {checkpoints}: rerun the same command to resume"
                                         if test is None else ""), err=True)
        sys.exit(130)
    except AMNError:
        if not any(checkpoints.rglob("fold_*.json")):  # nothing worth resuming: a corrected rerun starts afresh
            shutil.rmtree(checkpoints, ignore_errors=True)
        raise
    notes = {m.name: m.note for m in methods}
    single = len(data) == 1 and len(table.targets) == 1
    published = published_for(data[0], table.targets[0]) if test is None and single else {}
    summary = method_table(results, published=published, notes=notes)
    click.echo(summary.to_string(index=False))
    out.mkdir(parents=True, exist_ok=True)
    frame = results_frame(results, notes, published)
    frame.to_csv(out / "results.csv", index=False)
    scored = table if test is None else test
    index_name = scored.key if scored.key and not scored.key.startswith("Unnamed:") else "medium"
    predictions_table(results, scored.Y.index, index_name).to_csv(out / "predictions.csv")
    click.echo(str(_report(out, summary, frame, table, test, seed_list, folds)))
    shutil.rmtree(checkpoints, ignore_errors=True)  # the results are written: a rerun starts afresh


def _seeds(seeds: str) -> list[int]:
    try:
        values = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        values = []
    if not values:
        raise ParameterError(f"--seeds: comma-separated integers, e.g. 0,1,2 (got {seeds!r})")
    return values


def _report(out: Path, summary, frame, table, test, seeds: list[int], folds: int | str) -> Path:
    from amn.evaluation.report import metric_notes, results_notes, write_report

    what = ", ".join(table.targets[:3]) + (f", ... ({len(table.targets)} targets)" if len(table.targets) > 3 else "")
    if test is None:
        if folds == "loo":
            split = f"leave-one-row-out CV (each of the {len(table)} rows held out once)"
        elif len(table.targets) > 1:
            split = f"{folds}-fold shuffled KFold CV (several targets: no stratification)"
        else:
            split = (f"{folds}-fold CV stratified on "
                     f"{'the classes' if table.task == 'classification' else 'quantile bins'} of {table.target}")
        protocol = (f"{len(seeds)} seed(s) {seeds} x {split}; scores of the pooled held-out predictions of each "
                    f"repeat. Data: `{table.source}` ({len(table)} rows); target(s): {what}.")
    else:
        protocol = (f"Every method fitted on all {len(table)} rows of `{table.source}` and scored on the "
                    f"{len(test)} rows of `{test.source}` (one repeat, seed {seeds[0]}); target(s): {what}.")
    sections = {"Protocol": protocol, "Table": "```\n" + table.summary(shown=None) + "\n```",
                "Columns": metric_notes(list(summary.columns)),
                "results.csv": results_notes(list(frame.columns)),
                "predictions.csv": ("the pooled held-out prediction of every row (mean over repeats), one column per "
                                    "method" + (" and target (`<method>:<target>`, measured values in "
                                                "`measured:<target>`)" if len(table.targets) > 1 else
                                                ", measured values in `measured`"))}
    title = f"{what}: {table.task}"
    return write_report(out / "report.md", summary, title=title, sections=sections)


@experiment.command("fit")
@table_options
@click.option("--growth-model", required=True, type=click.Path(file_okay=False, path_type=Path), help="Saved AMN (amn train) whose medium is the table's uptakes; its network maps the column names.")
@click.option("--max-bound", type=float, default=None, help="Largest uptake bound the reservoir may learn [default: the largest input the AMN was trained on].")
@click.option("--learn-base", is_flag=True, help="Also learn the bounds of the compounds present in every medium.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="CSV of learned uptake bounds per medium (reaction ids as columns).")
def fit(data: tuple[Path, ...], target: str, all_targets: str | None, task: str, composition: str, ignore: str,
        inputs: str, mapping: Path | None, knockout_value: str | None, key: str | None, growth_model: Path,
        max_bound: float | None, learn_base: bool, out: Path) -> None:
    """Train the reservoir on all media; write the learned uptake bounds and check them with FBA.

    The table is read as by `amn experiment cv` (column roles printed once; names mapped
    by the growth model's network): its uptake columns (0/1, bounds or concentrations)
    and knockout columns, which the growth model applies in each row, and one target,
    growth rates or grows / does not grow (a logistic head).  The bounds table can be
    applied to the COBRApy model with amn.solve.cobra_bounds.uptake_bounds(model, row)
    inside a `with` block.
    """
    check_inputs({**{f"--data {path}": path for path in data}, "--mapping": mapping}, {"--growth-model": growth_model})
    check_output(out)

    from amn.baselines.mechanistic import mechanistic_blocker, reservoir_knockout_blocker
    from amn.network import Knockouts
    from amn.reservoir import ReservoirClassifier, ReservoirRegressor
    from amn.reservoir.model import load_growth_model
    from amn.solve.cobra_bounds import check_bounds

    network = load_growth_model(growth_model).network_  # the reservoir reuses it (cached)
    table = _read(data, network, target=target, all_targets=all_targets, task=task, composition=composition,
                  ignore=ignore, inputs=inputs, mapping=mapping, knockout_value=knockout_value, key=key)
    click.echo(table.summary())
    why = mechanistic_blocker(table) or reservoir_knockout_blocker(growth_model, table.knockout_ids)
    if why:
        raise ParameterError(f"{table.source}: the reservoir cannot be fitted: {why}")
    kind = ReservoirClassifier if table.task == "classification" else ReservoirRegressor
    reservoir = kind(str(growth_model), learn_base=learn_base, composition=table.composition,
                     knockout_ids=list(table.knockout_ids))
    if max_bound is not None:
        reservoir.set_params(max_bounds=dict.fromkeys(table.composition_ids, max_bound))
    compositions = table.X[list(table.composition_ids) + list(table.knockout_ids)]  # what the reservoir reads
    compositions.attrs["source"] = table.source
    reservoir.fit(compositions, table.y)
    bounds = reservoir.uptake_bounds(compositions)
    out.parent.mkdir(parents=True, exist_ok=True)
    bounds.to_csv(out)
    score = "training accuracy" if table.task == "classification" else "training R2"
    click.echo(f"{out}: {len(bounds)} media x {bounds.shape[1]} uptake bounds; "
               f"{score} {reservoir.score(compositions, table.y):.4f}")
    knockouts = Knockouts(network)
    closed = [knockouts.reactions([k for k in table.knockout_ids if row[k]]) for _, row in compositions.iterrows()]
    agreement = check_bounds(network.model, bounds, reservoir.growth(compositions), closed=closed)
    click.echo(f"FBA with the learned bounds{' and knockouts' if table.knockout_ids else ''} vs the reservoir: "
               f"{agreement.summary()}")
