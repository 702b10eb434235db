"""Shared option handling of the commands.

Library errors name parameters (``per_medium``); on the command line they name
the options typed (:func:`option_names`).  Files given as options are checked
before any slow work (:func:`check_inputs`, :func:`check_output`), and an
output's missing folders are created only when it is written
(:func:`make_parent`).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import click

from amn.errors import InputFileNotFoundError, ParameterError


@contextmanager
def option_names(**names: str) -> Iterator[None]:
    """Re-raise a :class:`~amn.errors.ParameterError` with each parameter name replaced by its option.

    ``names`` maps a parameter as library messages write it to the option, e.g.
    ``option_names(per_medium="--per-medium")``.
    """
    try:
        yield
    except ParameterError as exc:
        message = str(exc)
        for parameter, option in names.items():
            message = re.sub(rf"(?<![\w-]){re.escape(parameter)}(?![\w-])", option, message)
        raise ParameterError(message) from None


class FiniteRange(click.FloatRange):
    """A float range that also refuses nan and inf (``click.FloatRange`` lets them through)."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


class IdList(click.ParamType):
    """Comma-separated ids (``A,B``) as a list; an empty id (``A,,B``, a trailing comma) is refused."""

    name = "ID,ID,..."

    def convert(self, value, param, ctx):
        if isinstance(value, list):
            return value
        ids = [part.strip() for part in str(value).split(",")]
        if not all(ids):
            self.fail(f"{value!r} holds an empty id; separate ids by single commas", param, ctx)
        return ids


class NameOrIds(IdList):
    """One of a few names (``--base m9``), or comma-separated ids as :class:`IdList` reads them."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.name = "|".join(names) + "|ID,ID,..."

    def convert(self, value, param, ctx):
        return value if value in self.names else super().convert(value, param, ctx)


def note_renamed(source, renamed: Mapping[str, str]) -> None:
    """One ``amn: note:`` line listing the columns of ``source`` read under the model's ids (old -> new)."""
    if renamed:
        click.echo(f"amn: note: {source}: column(s) read as the model's ids: "
                   + ", ".join(f"{old} -> {new}" for old, new in renamed.items()), err=True)


def with_notes(call: Callable, *args, **kwargs):
    """``call(*args, **kwargs)``, its ``UserWarning`` s (what it left out or skipped) printed as one
    ``amn: note:`` line each."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        result = call(*args, **kwargs)
    for warning in caught:
        click.echo(f"amn: note: {warning.message}", err=True)
    return result


def check_inputs(files: Mapping[str, Path | None], folders: Mapping[str, Path | None] | None = None) -> None:
    """Check that the files (and folders) given as options exist and can be read, before any slow work.

    Parameters
    ----------
    files : mapping of str to Path or None
        Option (``"--medium"``) to the file given; None (option not given) is skipped.
    folders : mapping of str to Path or None, optional
        The same for options that name a folder.

    Raises
    ------
    InputFileNotFoundError
        ``"<path>: no such file (<option>)"``, or a folder where a file is expected (and back).
    ParameterError
        The file or folder cannot be read.
    """
    for kind, entries in (("file", files), ("folder", folders or {})):
        for option, path in entries.items():
            if path is None:
                continue
            path = Path(path)
            if not path.exists():
                raise InputFileNotFoundError(f"{path}: no such {kind} ({option})")
            if path.is_dir() != (kind == "folder"):
                raise InputFileNotFoundError(f"{path}: not a {kind} ({option})")
            if not os.access(path, os.R_OK | (os.X_OK if kind == "folder" else 0)):
                raise ParameterError(f"{path}: not readable ({option})")


def check_output(path: Path | None, option: str = "--out", folder: bool = False) -> None:
    """Check that an output can be written, without creating anything.

    Its missing folders may be missing (they are created when it is written);
    the nearest existing one must be a writable folder.

    Parameters
    ----------
    path : Path or None
        The output given; None is skipped.
    option : str, default "--out"
        Named in the message.
    folder : bool, default False
        The output is a folder (a model directory), not a file.

    Raises
    ------
    ParameterError
        A file where a folder is needed (or a folder where the file goes), or a
        folder that cannot be written.
    """
    if path is None:
        return
    path = Path(path)
    if path.exists() and path.is_dir() != folder:
        raise ParameterError(f"{option} {path}: {'a file' if folder else 'a folder'} is there")
    parent = path.absolute() if folder and path.is_dir() else path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise ParameterError(f"{option} {path}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ParameterError(f"{option} {path}: {parent} is not writable")


def make_parent(path: Path) -> Path:
    """Create the missing folders of an output file, just before it is written.

    Parameters
    ----------
    path : Path
        The output file.

    Returns
    -------
    Path
        ``path``, to write to.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return Path(path)


