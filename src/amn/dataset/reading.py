"""Reading experimental tables from CSV: one file, or several joined on a key column.

:func:`read_table` reads the file(s) and validates them
(:func:`~amn.dataset.validation.validate_table`); :func:`join_tables` joins
files that describe the same conditions (fluxes in one, knockouts in another).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import pandas as pd

from amn.csv_input import read_csv
from amn.dataset.table import ExperimentTable, Task
from amn.dataset.validation import validate_table
from amn.errors import DatasetMismatchError


def join_tables(paths: Sequence[str | Path], key: str | None = None
                ) -> tuple[pd.DataFrame, str, dict[str, str], str, dict[str, str]]:
    """Several CSV files joined on a key column (each file's first column, or ``key``).

    Parameters
    ----------
    paths : sequence of path
    key : str, optional
        The key column (in every file) [default: each file's first column].

    Returns
    -------
    table : pandas.DataFrame
        The key column first (named as in the first file), then every other column, rows in the first file's order.
    source : str
        ``"a.csv + b.csv"``.
    sources : dict
        Column -> its file.
    key : str
    aliases : dict
        A column named in an earlier file too is kept as ``<file stem>:<column>``: that name -> the column's own
        name (what it names in the model).

    Raises
    ------
    DatasetMismatchError
        A file without the key, a key twice in a file, or a row missing from a file.
    """
    frames, sources, names, aliases = [], {}, [], {}
    for path in paths:
        frame = read_csv(path, DatasetMismatchError)
        column = key if key is not None else (str(frame.columns[0]) if len(frame.columns) else None)
        if column is None or column not in frame.columns:
            raise DatasetMismatchError(f"{path}: no key column {column!r} to join on (--key)")
        labels = frame[column].astype(str).str.strip()
        if labels.duplicated().any():
            raise DatasetMismatchError(f"{path}: column {column}: key {labels[labels.duplicated()].iloc[0]!r} is in "
                                       "more than one row")
        frames.append((Path(path), frame.drop(columns=column).set_axis(pd.Index(labels, name=column))))
        names.append(column)
    first_path, first = frames[0]
    for path, frame in frames[1:]:
        for here, there, other in ((first, frame, path), (frame, first, first_path)):
            missing = [k for k in here.index if k not in there.index]
            if missing:
                holder = first_path if here is first else path
                raise DatasetMismatchError(f"{other}: no row for {names[0]} {missing[0]!r} (it is in {holder})")
    joined = []
    for path, frame in frames:
        renamed = {}
        for c in map(str, frame.columns):
            name = c if c not in sources and c != names[0] else f"{path.stem}:{c}"
            if name in sources:
                raise DatasetMismatchError(f"{path}: column {name} is also in {sources[name]}")
            if name != c:
                renamed[c], aliases[name] = name, c
            sources[name] = str(path)
        joined.append(frame.rename(columns=renamed).reindex(first.index))
    table = pd.concat(joined, axis=1).reset_index()
    return table, " + ".join(str(p) for p, _ in frames), sources, names[0], aliases


def read_table(
    path: str | Path | Sequence[str | Path],
    target: str | Sequence[str] = "GR_AVG",
    network=None,
    task: Task | Literal["auto"] = "auto",
    *,
    composition: str = "auto",
    ignore: str | Sequence[str] = (),
    inputs: str | Sequence[str] = (),
    mapping: Mapping[str, str] | str | Path | None = None,
    knockout_value: int | None = None,
    key: str | None = None,
    fitting: bool = True,
) -> ExperimentTable:
    """Read, classify and validate an experimental table (one file, or several joined on a key).

    Every column gets a role (:mod:`amn.dataset.columns`): uptake, knockout, measured input, extra
    input, target, or ignored with a reason; :meth:`ExperimentTable.summary` prints it.

    Parameters
    ----------
    path : path or sequence of paths
        CSV file(s) with a header row; several are joined on ``key`` (each file's first column by default).
    target : str, sequence of str, or "all-remaining", default "GR_AVG"
        Target column(s), comma-separated names or shell patterns (``R_*``) allowed; ``"all-remaining"``:
        every measured-flux column (numeric, not 0/1, not constant, named by a reaction of ``network``,
        or by ``R_``/``_fwd``/``_for``/``_rev``/``_MEASURE`` without one) that has no other role.
    network : UnidirectionalNetwork, optional
        Maps names to its uptakes, reactions and genes (without it: names only).
    task : {"auto", "regression", "classification"}, default "auto"
        ``auto``: classification for one 0/1 (or boolean) target.
    composition : {"auto", "presence", "bounds", "concentration"}, default "auto"
        What the uptake values are; ``auto``: a unit hint in a column name (``(mM)``, ``[mM]``, ``_mM``:
        concentration; ``(mmol/gDW/h)``: bounds), else presence when every value is 0/1, else bounds.
        Presence values must be 0/1; bounds and concentrations non-negative finite numbers.
    ignore : str or sequence of str
        Columns (or patterns) left out (``--ignore-columns``).
    inputs : str or sequence of str
        Columns (or patterns) that are inputs (``--inputs``): an uptake if the name maps to one, else
        a measured flux (recorded in ``measured_reactions``) if it maps to a reaction, else an extra input.
    mapping : mapping or path, optional
        Column -> model id (a CSV file with header ``column,id``), applied before the name rules.
    knockout_value : {0, 1}, optional
        The file value meaning "knocked out" [default: the rarer value of the knockout columns].
    key : str, optional
        The row-key column [one file: the first column when it labels rows; several: each file's first column].
    fitting : bool, default True
        The table is fitted on: a regression target must vary and a classification target hold both
        classes.  False for a table only scored (``--test-data``: all of one class is fine).

    Returns
    -------
    ExperimentTable

    Raises
    ------
    InputFileNotFoundError
        A file does not exist.
    DatasetMismatchError
        A malformed table; the message names the file, row and column.
    UnknownReactionError
        With ``network``: a column looks like an exchange or uptake id but is none of the network's
        (the message names the file, the column(s) and the uptake meant, where one is close).
    ParameterError
        ``task`` or ``composition`` is none of the choices, a column given twice (e.g. target and input).
    """
    paths = [path] if isinstance(path, (str, Path)) else list(path)
    if len(paths) == 1:
        table, source, sources, aliases = read_csv(paths[0], DatasetMismatchError), str(paths[0]), {}, {}
    else:
        table, source, sources, key, aliases = join_tables(paths, key)
    return validate_table(table, target=target, network=network, task=task, source=source, composition=composition,
                          ignore=ignore, inputs=inputs, mapping=mapping, knockout_value=knockout_value, key=key,
                          sources=sources, aliases=aliases, fitting=fitting)
