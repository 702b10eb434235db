"""``amn generate``: training sets labelled by FBA/pFBA."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from amn.cli._options import FiniteRange, IdList, check_inputs, check_output, note_renamed, option_names
from amn.data import BUNDLED_MODEL
from amn.errors import MediumError


@click.command()
@click.option("--model", default=BUNDLED_MODEL, show_default=True, help="Model path, BiGG id of the data directory, or `textbook`.")
@click.option("--medium", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Medium specification CSV (level, max_value, ratio_drawing).")
@click.option("--size", type=click.IntRange(min=1), help="Number of random media (random generation).")
@click.option("--experimental", type=click.Path(dir_okay=False, path_type=Path), help="Experimental table (presence 0/1, bounds or concentrations; 0 = absent): generate media guided by its rows, the compounds each holds drawn at random levels.")
@click.option("--mapping", type=click.Path(dir_okay=False, path_type=Path), help="With --experimental: CSV `column,id`, the model id (uptake, exchange or metabolite) each named column means.")
@click.option("--per-medium", type=click.IntRange(min=1), default=100, show_default=True, help="Samples per experimental medium (with --experimental).")
@click.option("--method", type=click.Choice(["pfba", "fba"]), default="pfba", show_default=True, help="Labels: FBA, or pFBA (minimal total flux at the optimum).")
@click.option("--bound", type=click.Choice(["UB", "EB"]), default="UB", show_default=True, help="X = uptake upper bounds given (UB) or uptake fluxes used (EB).")
@click.option("--outputs", type=IdList(), help="Comma-separated reaction ids of Y [default: all fluxes].")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Dataset file to write (.npz).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed: the same seed gives the same dataset, whatever the workers.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Processes on a local Dask cluster (1 = in this process).")
@click.option("--dask", "dask_address", help="Address of an existing Dask scheduler (tcp://host:8786) to run on.")
@click.option("--chunk-size", type=click.IntRange(min=1), default=100, show_default=True, help="Samples per chunk (unit of work, of storage and of resumption).")
@click.option("--backend", type=click.Choice(["highs", "cobra"]), default="highs", show_default=True, help="HiGHS kept warm (fast) or COBRApy (reference).")
@click.option("--knockouts", "knockouts_source", help="Single-gene knockouts per sample: `all` (every gene of the model) or a file of candidate gene ids (one per line).")
@click.option("--wild-type", type=FiniteRange(0, 1), default=0.1, show_default=True, help="With --knockouts: fraction of samples without knockout.")
@click.option("--keep-no-growth", is_flag=True, help="Draw each medium once and keep those that do not grow (growth / no-growth training data); infeasible LPs are kept as growth 0, fluxes 0, and still reported.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def generate(model, medium, size, experimental, mapping, per_medium, method, bound, outputs, out, seed, workers, dask_address, chunk_size, backend, knockouts_source, wild_type, keep_no_growth, quiet) -> None:
    """Draw media, label them by FBA/pFBA, and write a training set.

    Random media follow the medium file (published semantics); with
    --experimental, each row of the table gives --per-medium samples (its
    columns name uptakes as the table's authors do: exchange or metabolite ids,
    unit hints, --mapping; each renamed column is printed).  The run
    is written chunk by chunk: interrupt it at any time (Ctrl-C, kill -9) and
    rerun the same command to resume; the result is identical to an
    uninterrupted run.  With --knockouts, each sample also knocks out one
    candidate gene (or none), X gains the indicator columns KO:<gene>, and the
    labels are those of the knocked-out network.  With --keep-no-growth, media
    that do not grow are kept (the negative class of a growth / no-growth
    model) instead of redrawn.
    """
    if (size is None) == (experimental is None):
        raise click.UsageError("give either --size N (random media) or --experimental TABLE.csv")
    knockouts_file = Path(knockouts_source) if knockouts_source and knockouts_source != "all" else None
    if mapping is not None and experimental is None:
        raise click.UsageError("--mapping names the columns of an --experimental table")
    check_inputs({"--medium": medium, "--experimental": experimental, "--mapping": mapping, "--knockouts": knockouts_file})
    check_output(out)

    from amn.csv_input import read_csv
    from amn.dataset import generate as generate_dataset
    from amn.dataset.lock import check_not_busy
    from amn.dataset.names import model_columns
    from amn.dataset.store import partial_dir
    from amn.media import GuidedMedia, RandomMedia, read_medium
    from amn.network import RandomKnockouts, make_unidirectional
    from amn.network.knockouts import read_gene_list

    check_not_busy(out)  # before loading the model: a second run on the same file is refused at once
    spec = read_medium(medium)
    table = read_csv(experimental, MediumError) if experimental else None
    with option_names(size="--size"):
        media = RandomMedia(spec, size) if table is None else None
    network = make_unidirectional(model)
    if table is not None:
        table, renamed = model_columns(table, network, spec.reaction_ids, str(experimental), mapping, units=True)
        note_renamed(experimental, renamed)
        with option_names(per_medium="--per-medium"):
            media = GuidedMedia(spec, table, per_medium, source=str(experimental))
    knockouts = None
    if knockouts_source:
        genes = None if knockouts_file is None else read_gene_list(knockouts_source)
        knockouts = RandomKnockouts.from_network(network, genes, wild_type, source=knockouts_source)
    try:
        with option_names(chunk_size="--chunk-size", workers="--workers", **{"backend='highs'": "--backend highs"}):
            dataset = generate_dataset(
                network, media, out, method=method, bound=bound, seed=seed,
                outputs=outputs,
                workers=workers, dask_address=dask_address, chunk_size=chunk_size, backend=backend,
                progress=not quiet, extra_metadata={"model_source": str(model)}, knockouts=knockouts,
                keep_no_growth=keep_no_growth,
            )
    except KeyboardInterrupt:
        click.echo(f"amn: interrupted; finished chunks are kept in {partial_dir(out)}: rerun the same command to resume", err=True)
        sys.exit(130)
    click.echo(
        f"{out}: {len(dataset.X)} samples, {_no_growth(dataset, keep_no_growth)}, "
        f"X {dataset.X.shape[1]} ({bound}), Y {dataset.Y.shape[1]} fluxes; {_timing(dataset.metadata)}"
    )


def _no_growth(dataset, kept: bool) -> str:
    """The draws that did not grow: dropped (redrawn) by default, kept with --keep-no-growth."""
    if not kept:
        return f"{len(dataset.infeasible)} infeasible draws"
    below = int((dataset.growth < dataset.metadata["min_growth"]).sum())
    return (f"{below} no-growth kept as labelled zeros (growth < {dataset.metadata['min_growth']:g}), "
            f"{len(dataset.infeasible)} of them infeasible LPs (fluxes 0)")


def _timing(meta: dict) -> str:
    """This run's time and rate: after a resume, over the samples labelled in this run only."""
    elapsed, labelled = meta["elapsed_s"], meta.get("labelled_this_run", meta.get("samples", 0))
    resumed = meta.get("samples_resumed", 0)
    rate = f"{labelled / elapsed:.1f} samples/s" if elapsed and labelled else "no sample labelled"
    if not resumed:
        return f"{elapsed:.1f} s ({rate})"
    return (f"{labelled} samples labelled in this run ({rate}), {resumed} kept from an earlier run; "
            f"{elapsed:.1f} s this run")
