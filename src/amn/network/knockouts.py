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

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from amn.errors import UnknownGeneError

#: Prefix of the knockout indicator columns of datasets and model inputs.
KO_PREFIX = "KO:"


def indicator_columns(genes: Iterable[str]) -> list[str]:
    """The indicator column name of each gene (``KO:<gene id>``)."""
    return [f"{KO_PREFIX}{g}" for g in genes]


def indicator_genes(columns: Iterable[str]) -> list[str]:
    """The genes of the indicator columns among ``columns``, in order."""
    return [str(c)[len(KO_PREFIX):] for c in columns if str(c).startswith(KO_PREFIX)]


def parse_knockouts(values: Iterable) -> list[frozenset[str]]:
    """Per-sample knockout sets from ``;``-separated strings (empty or NaN: wild type) or iterables of ids."""
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
    """Maps knockout sets to the columns of a unidirectional network they remove (cached per distinct set)."""

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
        """Sorted column indices removed by a set of gene and/or reaction ids (genes win on a clash)."""
        key = frozenset(knockout)
        if key not in self._cache:
            genes = {i for i in key if i in self._genes}
            others = sorted(key - genes)
            unknown = [i for i in others if i not in self._parts and i not in self._column]
            if unknown:
                shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
                raise UnknownGeneError(f"model {self.network.model.id}: unknown gene or reaction id(s) {shown}")
            removed: set[int] = set()
            for reaction in {r for g in genes for r in self._genes[g].reactions}:
                if not reaction.gpr.eval(genes):
                    removed.add(self._column[reaction.id])
            for rid in others:
                removed.update(self._parts[rid].tolist() if rid in self._parts else [self._column[rid]])
            self._cache[key] = np.array(sorted(removed), dtype=int)
        return self._cache[key]

    def reactions(self, knockout: Iterable[str]) -> list[str]:
        """Ids of the unidirectional reactions removed by a knockout set."""
        ids = self.network.reaction_ids
        return [ids[j] for j in self.columns(knockout)]

    def mask(self, knockouts: Sequence[Iterable[str]]) -> np.ndarray:
        """Boolean batch x n mask (True = removed) from per-sample knockout sets."""
        out = np.zeros((len(knockouts), self.n), dtype=bool)
        for i, knockout in enumerate(knockouts):
            out[i, self.columns(knockout)] = True
        return out


def knockout_rng(seed: int, sample: int) -> np.random.Generator:
    """The knockout generator of sample ``sample``: a stream apart from the medium's, so that a
    knockout dataset draws the same media as the wild-type dataset of the same seed."""
    return np.random.default_rng([seed, sample, 1])


@dataclass(frozen=True)
class RandomKnockouts:
    """Single-gene knockouts drawn per sample: wild type with probability ``wild_type``, else one
    gene uniformly among ``genes``.  ``columns`` holds the columns each gene removes, so that
    workers label without COBRApy."""

    genes: tuple[str, ...]
    columns: tuple[tuple[int, ...], ...]
    wild_type: float = 0.1
    source: str = "all"

    @classmethod
    def from_network(cls, network, genes: Sequence[str] | None = None, wild_type: float = 0.1,
                     source: str | None = None) -> "RandomKnockouts":
        """Candidates ``genes`` (default: every gene of the network, sorted); unknown ids raise :class:`UnknownGeneError`."""
        mapping = Knockouts(network)
        known = mapping.genes
        genes = list(known if genes is None else genes)
        where = source or ("all" if genes == known else "list")
        if not genes:
            raise UnknownGeneError(f"{where}: no knockout candidate gene")
        if not 0.0 <= wild_type < 1.0:
            raise UnknownGeneError(f"{where}: the wild-type fraction must be in [0, 1) (got {wild_type})")
        unknown = [g for g in genes if g not in mapping._genes]
        if unknown:
            shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
            raise UnknownGeneError(f"{where}: gene(s) not in model {network.model.id}: {shown}")
        if len(set(genes)) != len(genes):
            raise UnknownGeneError(f"{where}: duplicated gene id(s)")
        columns = tuple(tuple(int(j) for j in mapping.columns([g])) for g in genes)
        return cls(tuple(genes), columns, float(wild_type), where)

    def draw(self, rng: np.random.Generator) -> int:
        """Index of the knocked-out gene, or -1 for the wild type."""
        if rng.random() < self.wild_type:
            return -1
        return int(rng.integers(len(self.genes)))

    def describe(self) -> dict:
        return {"mode": "single", "genes": list(self.genes), "wild_type": self.wild_type, "source": self.source}


def read_gene_list(path: str | Path) -> list[str]:
    """Gene ids of a text file: one per line (first comma-separated field), ``#`` comments and blank lines skipped."""
    path = Path(path)
    if not path.exists():
        raise UnknownGeneError(f"{path}: no such file")
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
