"""Experimental tables: one medium per row, 0/1 composition columns and a measured target.

The published table (``iML1515_EXP.csv``) names its composition columns by the
unidirectional uptake reactions of iML1515 (``EX_glc__D_e_i``, 1 = present) and
holds the mean growth rate in ``GR_AVG``; any table of that shape works (other
organisms, media or targets, and a grows / does-not-grow target for
classification).  Reading validates everything up front so that a bad file
fails with one line naming the file, the row and the column, not deep inside a
fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from amn.csv_input import read_csv
from amn.errors import DatasetMismatchError, ParameterError
from amn.media.columns import check_composition_columns

Task = Literal["regression", "classification"]


@dataclass(frozen=True)
class ExperimentTable:
    """Composition indicators and a measured target, one medium per row (see :func:`read_table`).

    Attributes
    ----------
    X : pandas.DataFrame
        Media x uptake ids, 0/1 floats; ``X.attrs["source"]`` is ``source`` (for messages).
    y : pandas.Series
        The target.
    target : str
        The name of the target column.
    task : {"regression", "classification"}
        ``classification`` for a 0/1 target (grows / does not grow).
    source : str
        The file (or name) of the table.
    """

    X: pd.DataFrame
    y: pd.Series
    target: str
    task: Task
    source: str

    @property
    def composition_ids(self) -> list[str]:
        """The composition columns (uptake ids)."""
        return list(self.X.columns)

    @property
    def variable_ids(self) -> list[str]:
        """Composition columns that differ between media (the others are the base medium)."""
        return [c for c in self.X.columns if self.X[c].nunique() > 1]

    def __len__(self) -> int:
        return len(self.y)


def _looks_binary(values: pd.Series) -> bool:
    """All present values are 0/1 (missing cells are allowed here, and reported by the check)."""
    numeric = pd.to_numeric(values, errors="coerce")
    present = numeric.dropna()
    return len(present) > 0 and numeric.isna().sum() == values.isna().sum() and bool(present.isin([0, 1]).all())


def _row_label(table: pd.DataFrame, position: int) -> str:
    """Row as a user finds it in the file: data row number (1 = first row after the header)."""
    label = table.index[position]
    return f"row {position + 1}" + ("" if label == position else f" ({label})")


def _cell(value) -> str:
    """A cell as the user wrote it: 'missing' for an empty cell, else its Python repr."""
    if pd.isna(value):
        return "missing"
    return repr(value.item() if isinstance(value, np.generic) else value)


def _check_binary(table: pd.DataFrame, column: str, path: str) -> None:
    values = pd.to_numeric(table[column], errors="coerce")
    bad = ~values.isin([0, 1])
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DatasetMismatchError(
            f"{path}: {_row_label(table, i)}, column {column}: composition must be 0 or 1, got {_cell(table[column].iloc[i])}"
        )


def _composition_columns(table: pd.DataFrame, target: str, network, path: str) -> list[str]:
    candidates = [c for c in table.columns if c != target]
    if network is None:
        return [c for c in candidates if not str(c).startswith("Unnamed") and _looks_binary(table[c])]
    uptakes = set(network.uptake_ids)
    columns = [c for c in candidates if c in uptakes]
    if not columns:
        raise DatasetMismatchError(
            f"{path}: no column is an uptake reaction of model {network.model.id} (expected ids like "
            f"{network.uptake_ids[0]})"
        )
    # a column that looks like a reaction id but is no uptake is a mistake, not another column
    check_composition_columns(candidates, network.uptake_ids, path, f"model {network.model.id}", network.reaction_ids)
    return columns


def read_table(
    path: str | Path,
    target: str = "GR_AVG",
    network=None,
    task: Task | Literal["auto"] = "auto",
) -> ExperimentTable:
    """Read and validate an experimental table.

    Composition columns are the columns that are uptake reactions of
    ``network`` (a :class:`~amn.network.UnidirectionalNetwork`) when one is
    given, else every other column whose values are all 0/1.  With a network,
    a column that looks like a reaction id (``EX_...``, ``R_EX_...``, ``..._i``,
    ``..._o``, ``..._e``, or any reaction of the network) but is not one of its
    uptakes is refused rather than ignored (see
    :func:`~amn.media.columns.check_composition_columns`); other columns
    (``GR_1``, ``GR_STD``, notes) are left out.  ``task="auto"`` picks
    classification when the target is 0/1 (or boolean).

    Parameters
    ----------
    path : str or Path
        CSV file with a header row.
    target : str, default "GR_AVG"
        The target column.
    network : UnidirectionalNetwork, optional
        When given, composition columns must be its uptakes.
    task : {"auto", "regression", "classification"}, default "auto"

    Returns
    -------
    ExperimentTable

    Raises
    ------
    InputFileNotFoundError
        The file does not exist.
    DatasetMismatchError
        A malformed table; the message names the file, row and column.
    UnknownReactionError
        With ``network``: a column looks like a reaction id but is not an uptake of the network
        (the message names the file, the column(s) and the uptake meant, where one is close).
    ParameterError
        ``task`` is none of the three.
    """
    table = read_csv(path, DatasetMismatchError)
    return validate_table(table, target=target, network=network, task=task, source=str(path))


def validate_table(
    table: pd.DataFrame,
    target: str = "GR_AVG",
    network=None,
    task: Task | Literal["auto"] = "auto",
    source: str = "table",
) -> ExperimentTable:
    """:func:`read_table` for a table already in memory.

    Parameters
    ----------
    table : pandas.DataFrame
    target, network, task
        As in :func:`read_table`.
    source : str, default "table"
        Names the table in messages.

    Returns
    -------
    ExperimentTable

    Raises
    ------
    DatasetMismatchError, UnknownReactionError, ParameterError
        As in :func:`read_table`.
    """
    if target not in table.columns:
        raise DatasetMismatchError(
            f"{source}: no target column {target!r} (columns: {', '.join(map(str, table.columns[:8]))}"
            f"{', ...' if len(table.columns) > 8 else ''})"
        )
    if table.empty:
        raise DatasetMismatchError(f"{source}: no rows")
    raw = table[target]
    if raw.dtype == bool:
        raw = raw.astype(float)
    y = pd.to_numeric(raw, errors="coerce")
    bad = ~np.isfinite(y.to_numpy(dtype=float))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DatasetMismatchError(
            f"{source}: {_row_label(table, i)}, column {target}: target must be a finite number, got {_cell(raw.iloc[i])}"
        )
    binary = bool(y.isin([0, 1]).all())
    if task == "auto":
        task = "classification" if binary else "regression"
    if task == "classification":
        if not binary:
            i = int(np.flatnonzero(~y.isin([0, 1]).to_numpy())[0])
            raise DatasetMismatchError(
                f"{source}: {_row_label(table, i)}, column {target}: a classification target must be 0 or 1, "
                f"got {_cell(raw.iloc[i])}"
            )
        if y.nunique() < 2:
            raise DatasetMismatchError(f"{source}: column {target}: classification needs both classes 0 and 1")
    elif task != "regression":
        raise ParameterError(f"task must be 'auto', 'regression' or 'classification' (got {task!r})")

    columns = _composition_columns(table, target, network, source)
    if not columns:
        raise DatasetMismatchError(f"{source}: no 0/1 composition column besides the target {target}")
    for c in columns:
        _check_binary(table, c, source)
    X = table[columns].apply(pd.to_numeric).astype(float)
    X.attrs["source"] = source  # names the file in the messages of estimators fitted on X
    return ExperimentTable(X=X, y=y.astype(float).rename(target), target=target, task=task, source=source)
