"""Learned uptake bounds as plain COBRApy input (the paper's Table S2).

A bounds table has one row per medium and one column per uptake reaction (the
unidirectional ``<exchange>_i`` ids); a value is the upper bound of that uptake,
and every uptake the row does not open is closed.  :func:`apply_uptake_bounds`
puts one row on a ``cobra.Model``, either the unidirectional model or the
original one (there, uptake ``EX_x_e_i`` is the negative direction of
``EX_x_e``); inside ``with model:`` COBRApy reverts it on exit.
:func:`check_bounds` runs FBA with every row and compares the growth with a
prediction, e.g. the reservoir's or an FBA baseline's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import cobra
import numpy as np
import pandas as pd

from amn.csv_input import read_csv
from amn.errors import DatasetMismatchError, UnknownReactionError, id_list
from amn.evaluation import metrics
from amn.network.unidirectional import DIRECTION_NOTE

UPTAKE_SUFFIX = "_i"


def bounds_table(bounds, reaction_ids, index=None) -> pd.DataFrame:
    """A validated bounds table from an array, e.g. a layer's Vin output.

    Parameters
    ----------
    bounds : array-like
        Media x uptakes upper bounds.
    reaction_ids : sequence of str
        The uptake id of each column.
    index : sequence, optional
        Medium labels (the index is named ``medium`` unless it has a name).

    Returns
    -------
    pandas.DataFrame
        Media x uptake ids.

    Raises
    ------
    DatasetMismatchError
        A bound is negative or not finite.
    """
    table = pd.DataFrame(np.asarray(bounds, dtype=float), index=index, columns=list(reaction_ids))
    values = table.to_numpy()
    if not np.isfinite(values).all() or (values < 0).any():
        raise DatasetMismatchError("uptake bounds must be finite and >= 0")
    table.index.name = table.index.name or "medium"
    return table


def read_bounds(path: str | Path) -> pd.DataFrame:
    """Read a bounds table written by ``DataFrame.to_csv`` (first column = medium).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    pandas.DataFrame
        As :func:`bounds_table` returns it.

    Raises
    ------
    InputFileNotFoundError
        The file does not exist.
    DatasetMismatchError
        The file is not a table of finite, non-negative numbers.
    """
    table = read_csv(path, DatasetMismatchError, "bounds table", index_col=0)
    try:
        return bounds_table(table.to_numpy(), table.columns, table.index)
    except (ValueError, DatasetMismatchError) as exc:
        raise DatasetMismatchError(f"{path}: {exc}") from None


def _uptake_side(reaction: cobra.Reaction) -> tuple[str, float]:
    """Which bound of an original exchange limits uptake, and its sign: ``A <=>`` takes up with negative flux."""
    coefficient = next(iter(reaction.metabolites.values()))
    return ("lower_bound", -1.0) if coefficient < 0 else ("upper_bound", 1.0)


def _is_unidirectional_uptake(reaction: cobra.Reaction) -> bool:
    return reaction.notes.get(DIRECTION_NOTE) == "i"


def apply_uptake_bounds(model: cobra.Model, bounds: Mapping[str, float] | pd.Series, close_others: bool = True) -> None:
    """Set the uptake bounds of one medium on ``model``; with ``close_others`` every other uptake is closed.

    Works on the unidirectional model (upper bound of ``<id>_i``) and on the
    original model (uptake direction of ``<id>``, outflow untouched).  Call it
    inside ``with model:`` (or use :func:`uptake_bounds`) to have COBRApy undo it.

    Parameters
    ----------
    model : cobra.Model
    bounds : mapping or pandas.Series
        Upper bound by uptake id (``<exchange>_i``).
    close_others : bool, default True
        Close every uptake not in ``bounds``.

    Raises
    ------
    UnknownReactionError
        An id names no uptake of the model.
    """
    bounds = dict(bounds.items())
    unidirectional = [r for r in model.reactions if _is_unidirectional_uptake(r)]
    targets: list[tuple[cobra.Reaction, str, float, float]] = []
    missing = []
    for rid, value in bounds.items():
        if rid in model.reactions:
            targets.append((model.reactions.get_by_id(rid), "upper_bound", 1.0, float(value)))
        elif rid.endswith(UPTAKE_SUFFIX) and rid[: -len(UPTAKE_SUFFIX)] in model.reactions:
            reaction = model.reactions.get_by_id(rid[: -len(UPTAKE_SUFFIX)])
            side, sign = _uptake_side(reaction)
            targets.append((reaction, side, sign, float(value)))
        else:
            missing.append(rid)
    if missing:
        raise UnknownReactionError(f"model {model.id}: no uptake for {id_list(missing)}")
    if close_others:
        if unidirectional:
            for r in unidirectional:
                r.upper_bound = 0.0
        else:
            for r in model.exchanges:  # a forced uptake (the other bound past 0) is left alone
                side, _ = _uptake_side(r)
                if side == "lower_bound" and r.upper_bound >= 0:
                    r.lower_bound = 0.0
                elif side == "upper_bound" and r.lower_bound <= 0:
                    r.upper_bound = 0.0
    for reaction, side, sign, value in targets:
        if side == "lower_bound":
            reaction.lower_bound = min(sign * value, reaction.upper_bound)
        else:
            reaction.upper_bound = max(sign * value, reaction.lower_bound)


@contextmanager
def uptake_bounds(model: cobra.Model, bounds: Mapping[str, float] | pd.Series, close_others: bool = True) -> Iterator[cobra.Model]:
    """``with uptake_bounds(model, table.loc[medium]): model.optimize()`` -- the model is restored on exit."""
    with model:
        apply_uptake_bounds(model, bounds, close_others)
        yield model


@dataclass
class Agreement:
    """FBA growth with the exported bounds next to the prediction they should reproduce."""

    table: pd.DataFrame  # per medium: predicted, fba, abs_diff
    r2: float = field(init=False)  # R² of the FBA growth against the prediction (1 = reproduced; metrics.r2)

    def __post_init__(self) -> None:
        self.r2 = metrics.r2(self.table["predicted"].to_numpy(), self.table["fba"].to_numpy())

    @property
    def max_abs_diff(self) -> float:
        return float(self.table["abs_diff"].max())

    def summary(self) -> str:
        return f"{len(self.table)} media, max |FBA - predicted| = {self.max_abs_diff:.2e}, R² = {self.r2:.6f}"


def check_bounds(model: cobra.Model, table: pd.DataFrame, predicted,
                 closed: Sequence[Sequence[str]] | None = None) -> Agreement:
    """FBA (``slim_optimize``) with every row of the bounds ``table``, compared with ``predicted`` growth.

    Infeasible media count as growth 0.  The model is left as it was.

    Parameters
    ----------
    model : cobra.Model
    table : pandas.DataFrame
        A bounds table (media x uptake ids).
    predicted : array-like
        The growth each medium should give.
    closed : sequence of sequences of str, optional
        Per medium, reactions of ``model`` closed in its solve (``Reaction.knock_out``): a knockout's.

    Returns
    -------
    Agreement

    Raises
    ------
    DatasetMismatchError
        Not one prediction per medium.
    """
    predicted = np.asarray(predicted, dtype=float)
    if len(predicted) != len(table):
        raise DatasetMismatchError(f"{len(predicted)} predictions for {len(table)} media in the bounds table")
    if closed is not None and len(closed) != len(table):
        raise DatasetMismatchError(f"{len(closed)} sets of closed reactions for {len(table)} media")
    growth = np.empty(len(table))
    for i, (_, row) in enumerate(table.iterrows()):
        with uptake_bounds(model, row):
            for rid in () if closed is None else closed[i]:
                model.reactions.get_by_id(rid).knock_out()
            value = model.slim_optimize()
        growth[i] = 0.0 if np.isnan(value) else value
    frame = pd.DataFrame({"predicted": predicted, "fba": growth}, index=table.index)
    frame["abs_diff"] = (frame["fba"] - frame["predicted"]).abs()
    return Agreement(frame)
