"""Random and experiment-guided media, drawn as published and reproducibly.

A *medium* is a vector of upper bounds for the uptakes named by a
:class:`~amn.media.spec.MediumSpec` (every other uptake of the model is
closed).  Each sample ``i`` draws from its own generator seeded with
``(seed, i)``, so a dataset is the same whatever the number of workers or the
order in which chunks run; a redraw (``attempt > 0``) continues that stream.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from amn.csv_input import read_csv
from amn.errors import MediumError, ParameterError
from amn.media.columns import check_composition_columns
from amn.media.spec import MediumSpec


def sample_rng(seed: int, sample: int) -> np.random.Generator:
    """The generator of sample ``sample`` of a dataset seeded with ``seed``.

    Examples
    --------
    >>> float(sample_rng(0, 3).random()) == float(sample_rng(0, 3).random())
    True
    """
    return np.random.default_rng([seed, sample])


def _levels_to_bounds(spec: MediumSpec, active: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Bounds: level-1 uptakes at max_value, active variable ones at k*max/(level-1), others closed."""
    bounds = np.where(spec.level <= 1, spec.max_value, 0.0)
    for j in np.flatnonzero(active):
        levels = int(spec.level[j])
        k = rng.integers(1, levels)  # uniform in 1..level-1
        bounds[j] = k * spec.max_value[j] / (levels - 1)
    return bounds


class RandomMedia:
    """Published random media: Binomial(n_VER, p) variable uptakes activated, at least one.

    Parameters
    ----------
    spec : MediumSpec
        The uptakes, their levels and ``p`` (``ratio_drawing``).
    size : int
        Number of samples, >= 1.

    Raises
    ------
    ParameterError
        ``size`` < 1.
    """

    def __init__(self, spec: MediumSpec, size: int) -> None:
        if size < 1:
            raise ParameterError(f"{spec.source}: the number of samples must be >= 1 (got {size})")
        self.spec = spec
        self.size = size
        self.variable = np.flatnonzero(spec.level > 1)

    def draw(self, rng: np.random.Generator, sample: int) -> np.ndarray:
        """The uptake bounds of one sample (in ``spec.reaction_ids`` order), drawn from ``rng``."""
        active = np.zeros(len(self.spec.reaction_ids), dtype=bool)
        if len(self.variable):
            count = max(1, rng.binomial(len(self.variable), self.spec.ratio_drawing))
            active[rng.choice(self.variable, size=count, replace=False)] = True
        return _levels_to_bounds(self.spec, active, rng)

    def describe(self) -> dict:
        """The dataset metadata of these media."""
        return {"kind": "random", "size": self.size}


class GuidedMedia:
    """Media guided by an experimental table.

    ``per_medium`` draws per row: random levels for the compounds present,
    absent ones (0) closed, level-1 ones at their maximum.  A compound is present
    when its cell is above 0: a table of presence (0/1), of uptake bounds or of
    concentrations guides alike (the draws cover every level of the compounds a
    medium holds; what a measured value means is learned downstream, by the
    reservoir).  Uptakes of the specification that the table has no column for
    keep the specification's default: open at max if level <= 1, closed otherwise.

    Parameters
    ----------
    spec : MediumSpec
    table : pandas.DataFrame
        One row per experimental medium; columns named by uptakes of ``spec``, values >= 0
        (0: absent).
    per_medium : int
        Samples per row, >= 1.
    source : str, default "table"
        Names the table in messages.

    Raises
    ------
    ParameterError
        ``per_medium`` < 1.
    MediumError
        No column names an uptake of ``spec``, or a value is not a number >= 0.
    UnknownReactionError
        A column looks like an uptake id (``EX_...``, ``..._i``, ``..._e``, see
        :func:`~amn.media.columns.looks_like_reaction`) but is not one of ``spec``;
        other columns (``GR_AVG``, ``GR_1``, notes) are ignored.
    """

    def __init__(self, spec: MediumSpec, table: pd.DataFrame, per_medium: int, source: str = "table") -> None:
        if per_medium < 1:
            raise ParameterError(f"{source}: per_medium must be >= 1 (got {per_medium})")
        columns = [c for c in table.columns if c in spec.reaction_ids]
        if not columns:
            raise MediumError(f"{source}: no column names an uptake of {spec.source}")
        # a column that looks like an uptake id but is none of the medium's is a mistake, not ignored
        check_composition_columns(table.columns, spec.reaction_ids, source, f"the medium {spec.source}")
        values = table[columns].apply(pd.to_numeric, errors="coerce")
        bad = ~(np.isfinite(values.to_numpy(dtype=float)) & (values.to_numpy(dtype=float) >= 0))
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise MediumError(f"{source}: row {row + 1}, column {columns[col]}: {table[columns[col]].iloc[row]!r} is "
                              "not a number >= 0 (0 = absent; presence 0/1, a bound or a concentration)")
        position = {rid: j for j, rid in enumerate(spec.reaction_ids)}
        # compounds the table does not mention: the minimal medium stays open, the rest closed
        self.presence = np.tile(spec.level <= 1, (len(table), 1))
        for col in columns:
            self.presence[:, position[col]] = values[col].to_numpy() > 0
        self.spec = spec
        self.per_medium = per_medium
        self.size = len(table) * per_medium
        self.source = source

    @classmethod
    def from_csv(cls, spec: MediumSpec, path: str | Path, per_medium: int) -> GuidedMedia:
        """The guided media of an experimental table file (see the class; errors name the file)."""
        return cls(spec, read_csv(path, MediumError), per_medium, source=str(path))

    def draw(self, rng: np.random.Generator, sample: int) -> np.ndarray:
        """The uptake bounds of sample ``sample`` (row ``sample // per_medium``), drawn from ``rng``."""
        present = self.presence[sample // self.per_medium]
        bounds = _levels_to_bounds(self.spec, present & (self.spec.level > 1), rng)
        bounds[~present] = 0.0
        return bounds

    def describe(self) -> dict:
        """The dataset metadata of these media."""
        return {"kind": "guided", "size": self.size, "per_medium": self.per_medium, "table": self.source}
