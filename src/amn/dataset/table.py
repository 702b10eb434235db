"""Experimental tables as users have them: one condition per row, inputs of several kinds, one or many targets.

The published table (``iML1515_EXP.csv``) names its composition columns by the unidirectional
uptake reactions of iML1515 (``EX_glc__D_e_i``, 1 = present) and holds the mean growth rate in
``GR_AVG``.  Other tables give compositions as uptake bounds or concentrations, name compounds by
metabolite or exchange ids, knock genes or reactions out (0/1 columns, either value meaning
"knocked out"), carry regulators or omics as extra inputs, and measure many fluxes.  Every column
gets a role (:mod:`amn.dataset.columns`), printed once by the command line; several files can be
joined on a key column.  This module holds the table object; reading is in
:mod:`amn.dataset.reading` (:func:`~amn.dataset.reading.read_table`) and the checks in
:mod:`amn.dataset.validation`, which validate everything up front, so that a bad file fails
with one line naming the file, the row and the column, not deep inside a fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from amn.dataset.columns import summary
from amn.errors import ParameterError

Task = Literal["regression", "classification"]
Composition = Literal["presence", "bounds", "concentration"]
COMPOSITIONS = ("presence", "bounds", "concentration")
#: First-column names taken as the row key of a single file (when their values are unique).
KEY_NAMES = ("id", "key", "medium", "condition", "experiment", "sample", "name", "strain")


@dataclass(frozen=True)
class ExperimentTable:
    """Inputs and measured targets, one condition per row (see :func:`read_table`).

    Attributes
    ----------
    X : pandas.DataFrame
        Rows x input columns (floats), in file order: uptakes (renamed to uptake ids), knockouts
        (renamed to the gene or original reaction id; 1 = knocked out), measured inputs and extra
        inputs (their file names).  ``X.attrs["source"]`` names the table (for messages).
    Y : pandas.DataFrame
        Rows x targets (floats, file names).
    task : {"regression", "classification"}
        ``classification`` for one 0/1 target (grows / does not grow).
    source : str
        The file(s) of the table.
    roles : dict
        Every column of the file(s) -> ``uptake``, ``knockout``, ``measured``, ``extra``, ``target`` or
        ``ignored``.
    reasons : dict
        Column -> why it has its role (every ignored column has one).
    renamed : dict
        File column -> its name in ``X`` (uptakes and knockouts).
    input_roles : dict
        ``X`` column -> its role.
    composition : {"presence", "bounds", "concentration"} or None
        What the uptake values are (None: no uptake column); ``composition_reason`` says how it was decided.
    knockout_kind : dict
        Knockout column of ``X`` (a model id) -> ``gene`` or ``reaction``.
    knockout_value : {0, 1} or None
        The file value that means "knocked out" (``knockout_reason`` says how it was decided).
    target_reactions : dict
        Target -> the reaction it measures: a unidirectional id (``PGI_for``, ``EX_o2_e_i``) or an
        original one (net flux: ``PFK``, ``EX_ac_e``); targets naming no reaction are absent.
    measured_reactions : dict
        Measured input (``X`` column) -> its reaction id, as for targets.
    key : str or None
        The row-key column (the rows' labels), if any.
    notes : tuple of str
        Lines to print with the summary (e.g. mapping entries naming no column).
    """

    X: pd.DataFrame
    Y: pd.DataFrame
    task: Task
    source: str
    roles: dict = field(default_factory=dict)
    reasons: dict = field(default_factory=dict)
    renamed: dict = field(default_factory=dict)
    input_roles: dict = field(default_factory=dict)
    composition: str | None = None
    composition_reason: str = ""
    knockout_kind: dict = field(default_factory=dict)
    knockout_value: int | None = None
    knockout_reason: str = ""
    target_reactions: dict = field(default_factory=dict)
    measured_reactions: dict = field(default_factory=dict)
    key: str | None = None
    notes: tuple = ()

    @property
    def targets(self) -> list[str]:
        """The target columns."""
        return list(self.Y.columns)

    @property
    def y(self) -> pd.Series:
        """The target, for a table with one target.

        Raises
        ------
        ParameterError
            With several targets (use :attr:`Y`).
        """
        if self.Y.shape[1] != 1:
            raise ParameterError(f"{self.source}: {self.Y.shape[1]} targets; use table.Y (table.y is for one target)")
        return self.Y.iloc[:, 0]

    @property
    def target(self) -> str:
        """The target's name (one target; several: ParameterError, see :attr:`targets`)."""
        return str(self.y.name)

    def inputs(self, *roles: str) -> list[str]:
        """The ``X`` columns of the given roles (``uptake``, ``knockout``, ``measured``, ``extra``), in order."""
        return [c for c, r in self.input_roles.items() if r in roles]

    @property
    def composition_ids(self) -> list[str]:
        """The uptake columns (unidirectional uptake ids)."""
        return self.inputs("uptake")

    uptake_ids = composition_ids

    @property
    def knockout_ids(self) -> list[str]:
        """The knockout columns (gene or original reaction ids)."""
        return self.inputs("knockout")

    @property
    def extra_ids(self) -> list[str]:
        """The extra input columns."""
        return self.inputs("extra")

    @property
    def measured_ids(self) -> list[str]:
        """The measured-flux input columns."""
        return self.inputs("measured")

    @property
    def variable_ids(self) -> list[str]:
        """Uptake columns that differ between rows (the others are the base medium)."""
        return [c for c in self.composition_ids if self.X[c].nunique() > 1]

    def summary(self, shown: int | None = 6) -> str:
        """The classification of the columns, a few lines: counts and names per role (cut after ``shown``,
        None: all; ignored columns always all), composition, knockouts."""
        lines = [(f"{self.source}: {len(self)} rows, {self.X.shape[1]} inputs, {self.Y.shape[1]} target(s), "
                 f"{self.task}")]
        lines += [f"  {line}" for line in summary(self.roles, self.reasons, self.renamed, shown)]
        if self.composition is not None:
            lines.append(f"  composition: {self.composition} ({self.composition_reason})")
        if self.knockout_value is not None:
            lines.append(f"  knockouts: {self.knockout_value} in the file = knocked out ({self.knockout_reason}); "
                         "X holds 1 = knocked out")
        if len(self.targets) > 1 or self.target_reactions:
            unnamed = [t for t in self.targets if t not in self.target_reactions]
            lines.append(f"  targets naming a model reaction: {len(self.targets) - len(unnamed)} of {len(self.targets)}"
                         + (f" (not: {', '.join(unnamed[:shown])}{', ...' if len(unnamed[:shown]) < len(unnamed) else ''})"
                            if unnamed and self.target_reactions else ""))
        return "\n".join(lines + [f"  note: {n}" for n in self.notes])

    def __len__(self) -> int:
        return len(self.Y)
