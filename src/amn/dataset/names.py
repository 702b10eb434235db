"""Names in experimental tables mapped to what they name in a model.

Tables name things as their authors do: extracellular metabolites (``glc__D_e``), exchange
reactions (``EX_glc__D_e``), unidirectional uptakes (``EX_glc__D_e_i``), SBML ids (``R_PGI``),
directions (``R_PGI_fwd``, ``_rev``), measurements (``EX_ac_e_i_MEASURE``), genes by locus tag
(``b4025``) or by name (``pgi``), and user mapping files (``column,id``).  :func:`resolve` maps one name
to what it names in a model (:class:`ModelIds`); :mod:`amn.dataset.columns` gives every column a role.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from amn.errors import DatasetMismatchError

_DIRECTION = re.compile(r"^(?P<base>.+)_(?P<dir>fwd|for|rev)$")
_UNIT = re.compile(r"^(?P<name>.*?)(?:\s*[\[(]\s*(?P<u1>mM|mmol/gDW/h)\s*[\])]|_(?P<u2>mM))$", re.IGNORECASE)
#: Unit hints of composition column names and the composition they say.
UNITS = {"mm": "concentration", "mmol/gdw/h": "bounds"}


def split_unit(name: str) -> tuple[str, str | None]:
    """A column name without its unit hint, and the composition the hint says (or None).

    Recognised: ``glc__D_e (mM)``, ``glc__D_e [mM]``, ``glc__D_e_mM`` (concentration) and
    ``EX_glc__D_e_i (mmol/gDW/h)`` (bounds).

    Examples
    --------
    >>> split_unit("glc__D_e (mM)"), split_unit("glc__D_e_mM"), split_unit("EX_glc__D_e_i [mmol/gDW/h]")
    (('glc__D_e', 'concentration'), ('glc__D_e', 'concentration'), ('EX_glc__D_e_i', 'bounds'))
    >>> split_unit("GR_AVG")
    ('GR_AVG', None)
    """
    match = _UNIT.match(str(name))
    if not match:
        return str(name), None
    unit = (match["u1"] or match["u2"]).lower()
    return match["name"], UNITS[unit]


def flux_named(name: str) -> bool:
    """Whether a name marks a flux measurement: ``R_`` prefix, ``_fwd``/``_for``/``_rev``/``_MEASURE`` suffix.

    Examples
    --------
    >>> [flux_named(n) for n in ["R_PGI", "PGI_fwd", "EX_ac_e_i_MEASURE", "EX_glc__D_e_i", "glc__D_e", "AlsR"]]
    [True, True, True, False, False, False]
    """
    name = str(name)
    return name.startswith("R_") or name.endswith("_MEASURE") or bool(_DIRECTION.match(name))


@dataclass(frozen=True)
class ModelIds:
    """The ids a column name may resolve to in one model (build with :meth:`from_network`).

    Attributes
    ----------
    model_id : str
    uptakes : frozenset of str
        Unidirectional uptake ids (``EX_..._i``).
    reactions : frozenset of str
        Unidirectional reaction ids.
    origin : dict
        Unidirectional id -> original (reversible) reaction id.
    parts : dict
        Original id -> ``{"for": id, "rev": id}``: the part whose flux counts positively (``for``) or
        negatively (``rev``) in the original reaction's flux (for an exchange ``A <=>``: ``_o``, ``_i``).
    exchange_uptake : dict
        Original exchange id -> its uptake id.
    metabolite_uptake : dict
        Extracellular metabolite id -> the uptake of its exchange.
    genes : frozenset of str
    gene_names : dict
        Gene name -> gene id, for names that one gene has.
    """

    model_id: str
    uptakes: frozenset
    reactions: frozenset
    origin: dict
    parts: dict
    exchange_uptake: dict
    metabolite_uptake: dict
    genes: frozenset
    gene_names: dict = field(default_factory=dict)

    @classmethod
    def from_network(cls, network) -> ModelIds:
        """The ids of a :class:`~amn.network.UnidirectionalNetwork`."""
        R = network.recombination.tocsc()
        origin, parts = {}, {}
        for j, uid in enumerate(network.reaction_ids):
            rows, signs = R.indices[R.indptr[j]:R.indptr[j + 1]], R.data[R.indptr[j]:R.indptr[j + 1]]
            original = network.original_ids[int(rows[0])]
            origin[uid] = original
            parts.setdefault(original, {})["for" if signs[0] > 0 else "rev"] = uid
        exchange_uptake, metabolite_uptake = {}, {}
        for uid in network.uptake_ids:
            exchange_uptake[origin[uid]] = uid
            metabolites = network.model.reactions.get_by_id(uid).metabolites
            if len(metabolites) == 1:
                metabolite_uptake[next(iter(metabolites)).id] = uid
        names: dict[str, list[str]] = {}
        for gene in network.model.genes:
            if gene.name and gene.name != gene.id:
                names.setdefault(gene.name, []).append(gene.id)
        return cls(
            model_id=network.model_id, uptakes=frozenset(network.uptake_ids), reactions=frozenset(network.reaction_ids),
            origin=origin, parts=parts, exchange_uptake=exchange_uptake, metabolite_uptake=metabolite_uptake,
            genes=frozenset(g.id for g in network.model.genes),
            gene_names={name: ids[0] for name, ids in names.items() if len(ids) == 1},
        )


@dataclass(frozen=True)
class Resolved:
    """What a column name names in a model.

    Attributes
    ----------
    kind : {"uptake", "reaction", "gene"}
    id : str
        Uptake id (``EX_..._i``), reaction id (unidirectional, e.g. ``PGI_for``, or original, e.g.
        ``PGI`` or ``EX_ac_e`` for the net flux), or gene id.
    uptake : str or None
        The uptake id a medium column of this name means (an uptake, an exchange or its metabolite).
    flux_named : bool
        The name (after a user mapping) marks a flux measurement (:func:`flux_named`).
    """

    kind: str
    id: str
    uptake: str | None = None
    flux_named: bool = False


def _lookup(name: str, ids: ModelIds, flux: bool) -> Resolved | None:
    if name in ids.uptakes:
        return Resolved("uptake", name, name, flux)
    if name in ids.reactions:
        return Resolved("reaction", name, None, flux)
    if name in ids.exchange_uptake:
        return Resolved("reaction", name, ids.exchange_uptake[name], flux)
    if name in ids.parts:  # an original reversible reaction (its net flux)
        return Resolved("reaction", name, None, flux)
    direction = _DIRECTION.match(name)
    if direction and direction["base"] in ids.parts:
        part = ids.parts[direction["base"]].get("rev" if direction["dir"] == "rev" else "for")
        if part is not None:
            return Resolved("uptake" if part in ids.uptakes else "reaction", part,
                            part if part in ids.uptakes else None, True)
    if name in ids.metabolite_uptake:
        return Resolved("uptake", ids.metabolite_uptake[name], ids.metabolite_uptake[name], flux)
    if name in ids.genes:
        return Resolved("gene", name, None, flux)
    if name in ids.gene_names:
        return Resolved("gene", ids.gene_names[name], None, flux)
    return None


def resolve(name: str, ids: ModelIds | None, mapping: Mapping[str, str] | None = None) -> Resolved | None:
    """What a column name names in the model: an uptake, a reaction or a gene (None: nothing).

    A user ``mapping`` (column -> id) is applied first; the id it gives is resolved by the same rules.
    Tried in order: the name as is, without a ``_MEASURE`` suffix, without an ``R_`` / ``M_`` / ``G_``
    prefix; each as an uptake id, a unidirectional reaction id, an exchange id (its uptake for a medium
    column, its net flux for a target), an original reaction id, a reaction with a direction suffix
    (``_fwd`` = ``_for``, ``_rev``: the part of that direction, ``_i``/``_o`` for an exchange), an
    extracellular metabolite (the uptake of its exchange), a gene id, a gene name.

    Parameters
    ----------
    name : str
        The column name (a unit hint, :func:`split_unit`, already removed).
    ids : ModelIds or None
        None (no model): nothing resolves.
    mapping : mapping of str to str, optional
        The user's mapping file.

    Returns
    -------
    Resolved or None

    Examples
    --------
    >>> from amn.network import make_unidirectional
    >>> ids = ModelIds.from_network(make_unidirectional("textbook"))
    >>> [resolve(n, ids).id for n in ["glc__D_e", "EX_glc__D_e", "EX_glc__D_e_i", "R_PGI_fwd", "R_PFK", "pgi"]]
    ['EX_glc__D_e_i', 'EX_glc__D_e', 'EX_glc__D_e_i', 'PGI_for', 'PFK', 'b4025']
    >>> r = resolve("R_EX_o2_e_rev", ids); (r.kind, r.id, r.flux_named)
    ('uptake', 'EX_o2_e_i', True)
    >>> resolve("EX_ac_e", ids).uptake, resolve("EX_ac_e_i_MEASURE", ids).id, resolve("AlsR", ids)
    ('EX_ac_e_i', 'EX_ac_e_i', None)
    >>> resolve("R_GLUt2r_fwd", ids, {"R_GLUt2r_fwd": "EX_glc__D_e_i"}).id
    'EX_glc__D_e_i'
    """
    name = str(mapping.get(name, name) if mapping else name)
    if ids is None:
        return None
    flux = flux_named(name)
    candidates = [name]
    if name.endswith("_MEASURE"):
        candidates.append(name[: -len("_MEASURE")])
    for candidate in list(candidates):
        for prefix in ("R_", "M_", "G_"):
            if candidate.startswith(prefix):
                candidates.append(candidate[len(prefix):])
    for candidate in candidates:
        found = _lookup(candidate, ids, flux)
        if found is not None:
            return found
    return None


def original_reaction(resolved: Resolved, ids: ModelIds) -> str:
    """The original (reversible) reaction a resolved reaction or uptake id belongs to."""
    return ids.origin.get(resolved.id, resolved.id)


def read_mapping(path, columns: Sequence, source: str) -> dict[str, str]:
    """A user mapping file (CSV with a header ``column,id``) as column -> id, checked against the table.

    Parameters
    ----------
    path : str or Path
    columns : sequence
        The table's columns.
    source : str
        The table, for the message.

    Raises
    ------
    DatasetMismatchError
        No ``column``/``id`` header, an empty id, a column mapped twice, or no entry naming a column
        of the table (one line, naming the mapping file).
    """
    from amn.csv_input import read_csv

    frame = read_csv(path, DatasetMismatchError, what="mapping table (header column,id)", dtype=str,
                     keep_default_na=False)
    if list(frame.columns[:2]) != ["column", "id"]:
        raise DatasetMismatchError(f"{path}: a mapping file has the header 'column,id' (got {', '.join(frame.columns[:2])})")
    mapping: dict[str, str] = {}
    for i, (column, target) in enumerate(zip(frame["column"].str.strip(), frame["id"].str.strip())):
        if not column or not target:
            raise DatasetMismatchError(f"{path}: row {i + 1}: empty column or id")
        if column in mapping:
            raise DatasetMismatchError(f"{path}: column {column} is mapped twice")
        mapping[column] = target
    named = set(map(str, columns))
    if not any(c in named for c in mapping):
        raise DatasetMismatchError(
            f"{path}: names no column of {source} (it maps {', '.join(list(mapping)[:3])}"
            f"{', ...' if len(mapping) > 3 else ''})")
    return mapping


def check_mapping(mapping: Mapping[str, str], ids: ModelIds | None, path) -> None:
    """Every id of a mapping file resolves in the model (a mapping to nothing is a typo)."""
    if ids is None:
        return
    for i, (column, target) in enumerate(mapping.items()):
        if resolve(target, ids) is None:
            raise DatasetMismatchError(
                f"{path}: row {i + 1}: {target} (for column {column}) is no uptake, reaction, metabolite or gene of "
                f"model {ids.model_id}")


def model_columns(table: pd.DataFrame, network, medium_ids: Sequence[str], source: str, mapping_file=None,
                  units: bool = False) -> tuple[pd.DataFrame, dict[str, str]]:
    """A media table's columns renamed to the ids a trained model takes, as its authors named them.

    A column that names one of ``medium_ids`` another way (its exchange ``EX_glc__D_e``, the
    metabolite ``glc__D_e``, ``R_EX_glc__D_e_rev``, a mapping entry: :func:`resolve`) takes that
    id; ``KO:<name>`` takes the gene id of a gene name or a mapping entry (``KO:pgi`` ->
    ``KO:b4025``).  Other columns are left as they are, for the table's reader to judge.

    Parameters
    ----------
    table : pandas.DataFrame
        One medium per row.
    network : UnidirectionalNetwork
        The model's network.
    medium_ids : sequence of str
        The uptakes the model takes.
    source : str
        Names the table in messages.
    mapping_file : str or Path, optional
        The user's mapping file (:func:`read_mapping`, checked by :func:`check_mapping`); a ``KO:``
        column maps by its gene part.
    units : bool, default False
        A column's unit hint (``glc__D_e (mM)``, :func:`split_unit`) is dropped before it is resolved:
        for readers to whom a value only says present or absent.  Without it only a bounds hint
        (``glc__D_e (mmol/gDW/h)``) is, and a concentration column of an uptake is refused: its values
        are not the uptake bounds the model takes.

    Returns
    -------
    (pandas.DataFrame, dict)
        The renamed table, and {column: id} of the columns renamed.

    Raises
    ------
    DatasetMismatchError
        Two columns name the same uptake or gene; a concentration column of an uptake (without
        ``units``); a mapping file as :func:`read_mapping` and :func:`check_mapping` refuse it.

    Examples
    --------
    >>> from amn.network import make_unidirectional
    >>> table = pd.DataFrame({"glc__D_e": [10.0], "EX_o2_e": [20.0], "KO:pgi": [1], "note": ["x"]})
    >>> model_columns(table, make_unidirectional("textbook"), ["EX_glc__D_e_i", "EX_o2_e_i"], "t.csv")[1]
    {'glc__D_e': 'EX_glc__D_e_i', 'EX_o2_e': 'EX_o2_e_i', 'KO:pgi': 'KO:b4025'}
    """
    from amn.network.knockouts import KO_PREFIX  # the network package imports PyTorch: not for the other readers

    ids = ModelIds.from_network(network)
    mapping = None
    if mapping_file is not None:
        mapping = read_mapping(mapping_file, [str(c).removeprefix(KO_PREFIX) for c in table.columns], source)
        check_mapping(mapping, ids, mapping_file)
    accepted = set(medium_ids)
    renamed: dict[str, str] = {}
    for column in map(str, table.columns):
        if column in accepted:
            continue
        if column.startswith(KO_PREFIX):
            name = column[len(KO_PREFIX):]
            found = resolve(name, ids, mapping)
            if found is not None and found.kind == "gene" and found.id != name:
                renamed[column] = KO_PREFIX + found.id
            continue
        name, unit = split_unit(column)
        found = resolve(name, ids, mapping)
        if found is None or found.uptake not in accepted:
            continue
        if unit == "concentration" and not units:
            raise DatasetMismatchError(f"{source}: column {column}: a concentration (mM), but the model takes uptake "
                                       f"bounds (mmol/gDW/h) for {found.uptake}")
        renamed[column] = found.uptake
    named: dict[str, str] = {}
    for column in map(str, table.columns):
        target = renamed.get(column, column)
        if target in named:
            raise DatasetMismatchError(f"{source}: columns {named[target]} and {column} both name {target}")
        named[target] = column
    return table.rename(columns=renamed), renamed
