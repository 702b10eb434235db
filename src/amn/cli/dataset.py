"""``amn dataset``: describe a training set, or export it to CSV."""

from __future__ import annotations

from pathlib import Path

import click

from amn.cli._options import check_output, make_parent


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--csv", "prefix", help="Write PREFIX_X.csv and PREFIX_Y.csv.")
def dataset(path: Path, prefix: str | None) -> None:
    """Describe the dataset at PATH, or export it to CSV (missing folders of PREFIX are created)."""
    from amn.dataset import load_dataset

    if prefix:
        check_output(Path(f"{prefix}_X.csv"), "--csv")
    data = load_dataset(path)
    meta = data.metadata
    click.echo(
        f"{path}: {len(data.X)} samples of model {meta['model']} ({meta['method']}, X={meta['bound']}), "
        f"X {data.X.shape[1]} columns, Y {data.Y.shape[1]} columns, {len(data.infeasible)} infeasible draws, "
        f"seed {meta['seed']}, growth {data.growth.min():.3g}..{data.growth.max():.3g}"
    )
    if prefix:
        make_parent(Path(f"{prefix}_X.csv"))
        for written in data.to_csv(prefix):
            click.echo(str(written))
