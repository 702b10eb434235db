"""Validating an experimental table: every column a role, every value checked, one line per problem.

:func:`validate_table` turns a table in memory into an
:class:`~amn.dataset.table.ExperimentTable`: it classifies the columns
(:mod:`amn.dataset.columns`), decides what the composition values are, which
value of a knockout column means "knocked out", and checks every target and
input up front, so that a bad file fails with one line naming the file, the
row and the column, not deep inside a fit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from amn.dataset.columns import ALL_REMAINING, classify, expand, split_names
from amn.dataset.names import ModelIds, check_mapping, original_reaction, read_mapping, split_unit
from amn.dataset.table import COMPOSITIONS, KEY_NAMES, ExperimentTable, Task
from amn.errors import DatasetMismatchError, ParameterError
from amn.media.columns import check_composition_columns


def _row_label(table: pd.DataFrame, position: int) -> str:
    """Row as a user finds it in the file: data row number (1 = first row after the header)."""
    label = table.index[position]
    return f"row {position + 1}" + ("" if label == position else f" ({label})")


def _cell(value) -> str:
    """A cell as the user wrote it: 'missing' for an empty cell, else its Python repr."""
    if pd.isna(value):
        return "missing"
    return repr(value.item() if isinstance(value, np.generic) else value)


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _key_of(table: pd.DataFrame) -> str | None:
    """The first column when it labels the rows: an unnamed index, unique text, unique values named as a
    key (:data:`KEY_NAMES`), or unique integers with such a word in their name (``medium_id``, ``Sample
    name``, ``strainID``)."""
    if table.shape[1] < 2:
        return None
    first = table.columns[0]
    values = table[first]
    if str(first).startswith("Unnamed:"):
        return str(first)
    if not values.is_unique or values.isna().any():
        return None
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.isna().all():
        return str(first)
    name = str(first).strip()
    if name.lower() in KEY_NAMES:
        return str(first)
    words = set(re.split(r"[^a-z0-9]+", re.sub(r"([a-z])(I[Dd])$", r"\1_\2", name).lower()))
    return str(first) if words & set(KEY_NAMES) and bool((numeric == numeric.round()).all()) else None


def _check_targets(table: pd.DataFrame, names: list[str], source: str) -> None:
    for target in names:
        if target not in table.columns:
            raise DatasetMismatchError(
                f"{source}: no target column {target!r} (columns: {', '.join(map(str, table.columns[:8]))}"
                f"{', ...' if len(table.columns) > 8 else ''})"
            )


def _finite(table: pd.DataFrame, column: str, file: str, what: str) -> pd.Series:
    raw = table[column]
    values = pd.to_numeric(raw.astype(float) if raw.dtype == bool else raw, errors="coerce").astype(float)
    bad = ~np.isfinite(values.to_numpy())
    if bad.any():
        i = _first_bad(bad)
        raise DatasetMismatchError(f"{file}: {_row_label(table, i)}, column {column}: {what} must be a finite number, "
                                   f"got {_cell(raw.iloc[i])}")
    return values


def _binary_values(table: pd.DataFrame, column: str, file: str, what: str) -> pd.Series:
    values = pd.to_numeric(table[column], errors="coerce")
    bad = ~values.isin([0, 1]).to_numpy()
    if bad.any():
        i = _first_bad(bad)
        raise DatasetMismatchError(f"{file}: {_row_label(table, i)}, column {column}: {what} must be 0 or 1, "
                                   f"got {_cell(table[column].iloc[i])}")
    return values.astype(float)


def _composition(table, columns, given, source) -> tuple[str | None, str]:
    """The composition of the uptake columns: given, said by unit hints, or 0/1 -> presence, else bounds."""
    if not columns:
        return None, ""
    if given != "auto":
        if given not in COMPOSITIONS:
            raise ParameterError(f"composition must be 'auto', {', '.join(map(repr, COMPOSITIONS))} (got {given!r})")
        return given, "given"
    hints = {c: split_unit(c)[1] for c in columns}
    said = {h for h in hints.values() if h}
    if len(said) > 1:
        raise DatasetMismatchError(f"{source}: the uptake columns' unit hints disagree ({', '.join(sorted(said))}); "
                                   "give --composition")
    if said:
        hinted = next(c for c, h in hints.items() if h)
        return said.pop(), f"inferred from the unit in column name {hinted}"
    for c in columns:
        values = pd.to_numeric(table[c], errors="coerce")
        off = values.notna() & ~values.isin([0, 1])
        if off.any():
            i = _first_bad(off.to_numpy())
            return "bounds", (f"inferred: {c} holds {_cell(table[c].iloc[i])} ({_row_label(table, i)}), not only 0/1; "
                              "--composition concentration for concentrations")
    return "presence", "inferred: every uptake value is 0 or 1"


def _knockout_value(values: dict[str, pd.Series], given, source: str) -> tuple[int | None, str]:
    if not values:
        return None, ""
    if given is not None:
        if int(given) not in (0, 1):
            raise ParameterError(f"knockout_value must be 0 or 1 (got {given!r})")
        return int(given), "given"
    ones = sum(int(v.sum()) for v in values.values())
    cells = sum(len(v) for v in values.values())
    if 2 * ones == cells:
        raise DatasetMismatchError(f"{source}: as many 0 as 1 in the knockout columns: say which value means knocked "
                                   "out (--knockout-value 0|1)")
    value = 1 if 2 * ones < cells else 0
    return value, "inferred: the rarer value in the knockout columns; --knockout-value to say"


def _target_id(resolved) -> str | None:
    if resolved is None or resolved.kind == "gene":
        return None
    return resolved.id


def validate_table(
    table: pd.DataFrame,
    target: str | Sequence[str] = "GR_AVG",
    network=None,
    task: Task | Literal["auto"] = "auto",
    source: str = "table",
    *,
    composition: str = "auto",
    ignore: str | Sequence[str] = (),
    inputs: str | Sequence[str] = (),
    mapping: Mapping[str, str] | str | Path | None = None,
    knockout_value: int | None = None,
    key: str | None = None,
    sources: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
    fitting: bool = True,
) -> ExperimentTable:
    """:func:`read_table` for a table already in memory.

    Parameters
    ----------
    table : pandas.DataFrame
    target, network, task, composition, ignore, inputs, mapping, knockout_value, key
        As in :func:`read_table`.
    source : str, default "table"
        Names the table in messages.
    sources : mapping, optional
        Column -> the file it comes from (joined tables), for messages [default: ``source``].
    aliases : mapping, optional
        Column -> the name it is resolved by (a joined column renamed ``<file stem>:<column>``).
    fitting : bool, default True
        As in :func:`read_table`.

    Returns
    -------
    ExperimentTable

    Raises
    ------
    DatasetMismatchError, UnknownReactionError, ParameterError
        As in :func:`read_table`.
    """
    sources = dict(sources or {})
    all_remaining = isinstance(target, str) and target == ALL_REMAINING
    targets = [] if all_remaining else split_names(target)
    if not all_remaining and not targets:
        raise ParameterError("no target given (--target NAME[,NAME...] or --targets all-remaining)")
    _check_targets(table, targets, source)
    if table.empty:
        raise DatasetMismatchError(f"{source}: no rows")
    ignored = expand(split_names(ignore), table.columns, "--ignore-columns", source)
    forced = expand(split_names(inputs), table.columns, "--inputs", source)
    for a, b, clash in (("--target", "--inputs", set(targets) & set(forced)),
                        ("--target", "--ignore-columns", set(targets) & set(ignored)),
                        ("--inputs", "--ignore-columns", set(forced) & set(ignored))):
        if clash:
            raise ParameterError(f"{source}: column {min(clash)} is given in both {a} and {b}")
    if key is not None and key not in table.columns:
        raise DatasetMismatchError(f"{source}: no key column {key!r}")
    key = key if key is not None else _key_of(table)
    if key is not None:
        labels = table[key]
        if labels.duplicated().any():
            raise DatasetMismatchError(f"{source}: column {key}: key {labels[labels.duplicated()].iloc[0]!r} is in "
                                       "more than one row")
        table = table.set_axis(pd.Index(labels.tolist(), name=None if str(key).startswith("Unnamed:") else key))
        if str(key).startswith("Unnamed:") and list(table.index) == list(range(len(table))):
            table.index = pd.RangeIndex(len(table))
    notes = []
    mapping_file = None
    if mapping is not None and not isinstance(mapping, Mapping):
        mapping_file = mapping
        mapping = read_mapping(mapping, table.columns, source)
    ids = ModelIds.from_network(network) if network is not None else None
    if mapping:
        check_mapping(mapping, ids, mapping_file or "mapping")
        unused = [c for c in mapping if c not in set(map(str, table.columns))]
        if unused:
            notes.append(f"{mapping_file or 'mapping'}: {len(unused)} entr{'y' if len(unused) == 1 else 'ies'} name no "
                         f"column ({', '.join(unused[:3])}{', ...' if len(unused) > 3 else ''})")
    aliases = dict(aliases or {})
    if aliases:
        notes.append(f"{len(aliases)} column(s) named in an earlier file too, kept as <file>:<column> "
                     f"({', '.join(list(aliases)[:3])}{', ...' if len(aliases) > 3 else ''})")
    found = classify(table, ALL_REMAINING if all_remaining else targets, ids, mapping=mapping, ignore=ignored,
                     inputs=forced, key=key, aliases=aliases)
    file_of = lambda c: sources.get(c, source)
    if found.mixed:
        c, i = next(iter(found.mixed.items()))
        raise DatasetMismatchError(f"{file_of(c)}: {_row_label(table, i)}, column {c}: not a number "
                                   f"({_cell(table[c].iloc[i])}) in a column of numbers; correct the cell, or "
                                   f"--ignore-columns {c}")
    if ids is not None:
        if not found.resolved:
            example = min(ids.uptakes) if ids.uptakes else "EX_..._i"
            raise DatasetMismatchError(f"{source}: no column is an uptake reaction of model {ids.model_id} (nor a gene "
                                       f"or reaction of it; expected ids like {example})")
        if found.unknown:
            check_composition_columns(found.unknown, sorted(ids.uptakes), file_of(found.unknown[0]),
                                      f"model {ids.model_id}", ids.reactions)
    targets = found.of("target")
    if not targets:
        raise DatasetMismatchError(f"{source}: --targets all-remaining: no column is left to be a target (the "
                                   "remaining columns are measured fluxes: numeric, not 0/1, named by a reaction)")

    # targets
    Y = pd.DataFrame({t: _finite(table, t, file_of(t), "target") for t in targets}, index=table.index)
    y0 = Y.iloc[:, 0]
    binary = len(targets) == 1 and bool(y0.isin([0, 1]).all())
    if task == "auto":
        task = "classification" if binary else "regression"
    if task == "classification":
        if len(targets) > 1:
            raise ParameterError(f"{source}: classification takes one target ({len(targets)} given)")
        if not binary:
            i = _first_bad(~y0.isin([0, 1]).to_numpy())
            raise DatasetMismatchError(f"{file_of(targets[0])}: {_row_label(table, i)}, column {targets[0]}: a "
                                       f"classification target must be 0 or 1, got {_cell(table[targets[0]].iloc[i])}")
        if fitting and y0.nunique() < 2:
            raise DatasetMismatchError(f"{file_of(targets[0])}: column {targets[0]}: classification needs both "
                                       "classes 0 and 1")
    elif task != "regression":
        raise ParameterError(f"task must be 'auto', 'regression' or 'classification' (got {task!r})")
    elif fitting:
        for t in targets:
            if Y[t].nunique() < 2:
                raise DatasetMismatchError(f"{file_of(t)}: column {t}: the target is {Y[t].iloc[0]:g} in every row; "
                                           "nothing to learn")

    # inputs
    uptakes = found.of("uptake")
    kind, why = _composition(table, uptakes, composition, source)
    columns: dict[str, pd.Series] = {}
    renamed, input_roles, knockout_kind, measured_reactions = {}, {}, {}, {}
    knockouts = {}
    for c in table.columns:
        c = str(c)
        role = found.roles[c]
        if role == "uptake":
            if kind == "presence":
                values = _binary_values(table, c, file_of(c), "composition")
            else:
                values = _finite(table, c, file_of(c), kind)
                if (values < 0).any():
                    i = _first_bad((values < 0).to_numpy())
                    raise DatasetMismatchError(f"{file_of(c)}: {_row_label(table, i)}, column {c}: {kind} must be "
                                               f"non-negative, got {_cell(table[c].iloc[i])}")
            resolved = found.resolved.get(c)
            bare = split_unit(aliases.get(c, c))[0]
            name = resolved.uptake if resolved is not None else str((mapping or {}).get(bare, bare))
        elif role == "knockout":
            values = _binary_values(table, c, file_of(c), "a knockout column")
            resolved = found.resolved[c]
            # a direction named (R_GAPD_rev) knocks out that direction only: its unidirectional id
            name = resolved.id if resolved.kind == "gene" or resolved.flux_named else original_reaction(resolved, ids)
            knockouts[c] = values
            knockout_kind[name] = "gene" if resolved.kind == "gene" else "reaction"
        elif role in ("measured", "extra"):
            values = _finite(table, c, file_of(c), "an input")
            name = c
            resolved = found.resolved.get(c)
            if role == "measured":
                measured_reactions[name] = resolved.id
        else:
            continue
        if name in columns:
            first = next(k for k, v in renamed.items() if v == name) if name in renamed.values() else name
            raise DatasetMismatchError(f"{file_of(c)}: columns {first} and {c} both name {name}")
        if name != c:
            renamed[c] = name
        columns[name] = values
        input_roles[name] = role
    value, value_why = _knockout_value(knockouts, knockout_value, source)
    for c, values in knockouts.items():
        name = renamed.get(c, c)
        columns[name] = (values == value).astype(float)
    if not columns:
        ignored = [f"{c} ({found.reasons.get(c, '')})" for c in found.of("ignored")]
        raise DatasetMismatchError(f"{source}: no input column besides the target(s) {', '.join(targets[:3])}"
                                   + (f"; ignored: {', '.join(ignored[:3])}{', ...' if len(ignored) > 3 else ''}"
                                      if ignored else "") + "; name the inputs with --inputs")
    X = pd.DataFrame(columns, index=table.index)
    X.attrs["source"] = source  # names the file in the messages of estimators fitted on X
    target_reactions = {}
    if ids is not None:
        target_reactions = {t: rid for t in targets if (rid := _target_id(found.resolved.get(t))) is not None}
    return ExperimentTable(
        X=X, Y=Y, task=task, source=source, roles=found.roles, reasons=found.reasons, renamed=renamed,
        input_roles=input_roles, composition=kind, composition_reason=why, knockout_kind=knockout_kind,
        knockout_value=value, knockout_reason=value_why, target_reactions=target_reactions,
        measured_reactions=measured_reactions, key=key, notes=tuple(notes),
    )