def _check_device(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A device this machine lacks stops the command as it is parsed, before any slow work."""
    if value == "auto":  # every machine has one (the GPU when present, else the CPU): no torch to import
        return value
    from amn.models.runtime import resolve_device  # imports torch: only for a device named

    try:
        resolve_device(value)
    except ParameterError as exc:  # "device 'x': ..." -> "--device 'x': ..."
        raise ParameterError(f"--{exc}") from None
    return value


#: ``--device`` of the commands that train or run a model (:func:`amn.models.runtime.resolve_device`).
device_option = click.option("--device", default="auto", show_default=True, callback=_check_device,
                             help="auto (GPU when present), cpu, cuda, ...")


def table_options(command: Callable) -> Callable:
    """The options that say how to read an experimental table (:func:`amn.dataset.reading.read_table`).

    ``--data`` (repeatable: files joined on ``--key``), ``--target`` / ``--targets all-remaining``,
    ``--task``, ``--composition``, ``--ignore-columns``, ``--inputs``, ``--mapping``, ``--knockout-value``
    and ``--key``; the command receives them under the same names (``data`` is a tuple of paths).
    """
    options = [
        click.option("--data", required=True, multiple=True, type=click.Path(dir_okay=False, path_type=Path),
                     help="Experimental table (CSV); repeat to join several files on their first column (or --key)."),
        click.option("--target", default="GR_AVG", show_default=True,
                     help="Target column(s): comma-separated names or shell patterns (R_*)."),
        click.option("--targets", "all_targets", type=click.Choice(["all-remaining"]),
                     help="all-remaining: every measured-flux column (numeric, not 0/1, not constant, named by a "
                          "reaction) that has no other role; replaces --target."),
        click.option("--task", type=click.Choice(["auto", "regression", "classification"]), default="auto",
                     show_default=True, help="auto: classification when the one target is 0/1."),
        click.option("--composition", type=click.Choice(["auto", "presence", "bounds", "concentration"]),
                     default="auto", show_default=True,
                     help="What the uptake columns hold: 0/1 presence, uptake bounds (mmol/gDW/h) or concentrations "
                          "(mM). auto: a unit in the column names ((mM), [mM], _mM; (mmol/gDW/h)), else presence when "
                          "every value is 0/1, else bounds."),
        click.option("--ignore-columns", "ignore", default="", help="Comma-separated columns (or patterns) to leave out."),
        click.option("--inputs", default="", help="Comma-separated columns (or patterns) that are inputs: an uptake if "
                     "the name maps to one, else a measured flux if it maps to a reaction, else an extra input."),
        click.option("--mapping", type=click.Path(dir_okay=False, path_type=Path),
                     help="CSV with header column,id: the model id (uptake, reaction, metabolite, gene) each column names."),
        click.option("--knockout-value", type=click.Choice(["0", "1"]),
                     help="The value of a knockout column that means knocked out [default: the rarer value, printed]."),
        click.option("--key", help="Column that labels the rows and joins several --data files [default: the first column]."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def epochs_line(history: list[dict], resumed: int) -> str:
    """Epochs and their duration; after a resume, the time per epoch of the epochs run now only."""
    ran = history[resumed:]
    per_epoch = sum(row["seconds"] for row in ran) / len(ran) if ran else float("nan")
    if not resumed:
        return f"{len(history)} epochs, {per_epoch:.4f} s/epoch"
    if not ran:
        return f"{len(history)} epochs, all from the checkpoint"
    return f"{len(history)} epochs, of which {len(ran)} run now, {per_epoch:.4f} s/epoch over those {len(ran)}"
