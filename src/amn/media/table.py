"""Media tables: one medium per row, one column per medium uptake (the input of a trained model).

A media table names its columns by the unidirectional uptake reactions the
model was trained on (``EX_glc__D_e_i``, ...); the value is the uptake bound
(or flux) of that medium.  Indicator columns ``KO:<gene>`` (0/1, 1 = knocked out)
may follow.  Other columns are ignored -- listed in ``attrs["ignored"]`` for the
caller to say so -- so a designed-media table (``amn design --out``) or a
dataset's ``X`` export can be read as is; but a column that looks like an uptake
or exchange id the model does not take, or a knockout column spelled otherwise,
is refused: its values would be dropped while the user counts on them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from amn.csv_input import read_csv
from amn.errors import DatasetMismatchError, id_list
from amn.media.columns import looks_like_reaction
from amn.network.knockouts import KO_PREFIX


def _first_bad_cell(values: pd.DataFrame, raw: pd.DataFrame, source: str, uptakes: bool) -> None:
    """Refuse the first cell (row by row) that is not a finite number, and with ``uptakes`` one that is
    negative, without it one that is not 0 or 1 (a knockout flag)."""
    numbers = values.to_numpy(dtype=float)
    bad = ~np.isfinite(numbers)
    finite = np.where(np.isfinite(numbers), numbers, 0.0)
    bad |= (finite < 0) if uptakes else ~np.isin(finite, (0.0, 1.0))
    if bad.any():
        row, col = np.argwhere(bad)[0]
        column, cell = values.columns[col], raw.iloc[row, col]
        written = repr(cell.item() if isinstance(cell, np.generic) else cell)
        if pd.isna(values.iloc[row, col]):
            problem = "missing" if pd.isna(cell) else f"not a number ({written})"
        elif not np.isfinite(numbers[row, col]):
            problem = f"not a finite number ({written})"
        elif uptakes:
            problem = f"an uptake must be >= 0, got {numbers[row, col]:g}"
        else:
            problem = f"a knockout flag must be 0 or 1, got {numbers[row, col]:g}"
        raise DatasetMismatchError(f"{source}: row {row + 1}, column {column}: {problem}")


def validate_media_table(table: pd.DataFrame, medium_ids: Sequence[str], source: str = "media table",
                         constants: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The model inputs of a media table already in memory.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per medium.
    medium_ids : sequence of str
        The medium uptake ids the model takes, in its order.
    source : str, default "media table"
        Names the table in messages.
    constants : mapping of str to float, optional
        Medium uptakes the model only ever saw at one value (its base: salts, oxygen), by id: a
        missing column of them takes that value, listed in ``attrs["filled"]``.

    Returns
    -------
    pandas.DataFrame
        The ``medium_ids`` columns, then the ``KO:<gene>`` columns of the
        table, as floats; ``attrs["ignored"]`` lists the other columns, ``attrs["filled"]``
        the ``constants`` filled in (id -> value).

    Raises
    ------
    DatasetMismatchError
        No rows; a medium column is missing; a cell of a medium or ``KO:``
        column is missing, not a number or infinite; an uptake is negative or
        a knockout flag not 0/1 (the message gives its row, 1 = first row after
        the header, and its column); a column that looks like an uptake or
        exchange id is not in ``medium_ids``; a ``ko:`` column not spelled ``KO:``.

    Examples
    --------
    >>> table = pd.DataFrame({"EX_glc__D_e_i": [10, 5], "KO:b1136": [0, 1], "note": ["a", "b"]})
    >>> validate_media_table(table, ["EX_glc__D_e_i"]).columns.tolist()
    ['EX_glc__D_e_i', 'KO:b1136']
    """
    medium_ids = list(medium_ids)
    if table.empty:
        raise DatasetMismatchError(f"{source}: no rows")
    filled = {c: float(v) for c, v in (constants or {}).items() if c in medium_ids and c not in table.columns}
    table = table.assign(**filled) if filled else table
    missing = [c for c in medium_ids if c not in table.columns]
    if missing:
        raise DatasetMismatchError(f"{source}: missing medium column(s) {id_list(missing)}")
    flag_columns = [c for c in table.columns if str(c).startswith(KO_PREFIX)]
    others = [str(c) for c in table.columns if c not in set(medium_ids) and c not in set(flag_columns)]
    for column in others:
        if column.lower().startswith(KO_PREFIX.lower()):
            raise DatasetMismatchError(f"{source}: column {column}: knockout columns are written "
                                       f"{KO_PREFIX}<gene> (as {KO_PREFIX}{column[len(KO_PREFIX):]})")
        if looks_like_reaction(column):
            raise DatasetMismatchError(f"{source}: column {column}: not an uptake the model takes (its medium: "
                                       f"{id_list(medium_ids)}); remove the column, or use a model trained on it")
    values = table[medium_ids].apply(pd.to_numeric, errors="coerce")
    _first_bad_cell(values, table[medium_ids], source, uptakes=True)
    flags = table[flag_columns].apply(pd.to_numeric, errors="coerce")
    _first_bad_cell(flags, table[flag_columns], source, uptakes=False)
    inputs = pd.concat([values, flags], axis=1).astype(float)
    inputs.attrs["ignored"] = [c for c in others if not c.startswith("Unnamed:")]
    inputs.attrs["filled"] = filled
    return inputs


def read_media_table(path: str | Path, medium_ids: Sequence[str]) -> pd.DataFrame:
    """Read a media table for a model whose medium is ``medium_ids``.

    Parameters
    ----------
    path : str or Path
        CSV file with a header row (no index column).
    medium_ids : sequence of str
        The medium uptake ids the model takes, in its order.

    Returns
    -------
    pandas.DataFrame
        As :func:`validate_media_table` returns it.

    Raises
    ------
    InputFileNotFoundError
        The file does not exist.
    DatasetMismatchError
        Not a CSV table, a column named twice, a medium column missing, a cell
        that is not a finite number, or a negative uptake.
    """
    table = read_csv(path, DatasetMismatchError, index_col=None)
    return validate_media_table(table, medium_ids, source=str(path))
