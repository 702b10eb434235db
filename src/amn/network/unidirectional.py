"""Unidirectional networks: every flux positive, as neural computation needs.

Every reaction that can run backwards (lower bound < 0) is split into
``<id>_for`` and ``<id>_rev``; every exchange reaction is split into
``<id>_i`` (inflow: produces the external metabolite, an *uptake*) and
``<id>_o`` (outflow), even when one direction is closed.  All bounds become
non-negative.  Names, gene-reaction rules, annotations and the objective are
kept; each new reaction records its origin in its SBML notes, so a written
unidirectional model can be read back and recognised.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import cobra
import numpy as np
import pandas as pd
import scipy.sparse as sp

from amn.errors import UnknownReactionError, id_list
from amn.network.io import load_model, write_sbml
from amn.network.matrices import NetworkMatrices, fba_arrays, objective_coefficients

#: Reaction notes that record where each unidirectional reaction comes from.
ORIGIN_NOTE = "AMN_ORIGINAL_ID"
DIRECTION_NOTE = "AMN_DIRECTION"  # for, rev, i (inflow) or o (outflow)
SIGN_NOTE = "AMN_SIGN"  # +1/-1: the part's flux counted in the original reaction's flux


@dataclass
class UnidirectionalNetwork:
    """A unidirectional ``cobra.Model`` and its link to the model it came from.

    Build it with :func:`make_unidirectional`.

    Attributes
    ----------
    model : cobra.Model
        The unidirectional model (every bound >= 0).
    original_ids : list of str
        Reaction ids of the original model.
    recombination : scipy.sparse.csr_matrix
        Original reactions x unidirectional reactions: maps unidirectional
        fluxes back to the original ones, ``v = recombination @ u``
        (``for - rev``, ``o - i`` for an exchange written ``A <=>``).
    uptake_ids, outflow_ids : list of str
        The ``<exchange>_i`` and ``<exchange>_o`` reactions.
    split_ids : list of str
        Original reversible reactions split into ``_for`` / ``_rev``.
    """

    model: cobra.Model
    original_ids: list[str]
    recombination: sp.csr_matrix
    uptake_ids: list[str] = field(default_factory=list)
    outflow_ids: list[str] = field(default_factory=list)
    split_ids: list[str] = field(default_factory=list)

    @property
    def model_id(self) -> str:
        """The id of the model it was made from (``iML1515``), as messages name it."""
        return self.model.id.removesuffix("_unidirectional") or self.model.id

    @property
    def reaction_ids(self) -> list[str]:
        """Unidirectional reaction ids, in column order."""
        return [r.id for r in self.model.reactions]

    @property
    def metabolite_ids(self) -> list[str]:
        """Metabolite ids, in row order of S."""
        return [m.id for m in self.model.metabolites]

    @property
    def objective(self) -> dict[str, float]:
        """Objective coefficients by unidirectional reaction id."""
        return objective_coefficients(self.model)

    @property
    def objective_id(self) -> str:
        """The reaction with the largest positive objective coefficient (the growth reaction)."""
        return max(self.objective.items(), key=lambda kv: kv[1])[0]

    def index(self, reaction_ids: list[str] | tuple[str, ...], what: str = "reaction") -> np.ndarray:
        """Column indices of reaction ids.

        Parameters
        ----------
        reaction_ids : sequence of str
            Unidirectional reaction ids.
        what : str, default "reaction"
            What the ids are, for the message (``"medium reaction"``, ...).

        Returns
        -------
        numpy.ndarray
            The column of each id, in the order given.

        Raises
        ------
        UnknownReactionError
            Some ids are not reactions of the network (the message shows the first five).
        """
        position = {rid: i for i, rid in enumerate(self.reaction_ids)}
        missing = [rid for rid in reaction_ids if rid not in position]
        if missing:
            split = [f"{rid}{a}/{rid}{b}" for rid in missing for a, b in (("_for", "_rev"), ("_i", "_o"))
                     if f"{rid}{a}" in position]
            hint = f" (split in the unidirectional network: {id_list(split)})" if split else ""
            raise UnknownReactionError(f"model {self.model_id}: unknown {what} id(s) {id_list(missing)}{hint}")
        return np.array([position[rid] for rid in reaction_ids], dtype=int)

    def sha256(self) -> str:
        """Fingerprint of the network: ids, stoichiometry, bounds and objective.

        Datasets and trained models record it, so that they are never used with
        another network by mistake.

        Returns
        -------
        str
            The hex sha256 digest.
        """
        arrays = fba_arrays(self.model)
        S = arrays.S
        digest = hashlib.sha256()
        digest.update("\n".join(self.reaction_ids).encode())
        digest.update("\n".join(self.metabolite_ids).encode())
        for array in (S.indptr, S.indices, S.data):
            digest.update(np.ascontiguousarray(array).tobytes())
        # per reaction: lower, upper, objective ("+ 0.0" turns -0.0 into 0.0)
        digest.update(np.ascontiguousarray(np.column_stack([arrays.lower, arrays.upper, arrays.c]) + 0.0).tobytes())
        return digest.hexdigest()

    def recombine(self, fluxes: np.ndarray | pd.DataFrame) -> np.ndarray | pd.DataFrame:
        """Original-model fluxes from unidirectional ones.

        Parameters
        ----------
        fluxes : numpy.ndarray or pandas.DataFrame
            Samples x unidirectional reactions (a DataFrame is read by
            reaction id), or one vector.

        Returns
        -------
        numpy.ndarray or pandas.DataFrame
            The same shape over :attr:`original_ids`.
        """
        if isinstance(fluxes, pd.DataFrame):
            u = fluxes[self.reaction_ids].to_numpy(dtype=float)
            return pd.DataFrame(u @ self.recombination.T.toarray(), index=fluxes.index, columns=self.original_ids)
        u = np.asarray(fluxes, dtype=float)
        return (self.recombination @ u.T).T

    def matrices(self, medium=(), measured=None) -> NetworkMatrices:
        """The sparse matrices of the network.

        Parameters
        ----------
        medium : sequence of str, default ()
            Medium uptake ids (``Pin`` and the LP split).
        measured : sequence of str, optional
            Measured reaction ids (``Pout``); default: the objective reaction.

        Returns
        -------
        NetworkMatrices
        """
        return NetworkMatrices(self, medium=medium, measured=measured)

    def write_sbml(self, path: str | Path) -> Path:
        """Write the unidirectional model as SBML (origins kept in reaction notes).

        Parameters
        ----------
        path : str or Path

        Returns
        -------
        Path

        Raises
        ------
        ModelLoadError
            The file cannot be written.
        """
        return write_sbml(self.model, path)

    def summary(self) -> dict:
        """Counts that describe the conversion.

        Returns
        -------
        dict
            ``model``, ``original_reactions``, ``reactions``, ``metabolites``,
            ``genes``, ``reversible_split``, ``exchanges`` and ``objective``.
        """
        return {
            "model": self.model.id,
            "original_reactions": len(self.original_ids),
            "reactions": len(self.model.reactions),
            "metabolites": len(self.model.metabolites),
            "genes": len(self.model.genes),
            "reversible_split": len(self.split_ids),
            "exchanges": len(self.uptake_ids),
            "objective": self.objective,
        }


def _copy_metabolite(met: cobra.Metabolite) -> cobra.Metabolite:
    new = cobra.Metabolite(
        met.id, formula=met.formula, name=met.name, charge=met.charge, compartment=met.compartment
    )
    new.annotation = dict(met.annotation)
    new.notes = dict(met.notes)
    return new


def _part(
    reaction: cobra.Reaction,
    direction: str,
    sign: float,
    bounds: tuple[float, float],
    metabolites: dict[str, cobra.Metabolite],
    suffix: bool = True,
) -> cobra.Reaction:
    """One direction of ``reaction``: stoichiometry times ``sign``, non-negative ``bounds``."""
    lower, upper = bounds
    part = cobra.Reaction(
        f"{reaction.id}_{direction}" if suffix else reaction.id,
        name=reaction.name,
        subsystem=reaction.subsystem,
        lower_bound=lower,
        upper_bound=upper,
    )
    part.add_metabolites({metabolites[m.id]: sign * coef for m, coef in reaction.metabolites.items()})
    part.gene_reaction_rule = reaction.gene_reaction_rule
    part.annotation = dict(reaction.annotation)
    part.notes = {**reaction.notes, ORIGIN_NOTE: reaction.id, DIRECTION_NOTE: direction, SIGN_NOTE: f"{sign:g}"}
    return part


def _is_unidirectional(model: cobra.Model) -> bool:
    return len(model.reactions) > 0 and all(
        all(note in r.notes for note in (ORIGIN_NOTE, DIRECTION_NOTE, SIGN_NOTE)) for r in model.reactions
    )


def _from_notes(model: cobra.Model) -> UnidirectionalNetwork:
    """Rebuild the link to the original model from the notes of a written unidirectional model."""
    original_ids: list[str] = []
    row_of: dict[str, int] = {}
    rows, cols, vals = [], [], []
    uptakes, outflows, split = [], [], []
    for j, r in enumerate(model.reactions):
        origin, direction = r.notes[ORIGIN_NOTE], r.notes[DIRECTION_NOTE]
        if origin not in row_of:
            row_of[origin] = len(original_ids)
            original_ids.append(origin)
        if direction == "i":
            uptakes.append(r.id)
        elif direction == "o":
            outflows.append(r.id)
        elif direction == "rev":
            split.append(origin)
        rows.append(row_of[origin])
        cols.append(j)
        vals.append(float(r.notes[SIGN_NOTE]))
    recombination = sp.csr_matrix((vals, (rows, cols)), shape=(len(original_ids), len(model.reactions)))
    return UnidirectionalNetwork(model, original_ids, recombination, uptakes, outflows, split)


def make_unidirectional(source) -> UnidirectionalNetwork:
    """Convert a model to a unidirectional network.

    The source model is not modified.  A model that is already the output of
    this function (recognised by its reaction notes) is wrapped, not split again.

    Parameters
    ----------
    source : str, Path or cobra.Model
        A model file, a BiGG id of the data directory, ``textbook``, or a
        ``cobra.Model`` (see :func:`~amn.network.io.load_model`).

    Returns
    -------
    UnidirectionalNetwork

    Raises
    ------
    InputFileNotFoundError
        No such model file.
    ModelLoadError
        The model cannot be read or has no objective.

    Examples
    --------
    >>> net = make_unidirectional("textbook")
    >>> len(net.original_ids), len(net.reaction_ids), net.objective_id
    (95, 154, 'Biomass_Ecoli_core')
    """
    original = load_model(source)
    if _is_unidirectional(original):
        return _from_notes(original)
    exchanges = {r.id for r in original.exchanges}

    model = cobra.Model(f"{original.id}_unidirectional" if original.id else "unidirectional")
    model.name = original.name
    model.notes = dict(original.notes)
    model.annotation = dict(original.annotation)
    model.compartments = dict(original.compartments)
    metabolites = {m.id: _copy_metabolite(m) for m in original.metabolites}
    model.add_metabolites(list(metabolites.values()))

    parts: list[cobra.Reaction] = []
    rows, vals = [], []
    uptakes, outflows, split = [], [], []
    for i, r in enumerate(original.reactions):
        lb, ub = r.lower_bound, r.upper_bound
        # "+ 0.0" turns -0.0 into 0.0, so that bounds survive an SBML round trip bit for bit
        forward = (max(lb, 0.0) + 0.0, max(ub, 0.0) + 0.0)
        backward = (max(-ub, 0.0) + 0.0, max(-lb, 0.0) + 0.0)
        if r.id in exchanges:
            # the outflow is the direction that consumes the external metabolite
            coef = next(iter(r.metabolites.values()))
            out_sign = 1.0 if coef < 0 else -1.0
            out_bounds, in_bounds = (forward, backward) if coef < 0 else (backward, forward)
            new = [
                _part(r, "i", -out_sign, in_bounds, metabolites),
                _part(r, "o", out_sign, out_bounds, metabolites),
            ]
            signs = [-out_sign, out_sign]
            uptakes.append(new[0].id)
            outflows.append(new[1].id)
        elif lb < 0:
            new = [_part(r, "for", 1.0, forward, metabolites), _part(r, "rev", -1.0, backward, metabolites)]
            signs = [1.0, -1.0]
            split.append(r.id)
        else:
            new = [_part(r, "for", 1.0, (lb, ub), metabolites, suffix=False)]
            signs = [1.0]
        for part, sign in zip(new, signs):
            rows.append(i)
            vals.append(sign)
            parts.append(part)
    model.add_reactions(parts)
    for gene in model.genes:
        if gene.id in original.genes:
            source_gene = original.genes.get_by_id(gene.id)
            gene.name = source_gene.name
            gene.annotation = dict(source_gene.annotation)
    objective = objective_coefficients(original)
    model.objective = {
        p: sign * objective[original.reactions[row].id]
        for p, row, sign in zip(parts, rows, vals)
        if original.reactions[row].id in objective
    }
    model.objective_direction = original.objective_direction
    recombination = sp.csr_matrix((vals, (rows, range(len(parts)))), shape=(len(original.reactions), len(parts)))
    return UnidirectionalNetwork(model, [r.id for r in original.reactions], recombination, uptakes, outflows, split)


def ensure_network(source) -> UnidirectionalNetwork:
    """A :class:`UnidirectionalNetwork` from a network (returned as is), a model, a path or a model name.

    Parameters
    ----------
    source : UnidirectionalNetwork, cobra.Model, str or Path

    Returns
    -------
    UnidirectionalNetwork
    """
    return source if isinstance(source, UnidirectionalNetwork) else make_unidirectional(source)
