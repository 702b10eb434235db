"""Every column of an experimental table given a role.

Names are mapped to model ids by :mod:`amn.dataset.names` (:func:`~amn.dataset.names.resolve`);
:func:`classify` gives every column of a table one role:

- ``uptake``: a medium compound (its column renamed to the unidirectional uptake id);
- ``knockout``: a 0/1 column naming a gene or a reaction of the model (renamed to that id);
- ``measured``: a measured flux given as an input (``inputs``), e.g. the growth rate of a chemostat;
- ``extra``: any other numeric input (regulators, omics, ...);
- ``target``: a value to predict;
- ``ignored``: with a reason (the row key, ``--ignore-columns``, text, constant fluxes, ...).

The rules, in order, for a column that is not the row key, not ignored by the user and not an
explicit target:

1. ``inputs`` (user-forced): an uptake if it names one, else ``measured`` if it names a reaction,
   ``knockout`` if it names a gene and holds mostly 0/1, else ``extra``.
2. Text columns, ``Unnamed: N`` columns (an index written by pandas): ignored.  A numeric column with
   a cell that is not a number (most cells numbers, or a name of the model) is refused, naming the row.
3. With a model: a name that resolves to an uptake (and carries no flux marker: ``R_`` prefix,
   ``_fwd``/``_for``/``_rev``/``_MEASURE`` suffix) is an uptake; a gene is a knockout when its values
   are mostly 0/1 (another value is refused as a typo), else an extra input (expression levels named
   by gene); a reaction is a
   knockout when its values are 0/1 and vary, ignored when constant, else a *flux column*.  A name
   that looks like an exchange or uptake id (:func:`amn.media.columns.looks_like_reaction`) but
   resolves to nothing is refused (a typo, another model's id).  Other 0/1 columns are extra
   inputs (e.g. regulators); other flux-named columns are flux columns.
4. Without a model: flux-named columns are flux columns (0/1 ones: extra), exchange-like names and
   every other 0/1 column are uptakes (the compositions of the published tables), the rest extra.
5. A numeric extra column with missing values, or one named like an explicit target (the target's
   name or its stem before the last ``_``, then ``_`` and anything: ``GR_1``, ``GR_STD`` beside ``GR``
   or ``GR_AVG``: replicates or statistics of the target), is ignored.
6. Flux columns are the targets under ``--targets all-remaining`` (constant ones ignored), else
   ignored (name them in ``--target`` or ``--inputs``).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from amn.dataset.names import ModelIds, flux_named, resolve, split_unit
from amn.errors import DatasetMismatchError, ParameterError
from amn.media.columns import looks_like_reaction

Role = Literal["uptake", "knockout", "measured", "extra", "target", "ignored"]
ROLES: tuple[str, ...] = ("uptake", "knockout", "measured", "extra", "target", "ignored")
#: ``target`` value meaning every flux column (see the module docstring, rule 6).
ALL_REMAINING = "all-remaining"

def expand(patterns: Iterable[str], columns: Sequence, option: str, source: str) -> list[str]:
    """Column names matching comma-separated names or shell patterns (``p_*``), in table order.

    Raises
    ------
    DatasetMismatchError
        A name or pattern matches no column (the message names the option and the table).

    Examples
    --------
    >>> expand(["p_*", "GR"], ["p_b1", "GR", "p_b2", "x"], "--inputs", "t.csv")
    ['p_b1', 'p_b2', 'GR']
    """
    names = [str(c) for c in columns]
    out: list[str] = []
    for pattern in patterns:
        pattern = pattern.strip()
        if not pattern:
            continue
        hits = [c for c in names if c == pattern] or (
            [c for c in names if fnmatch.fnmatchcase(c, pattern)] if any(ch in pattern for ch in "*?[") else [])
        if not hits:
            shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
            raise DatasetMismatchError(f"{source}: {option}: no column {pattern!r} (columns: {shown})")
        out += [c for c in hits if c not in out]
    return out


def split_names(text: str | Sequence[str] | None) -> list[str]:
    """``"A,B"`` or a list as a list of names (empty for None)."""
    if text is None:
        return []
    parts = text.split(",") if isinstance(text, str) else list(text)
    return [p.strip() for p in parts if p and p.strip()]


@dataclass
class Classification:
    """The roles of a table's columns (:func:`classify`).

    Attributes
    ----------
    roles : dict
        Column (as in the file) -> role.
    reasons : dict
        Column -> why it has its role (every ignored column has one).
    resolved : dict
        Column -> :class:`Resolved`, for columns that name something of the model.
    unknown : list of str
        Exchange-like names that resolve to nothing (refused by the caller, with a did-you-mean).
    mixed : dict
        Column -> position of its first cell that is not a number, for columns whose other cells are
        numbers (a typo in a numeric column: refused by the caller, naming the row).
    """

    roles: dict = field(default_factory=dict)
    reasons: dict = field(default_factory=dict)
    resolved: dict = field(default_factory=dict)
    unknown: list = field(default_factory=list)
    mixed: dict = field(default_factory=dict)

    def of(self, role: str) -> list[str]:
        """The columns of one role, in table order."""
        return [c for c, r in self.roles.items() if r == role]


def _numeric(values: pd.Series) -> pd.Series | None:
    """The values as floats, or None when a non-empty cell is not a number."""
    if values.dtype == bool:
        return values.astype(float)
    numeric = pd.to_numeric(values, errors="coerce")
    return None if (numeric.isna() & values.notna()).any() else numeric.astype(float)


def _first_text(values: pd.Series, named: bool) -> int | None:
    """Position of the first non-empty cell that is not a number in a numeric column with a typo: most
    non-empty cells are numbers, or some are and the name is the model's (``named``); else None."""
    present = int(values.notna().sum())
    text = (pd.to_numeric(values, errors="coerce").isna() & values.notna()).to_numpy()
    numbers = present - int(text.sum())
    if not text.any() or numbers == 0 or (not named and numbers <= text.sum()):
        return None
    return int(np.flatnonzero(text)[0])


