"""``amn experiment``: plate-reader curves to growth-rate tables, and media design."""

from __future__ import annotations

from pathlib import Path

import click

from amn.experiment.curation import auto_growth_rates, compare
from amn.experiment.design import combinations_design, parse_compounds
from amn.experiment.growth_rates import PlateReaderError, curated_growth_rates, read_curation


@click.group(name="experiment")
def experiment() -> None:
    """Plate-reader experiments: growth-rate tables and the design of media to test."""


@experiment.command("growth-rates")
@click.argument("raw_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Medium table to write (EXP110.csv format: composition, GR_1..GR_8, GR_AVG, GR_STD).")
@click.option("--auto", is_flag=True,
              help="Curate automatically (no start/stop, no outlier list) and compare with the curated table.")
@click.option("--figures", type=click.Path(file_okay=False, path_type=Path),
              help="Directory for one <date>_curves.png per plate (8 x 12 growth curves).")
@click.option("--wells", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the per-well table (rate, fit window, excluded, reason).")
def growth_rates(raw_dir: Path, out: Path, auto: bool, figures: Path | None, wells: Path | None) -> None:
    """Growth rates of every plate in RAW_DIR, one row per medium.

    RAW_DIR holds plates.json (plates, design rows, outlier wells), the design
    files compositions_<k>comps.csv, and per plate <date>_data.csv (TIME in hours,
    OD600 per well) and, for the curated method, <date>_start_stop.csv.
    By default the published method is applied (start/stop windows and the
    curators' outliers); with --auto the exponential phase and the aberrant
    replicates are found automatically. Problems of single wells are reported as
    warnings and those wells skipped.

    Example: amn experiment growth-rates ../shared/data/experimental/ecoli_dh5a_growth/raw --out growth.csv
    """
    result = auto_growth_rates(raw_dir) if auto else curated_growth_rates(raw_dir)
    for issue in result.issues:
        click.echo(f"amn: warning: {issue}", err=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    result.table.to_csv(out)
    excluded = int(result.wells["excluded"].sum())
    click.echo(f"{out}: {len(result.table)} media, {len(result.wells)} wells, {excluded} excluded")
    if wells is not None:
        result.wells.to_csv(wells, index=False)
        click.echo(f"{wells}: per-well table")
    if figures is not None:
        from amn.experiment.plots import plate_figures  # matplotlib only when asked

        window, _, _ = read_curation(raw_dir)
        for path in plate_figures(raw_dir, result.wells, figures, window):
            click.echo(f"{path}: curves")
    if auto:
        try:
            curated = curated_growth_rates(raw_dir)
        except PlateReaderError as exc:
            click.echo(f"no comparison with the curated table: {exc}", err=True)
            return
        click.echo(compare(result, curated).summary())


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
    table = combinations_design(parse_compounds(compounds), k, seed)
    if out is None:
        click.echo(table.to_csv(), nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(out)
        click.echo(f"{out}: {len(table)} media")
