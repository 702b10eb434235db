"""Medium specification files (published format).

CSV with a header ``name,<uptake ids of the unidirectional model>`` and rows
``level``, ``max_value`` and ``ratio_drawing`` (only its first value is read).
``level <= 1``: always open at ``max_value`` (minimal medium); ``level > 1``:
a variable exchange reaction drawn per sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from amn.csv_input import read_csv
from amn.errors import MediumError, UnknownReactionError, id_list


@dataclass(frozen=True)
class MediumSpec:
    """Uptake reaction ids with their levels, maximal bounds and the drawing ratio.

    Attributes
    ----------
    reaction_ids : tuple of str
        Uptake (``<id>_i``) reactions of the unidirectional model.
    level : numpy.ndarray
        Per uptake: ``<= 1`` always open at ``max_value``; ``L > 1`` drawn
        among ``L - 1`` non-zero levels up to ``max_value``.
    max_value : numpy.ndarray
        Per uptake: the largest bound.
    ratio_drawing : float
        Expected fraction of the variable uptakes opened per random medium.
    source : str
        Names the specification in messages (its file).
    """

    reaction_ids: tuple[str, ...]
    level: np.ndarray
    max_value: np.ndarray
    ratio_drawing: float
    source: str = "medium"

    @property
    def minimal(self) -> list[str]:
        """Uptakes always open (level <= 1)."""
        return [r for r, lv in zip(self.reaction_ids, self.level) if lv <= 1]

    @property
    def variable(self) -> list[str]:
        """Variable exchange reactions (level > 1)."""
        return [r for r, lv in zip(self.reaction_ids, self.level) if lv > 1]

    def widened(self, reaction_ids: Sequence[str], max_value: float, levels: int = 101) -> MediumSpec:
        """A copy where ``reaction_ids`` are drawn instead of fixed.

        Training data for a growth model whose inputs a reservoir will learn,
        since a frozen AMN is only valid where its training inputs varied.

        Parameters
        ----------
        reaction_ids : sequence of str
            Uptakes of the specification to draw.
        max_value : float
            Their largest bound.
        levels : int, default 101
            Their number of levels.

        Returns
        -------
        MediumSpec

        Raises
        ------
        UnknownReactionError
            An id is not in the specification.
        """
        position = {r: j for j, r in enumerate(self.reaction_ids)}
        unknown = [r for r in reaction_ids if r not in position]
        if unknown:
            raise UnknownReactionError(f"{self.source}: not in the medium: {id_list(unknown)}")
        level, maximum = self.level.astype(float), self.max_value.astype(float)
        for r in reaction_ids:
            level[position[r]], maximum[position[r]] = levels, max_value
        return replace(self, level=level, max_value=maximum)

    def write(self, path: str | Path) -> None:
        """Write the medium file format that :func:`read_medium` reads.

        Parameters
        ----------
        path : str or Path
        """
        rows = {"level": self.level, "max_value": self.max_value,
                "ratio_drawing": [self.ratio_drawing] + [""] * (len(self.reaction_ids) - 1)}
        pd.DataFrame(rows, index=list(self.reaction_ids)).T.rename_axis("name").to_csv(path)

    def check(self, network) -> None:
        """Check that a network has every uptake of the specification.

        Parameters
        ----------
        network : UnidirectionalNetwork

        Raises
        ------
        UnknownReactionError
            Naming the file and the missing reactions.
        """
        known = set(network.reaction_ids)
        missing = [r for r in self.reaction_ids if r not in known]
        if missing:
            raise UnknownReactionError(f"{self.source}: reaction(s) not in model {network.model_id}: {id_list(missing)}")


def read_medium(path: str | Path) -> MediumSpec:
    """Read and validate a medium specification file.

    Parameters
    ----------
    path : str or Path
        CSV: header ``name,<uptake ids>``, rows ``level`` (whole numbers), ``max_value`` and
        ``ratio_drawing`` (one value, in the first column; the other cells empty or the same),
        optionally a free-text ``comment``, and no other row.

    Returns
    -------
    MediumSpec

    Raises
    ------
    InputFileNotFoundError
        The file does not exist.
    MediumError
        The file is malformed; the message names the file and the problem.
    """
    path = Path(path)
    table = read_csv(path, MediumError, "medium CSV", index_col=0, dtype=str, keep_default_na=False)
    names = [str(i).strip() for i in table.index]
    rows = {name: i for i, name in zip(table.index, names)}
    for needed in ("level", "max_value", "ratio_drawing"):
        if needed not in rows:
            raise MediumError(f"{path}: missing row '{needed}' (expected rows level, max_value, ratio_drawing)")
    for name in names:  # a free-text comment row is allowed (the published files have one)
        if names.count(name) > 1 or name not in ("level", "max_value", "ratio_drawing", "comment"):
            what = "appears twice" if names.count(name) > 1 else "is none of level, max_value, ratio_drawing, comment"
            raise MediumError(f"{path}: row '{name}' {what}")
    ids = [str(c).strip() for c in table.columns]
    if not ids or any(not c or c.startswith("Unnamed") for c in ids):
        raise MediumError(f"{path}: the header must name one uptake reaction per column")
    if len(set(ids)) != len(ids):
        raise MediumError(f"{path}: duplicated reaction id(s) in the header")

    def numbers(row: str) -> np.ndarray:
        values = table.loc[rows[row]].to_numpy()
        out = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
        bad = [ids[i] for i in np.flatnonzero(~np.isfinite(out))]
        if bad:
            raise MediumError(f"{path}: non-numeric or missing '{row}' for {id_list(bad)}")
        return out

    level, max_value = numbers("level"), numbers("max_value")
    if (level < 0).any() or (max_value < 0).any():
        raise MediumError(f"{path}: levels and max_value must be >= 0")
    fractional = [ids[i] for i in np.flatnonzero(level != np.round(level))]
    if fractional:
        raise MediumError(f"{path}: level of {id_list(fractional)} must be a whole number (got "
                          f"{level[ids.index(fractional[0])]:g})")
    ratio_cells = table.loc[rows["ratio_drawing"]]
    ratio_text = ratio_cells.iloc[0]
    if any(str(cell).strip() not in ("", str(ratio_text).strip()) for cell in ratio_cells.iloc[1:]):
        raise MediumError(f"{path}: ratio_drawing holds one value, in its first column (other columns: empty or "
                          "the same)")
    try:
        ratio = float(ratio_text)
    except ValueError:
        raise MediumError(f"{path}: ratio_drawing '{ratio_text}' is not a number") from None
    if not 0.0 <= ratio <= 1.0:
        raise MediumError(f"{path}: ratio_drawing {ratio} is outside [0, 1]")
    return MediumSpec(tuple(ids), level, max_value, ratio, source=str(path))


#: The minimal medium of the E. coli core model in the published work; every
#: other uptake of that model is a variable carbon/nitrogen source.
CORE_MINIMAL = ("EX_co2_e_i", "EX_glc__D_e_i", "EX_h_e_i", "EX_h2o_e_i", "EX_nh4_e_i", "EX_o2_e_i", "EX_pi_e_i")


def core_medium(network, levels: int = 5, max_value: float = 10.0, ratio: float = 0.5) -> MediumSpec:
    """The published E. coli core medium specification, built from the model (no data file).

    The seven uptakes of :data:`CORE_MINIMAL` are always open at ``max_value``;
    the other uptakes are variable with ``levels`` levels up to ``max_value``,
    about ``ratio`` of them drawn per medium.

    Parameters
    ----------
    network : UnidirectionalNetwork
        The core model (its uptakes make the specification).
    levels : int, default 5
    max_value : float, default 10.0
    ratio : float, default 0.5

    Returns
    -------
    MediumSpec
    """
    ids = tuple(network.uptake_ids)
    level = np.array([1.0 if r in CORE_MINIMAL else float(levels) for r in ids])
    return MediumSpec(ids, level, np.full(len(ids), max_value), ratio, source=f"core medium of {network.model_id}")


#: An uptake bound above this (mmol/gDW/h) is no physiological rate but a medium's "unlimited"
#: (COBRA models open their salts at 1000 or 999999).
UNLIMITED = 100.0


def unlimited_scale(maxima: Sequence[float]) -> list[float]:
    """What each input column is divided by before a model that needs inputs of order one (a dense
    network, logistic regression): its largest value where that exceeds :data:`UNLIMITED`, else 1.

    Such a model fed bounds of 1000 diverges (training R² -1.2 for growth on iMM904 media whose salts
    are open at 999999, 0.997 with this scale); inputs in physiological ranges go in as given, as in
    the published AMN.

    Examples
    --------
    >>> unlimited_scale([10.0, 1000.0, 0.0, -250.0])
    [1.0, 1000.0, 1.0, 250.0]
    """
    values = np.abs(np.asarray(maxima, dtype=float))
    return np.where(values > UNLIMITED, values, 1.0).tolist()
