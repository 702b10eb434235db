"""``amn data``: where the data files are, and downloading them for users outside."""

from __future__ import annotations

from pathlib import Path

import click

from amn import data as datalib
from amn.errors import DataError


@click.group()
def data() -> None:
    """Locate and download data files (models, growth data)."""


@data.command("list")
def list_() -> None:
    """List the registered datasets and where each file is found."""
    click.echo("search order: " + ", ".join(str(d) for d in datalib.search_dirs()))
    for name, files in datalib.REGISTRY.items():
        for remote in files:
            try:
                where = str(datalib.locate(remote.relpath))
            except DataError:
                where = f"missing (amn data fetch {name})"
            click.echo(f"{name:<18} {remote.relpath:<45} {where}")


@data.command()
@click.argument("name")
@click.option("--dest", type=click.Path(file_okay=False, path_type=Path), help="Data directory to fill [default: the cache].")
def fetch(name: str, dest: Path | None) -> None:
    """Download dataset NAME from its public source and verify its pinned sha256.

    A file already in a data directory (AMN_DATA_DIR first; with --dest, in
    that directory) with the pinned sha256 is not downloaded again.
    """
    datalib.fetch(name, dest, log=click.echo)