def _knockout_like(values: pd.Series) -> bool:
    """Mostly 0/1: a knockout column (a stray value is a typo, refused when read), not expression levels."""
    present = values.dropna()
    return len(present) > 0 and 2 * int(present.isin([0, 1]).sum()) >= len(present)


def _binary(values: pd.Series) -> bool:
    present = values.dropna()
    return len(present) > 0 and bool(present.isin([0, 1]).all())


def _stem(name: str) -> str | None:
    return name.rsplit("_", 1)[0] if "_" in name else None


def classify(
    table: pd.DataFrame,
    targets: Sequence[str] | str,
    ids: ModelIds | None = None,
    *,
    mapping: Mapping[str, str] | None = None,
    ignore: Sequence[str] = (),
    inputs: Sequence[str] = (),
    key: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> Classification:
    """Give every column one role (the rules of this module's docstring).

    Parameters
    ----------
    table : pandas.DataFrame
        The table as read (file column names).
    targets : sequence of str or ``"all-remaining"``
        Explicit target columns, or :data:`ALL_REMAINING` (the flux columns).
    ids : ModelIds, optional
    mapping : mapping, optional
        User mapping column -> id.
    ignore, inputs : sequence of str
        Columns ignored, and columns forced to be inputs (already expanded).
    key : str, optional
        The row-key column.
    aliases : mapping, optional
        Column -> the name it is resolved by (joined files: ``<file stem>:<column>`` -> ``<column>``).

    Returns
    -------
    Classification

    Examples
    --------
    >>> t = pd.DataFrame({"EX_glc__D_e_i": [1, 0], "AlsR": [0, 1], "GR_AVG": [0.1, 0.2], "GR_1": [0.1, 0.3]})
    >>> classify(t, ["GR_AVG"]).roles
    {'EX_glc__D_e_i': 'uptake', 'AlsR': 'uptake', 'GR_AVG': 'target', 'GR_1': 'ignored'}
    """
    out = Classification()
    all_remaining = isinstance(targets, str) and targets == ALL_REMAINING
    explicit = [] if all_remaining else list(targets)
    # a target's replicates and statistics: GR_1 or GR_STD beside GR, and beside GR_AVG
    stems = {str(t) for t in explicit} | {s for t in explicit if (s := _stem(str(t))) is not None}
    for column in table.columns:
        name = str(column)
        role, reason = _role(name, (aliases or {}).get(name, name), table[column], explicit, stems, ids, mapping,
                             ignore, inputs, key, out)
        if role == "flux":
            values = _numeric(table[column])
            if values.nunique() <= 1:
                role, reason = "ignored", f"constant ({_value(values)} in every row)"
            elif all_remaining:
                role, reason = "target", "a measured flux (--targets all-remaining)"
            else:
                role, reason = "ignored", "a measured flux that is not a target (name it in --target or --inputs)"
        out.roles[name] = role
        if reason:
            out.reasons[name] = reason
    return out


def _value(values: pd.Series) -> str:
    v = values.dropna()
    return f"{v.iloc[0]:g}" if len(v) else "missing"


def _role(name, alias, raw, explicit, stems, ids, mapping, ignore, inputs, key, out) -> tuple[str, str]:
    if name == key:
        return "ignored", "row key"
    if name in ignore:
        return "ignored", "--ignore-columns"
    bare, _ = split_unit(alias)
    found = resolve(name if mapping and name in mapping else bare, ids, mapping)
    if found is not None:
        out.resolved[name] = found  # a target too: the reaction it measures
    if name in explicit:
        return "target", ""
    values = _numeric(raw)
    omics = "names a gene of the model, mostly not 0/1: an input (e.g. expression), not a knockout"
    if name in inputs:
        if values is None:
            return "extra", "--inputs (not numeric: refused when read)"
        if found is None:
            return "extra", "--inputs"
        if found.uptake is not None:
            return "uptake", "--inputs"
        if found.kind == "gene":
            return ("knockout", "--inputs") if _knockout_like(values) else ("extra", f"--inputs; {omics}")
        return "measured", "--inputs"
    if name.startswith("Unnamed:"):
        return "ignored", "unnamed column (an index)"
    if values is None:
        if (position := _first_text(raw, found is not None)) is not None:
            out.mixed[name] = position
            return "ignored", "a cell is not a number (refused)"
        return "ignored", "not numeric"
    mapped = str(mapping.get(bare, bare)) if mapping else bare
    marked = flux_named(mapped)
    binary, varies = _binary(values), values.nunique() > 1
    if ids is not None:
        if found is not None:
            if found.kind == "gene":
                return ("knockout", "names a gene of the model") if _knockout_like(values) else ("extra", omics)
            if found.uptake is not None and not marked:
                return "uptake", ""
            if binary and varies:
                return "knockout", "0/1, names a reaction of the model"
            return "flux", ""
        if not marked and looks_like_reaction(bare):
            out.unknown.append(name)
            return "ignored", "names no uptake of the model (refused)"
        if marked:
            return ("extra", f"0/1, names no gene or reaction of model {ids.model_id}") if binary else ("flux", "")
    else:
        if marked:
            return ("extra", "0/1; without --model a knockout cannot be recognised") if binary else ("flux", "")
        if looks_like_reaction(mapped) or binary:
            return "uptake", "" if looks_like_reaction(mapped) else "0/1 (without --model, 0/1 columns are compositions)"
    if values.isna().any():
        return "ignored", f"missing values (row {int(np.flatnonzero(values.isna().to_numpy())[0]) + 1})"
    stem = _stem(name)
    if stem is not None and stem in stems:
        return "ignored", f"named like the target (a replicate or statistic of it?); --inputs {name} to use it"
    return "extra", ""


def summary(roles: Mapping[str, str], reasons: Mapping[str, str], renamed: Mapping[str, str],
            shown: int | None = 6) -> list[str]:
    """Short lines, one per role: count and names, ``file name -> table name`` where renamed.

    The names of a role are cut after ``shown`` (None: never), except the ignored columns, which are
    always all named, each with its reason: nothing is left out unseen.

    Examples
    --------
    >>> summary({"a": "uptake", "b": "ignored"}, {"b": "row key"}, {"a": "EX_a_e_i"})
    ['uptake (1): a -> EX_a_e_i', 'ignored (1): b (row key)']
    """
    lines = []
    for role in ROLES:
        columns = [c for c, r in roles.items() if r == role]
        if not columns:
            continue
        cut = len(columns) if shown is None or role == "ignored" else shown
        names = []
        for c in columns[:cut]:
            text = c if renamed.get(c, c) == c else f"{c} -> {renamed[c]}"
            if role == "ignored":
                text += f" ({reasons.get(c, '')})"
            names.append(text)
        more = f", ... (+{len(columns) - cut} more)" if len(columns) > cut else ""
        lines.append(f"{role} ({len(columns)}): {', '.join(names)}{more}")
    return lines


def check_no_parameter_clash(targets: Sequence[str], inputs: Sequence[str], ignore: Sequence[str]) -> None:
    """A column is at most one of target, input and ignored (one line naming it)."""
    for a, b, names in (("--target", "--inputs", set(targets) & set(inputs)),
                        ("--target", "--ignore-columns", set(targets) & set(ignore)),
                        ("--inputs", "--ignore-columns", set(inputs) & set(ignore))):
        if names:
            raise ParameterError(f"column {min(names)} is given in both {a} and {b}")
