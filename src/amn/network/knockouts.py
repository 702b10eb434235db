"""Gene knockouts: the reactions of a unidirectional network that a set of genes (or reactions) removes.

A reaction is removed when its gene-reaction rule is false once the knocked-out
genes are gone, as COBRApy decides it (``GPR.eval``, what ``Gene.knock_out``
uses): ``b1 and b2`` (a complex) falls with either gene, ``b1 or b2``
(isozymes) only with both, a reaction without a rule never.  Every part of a
split reaction (``_for``/``_rev``, ``_i``/``_o``) carries the rule of its
reaction, so both directions fall together.  A knockout may also name a
reaction directly: an original reaction id removes all its parts, a
unidirectional id that one column.

Datasets and models carry single-gene knockouts as indicator columns
``KO:<gene id>`` (1 = knocked out) beside the medium columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from amn.csv_input import read_csv
from amn.errors import DatasetMismatchError, InputFileNotFoundError, ParameterError, UnknownGeneError, id_list

#: Prefix of the knockout indicator columns of datasets and model inputs.
KO_PREFIX = "KO:"


def indicator_columns(genes: Iterable[str]) -> list[str]:
    """The indicator column name of each gene.

    Examples
    --------
    >>> indicator_columns(["b1136", "b2926"])
    ['KO:b1136', 'KO:b2926']
    """
    return [f"{KO_PREFIX}{g}" for g in genes]


def indicator_genes(columns: Iterable[str]) -> list[str]:
    """The genes of the indicator columns among ``columns``, in order.

    Examples
    --------
    >>> indicator_genes(["EX_glc__D_e_i", "KO:b1136"])
    ['b1136']
    """
    return [str(c)[len(KO_PREFIX):] for c in columns if str(c).startswith(KO_PREFIX)]


def knockout_cells(X: pd.DataFrame, ids: Sequence[str]) -> np.ndarray:
    """The cells of the knockout columns ``ids`` of table ``X`` (rows x ids; 1 = knocked out, 0 = present).

    Every estimator that reads knockout columns reads them here, so a half-knocked-out cell is refused
    the same way everywhere instead of being rounded.

    Raises
    ------
    DatasetMismatchError
        A column missing, or a cell other than 0 and 1 (NaN and text included), naming the columns.

    Examples
    --------
    >>> knockout_cells(pd.DataFrame({"pgi": [0, 1], "glc": [10, 3]}), ["pgi"]).ravel().tolist()
    [0.0, 1.0]
    """
    missing = [c for c in ids if c not in X.columns]
    if missing:
        raise DatasetMismatchError(f"the table lacks knockout column(s) {id_list(missing)}")
    K = X[list(ids)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = [c for c, ok in zip(ids, np.isin(K, (0.0, 1.0)).all(axis=0)) if not ok]
    if bad:
        raise DatasetMismatchError(f"knockout column(s) {id_list(bad)}: values must be 0 or 1 (1 = knocked out)")
    return K


def parse_knockouts(values: Iterable) -> list[frozenset[str]]:
    """Per-sample knockout sets.

    Parameters
    ----------
    values : iterable
        One item per sample: a ``;``-separated string of ids (empty: wild
        type), ``None`` or NaN (wild type), or an iterable of ids.

    Returns
    -------
    list of frozenset of str

    Examples
    --------
    >>> parse_knockouts(["b1136; b2926", "", None]) == [{"b1136", "b2926"}, set(), set()]
    True
    """
    sets = []
    for value in values:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            sets.append(frozenset())
        elif isinstance(value, str):
            sets.append(frozenset(s.strip() for s in value.split(";") if s.strip()))
        else:
            sets.append(frozenset(str(s) for s in value))
    return sets


class Knockouts:
    """Maps knockout sets to the columns of a unidirectional network they remove (cached per distinct set).

    Parameters
    ----------
    network : UnidirectionalNetwork
        The network whose genes and reactions knockouts name.
    """

    def __init__(self, network) -> None:
        self.network = network
        self.n = len(network.reaction_ids)
        self._column = {rid: j for j, rid in enumerate(network.reaction_ids)}
        self._genes = {g.id: g for g in network.model.genes}
        rec = network.recombination.tocsr()
        self._parts = {rid: rec.indices[rec.indptr[i]:rec.indptr[i + 1]] for i, rid in enumerate(network.original_ids)}
        self._cache: dict[frozenset[str], np.ndarray] = {}

    @property
    def genes(self) -> list[str]:
        """Gene ids of the network, sorted (COBRApy's gene order follows set order, which varies by process)."""
        return sorted(self._genes)

    def columns(self, knockout: Iterable[str]) -> np.ndarray:
        """Column indices removed by a knockout set.

        Parameters
        ----------
        knockout : iterable of str
            Gene and/or reaction ids (original or unidirectional); an id that
            is both a gene and a reaction is taken as the gene.

        Returns
        -------
        numpy.ndarray
            Sorted column indices of the removed unidirectional reactions.

        Raises
        ------
        UnknownGeneError
            An id is neither a gene nor a reaction of the network.
        """
        key = frozenset(knockout)
        if key not in self._cache:
            genes = {i for i in key if i in self._genes}
            others = sorted(key - genes)
            unknown = [i for i in others if i not in self._parts and i not in self._column]
            if unknown:
                raise UnknownGeneError(f"model {self.network.model_id}: unknown gene or reaction id(s) {id_list(unknown)}")
            removed: set[int] = set()
            for reaction in {r for g in genes for r in self._genes[g].reactions}:
                if not reaction.gpr.eval(genes):
                    removed.add(self._column[reaction.id])
            for rid in others:
                removed.update(self._parts[rid].tolist() if rid in self._parts else [self._column[rid]])
            self._cache[key] = np.array(sorted(removed), dtype=int)
        return self._cache[key]

    def reactions(self, knockout: Iterable[str]) -> list[str]:
        """Ids of the unidirectional reactions removed by a knockout set (see :meth:`columns`)."""
        ids = self.network.reaction_ids
        return [ids[j] for j in self.columns(knockout)]

    def mask(self, knockouts: Sequence[Iterable[str]]) -> np.ndarray:
        """Removed reactions of a batch.

        Parameters
        ----------
        knockouts : sequence of iterables of str
            One knockout set per sample (see :meth:`columns`).

        Returns
        -------
        numpy.ndarray
            Boolean, batch x n (True = removed).

        Raises
        ------
        UnknownGeneError
            An id is neither a gene nor a reaction of the network.
        """
        out = np.zeros((len(knockouts), self.n), dtype=bool)
        for i, knockout in enumerate(knockouts):
            out[i, self.columns(knockout)] = True
        return out


def knockout_rng(seed: int, sample: int) -> np.random.Generator:
    """The knockout generator of sample ``sample`` of a dataset seeded with ``seed``.

    A stream apart from the medium's (:func:`amn.media.draw.sample_rng`), so
    that a knockout dataset draws the same media as the wild-type dataset of
    the same seed.
    """
    return np.random.default_rng([seed, sample, 1])


@dataclass(frozen=True)
class RandomKnockouts:
    """Single-gene knockouts drawn per sample.

    Wild type with probability ``wild_type``, else one gene uniformly among
    ``genes``.  ``columns`` holds the columns each gene removes, so that
    workers label without COBRApy.  Build it with :meth:`from_network`.

    Attributes
    ----------
    genes : tuple of str
        Candidate genes.
    columns : tuple of tuple of int
        Columns of the network that each candidate removes.
    wild_type : float
        Fraction of samples without knockout, in [0, 1).
    source : str
        Where the candidates come from (``all``, ``list`` or a file name).
    """

    genes: tuple[str, ...]
    columns: tuple[tuple[int, ...], ...]
    wild_type: float = 0.1
    source: str = "all"

    @classmethod
    def from_network(cls, network, genes: Sequence[str] | None = None, wild_type: float = 0.1,
                     source: str | None = None) -> RandomKnockouts:
        """The knockouts of candidate genes of a network.

        Parameters
        ----------
        network : UnidirectionalNetwork
        genes : sequence of str, optional
            Candidate genes; default: every gene of the network, sorted.
        wild_type : float, default 0.1
            Fraction of samples without knockout, in [0, 1).
        source : str, optional
            Names the candidates in messages and metadata; default ``all`` or ``list``.

        Returns
        -------
        RandomKnockouts

        Raises
        ------
        ParameterError
            ``wild_type`` is outside [0, 1).
        UnknownGeneError
            No candidate, a candidate that is not a gene of the network, or a repeated one.
        """
        mapping = Knockouts(network)
        known = mapping.genes
        genes = list(known if genes is None else genes)
        where = source or ("all" if genes == known else "list")
        if not genes:
            raise UnknownGeneError(f"{where}: no knockout candidate gene")
        if not 0.0 <= wild_type < 1.0:
            raise ParameterError(f"{where}: the wild-type fraction must be in [0, 1) (got {wild_type})")
        unknown = [g for g in genes if g not in mapping._genes]
        if unknown:
            raise UnknownGeneError(f"{where}: gene(s) not in model {network.model_id}: {id_list(unknown)}")
        if len(set(genes)) != len(genes):
            raise UnknownGeneError(f"{where}: duplicated gene id(s)")
        columns = tuple(tuple(int(j) for j in mapping.columns([g])) for g in genes)
        return cls(tuple(genes), columns, float(wild_type), where)

    def draw(self, rng: np.random.Generator) -> int:
        """Index of the knocked-out gene in :attr:`genes`, or -1 for the wild type."""
        if rng.random() < self.wild_type:
            return -1
        return int(rng.integers(len(self.genes)))

    def describe(self) -> dict:
        """The dataset metadata of these knockouts (mode, genes, wild_type, source)."""
        return {"mode": "single", "genes": list(self.genes), "wild_type": self.wild_type, "source": self.source}


def read_gene_list(path: str | Path) -> list[str]:
    """Gene ids of a text file: one per line.

    Only the first comma-separated field of a line is read; ``#`` comments,
    blank lines and a header line (``gene``, ``genes``, ``gene_id``, ``id``)
    are skipped.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    list of str

    Raises
    ------
    InputFileNotFoundError
        The file does not exist.
    UnknownGeneError
        The file is not text, or names no gene.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileNotFoundError(f"{path}: no such file")
    try:
        lines = path.read_text().splitlines()
    except UnicodeDecodeError:
        raise UnknownGeneError(f"{path}: not a text file of gene ids") from None
    genes = [line.split("#")[0].split(",")[0].strip() for line in lines]
    genes = [g for g in genes if g]
    if genes and genes[0].lower() in ("gene", "genes", "gene_id", "id"):
        genes = genes[1:]  # a header
    if not genes:
        raise UnknownGeneError(f"{path}: no gene id")
    return genes


def read_knockout_table(path: str | Path, rows: int, knockouts: Knockouts | None = None) -> list[frozenset[str]]:
    """Per-row knockout sets of a knockout table (one row per medium of a media table).

    The table has a column ``knockouts``: ``;``-separated gene (or reaction)
    ids per row; an empty cell, or a blank line, is the wild type.

    Parameters
    ----------
    path : str or Path
        The CSV file.
    rows : int
        The number of rows it must have (those of the media table).
    knockouts : Knockouts, optional
        When given, every id is checked against its network.

    Returns
    -------
    list of frozenset of str
        One knockout set per row.

    Raises
    ------
    InputFileNotFoundError
        The file does not exist.
    DatasetMismatchError
        Not a CSV table, no column ``knockouts``, or not ``rows`` rows.
    UnknownGeneError
        With ``knockouts``: an id is neither a gene nor a reaction of the network.
    """
    table = read_csv(path, DatasetMismatchError, index_col=None, skip_blank_lines=False)  # blank line: wild type
    if "knockouts" not in table.columns:
        raise DatasetMismatchError(f"{path}: no column 'knockouts' (`;`-separated gene ids per medium row)")
    if len(table) != rows:
        raise DatasetMismatchError(f"{path}: {len(table)} rows, the media table has {rows}")
    sets = parse_knockouts("" if pd.isna(value) else str(value) for value in table["knockouts"])
    if knockouts is not None:
        try:
            knockouts.mask(sets)
        except UnknownGeneError as exc:
            raise UnknownGeneError(f"{path}: {exc}") from None
    return sets
