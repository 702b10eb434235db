"""Composition columns of a table checked against the uptakes a model (or a medium) has.

Experimental tables carry other columns beside their compositions (replicates
``GR_1`` .. ``GR_8``, ``GR_AVG``, ``GR_STD``, an index, notes), so a column that
is not an uptake cannot simply be refused.  A column that *looks like a
reaction id* and is not an accepted uptake is a mistake (a typo, another
model's id, the reversible id without ``_i``), and used to be silently
ignored: it is refused, with a did-you-mean where a close id exists.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from amn.errors import AMNError, UnknownReactionError, id_list

#: Prefixes of exchange reaction ids (BiGG ``EX_``, SBML ``R_EX_``).
EXCHANGE_PREFIXES = ("EX_", "R_EX_")
#: Suffixes of unidirectional uptakes / outflows (``_i``, ``_o``) and of extracellular ids (``_e``).
EXCHANGE_SUFFIXES = ("_i", "_o", "_e")


def looks_like_reaction(column, reactions: Iterable[str] = ()) -> bool:
    """Whether a column name looks like an exchange or uptake reaction id, or is one of ``reactions``.

    Parameters
    ----------
    column : str
        A column name.
    reactions : iterable of str, optional
        Reaction ids of the model (any of them counts).

    Returns
    -------
    bool

    Examples
    --------
    >>> [looks_like_reaction(c) for c in ["EX_glc__D_e_i", "glc_e", "GR_AVG", "GR_1", "note"]]
    [True, True, False, False, False]
    >>> looks_like_reaction("PGI_for", ["PGI_for"])
    True
    """
    name = str(column)
    return name.startswith(EXCHANGE_PREFIXES) or name.endswith(EXCHANGE_SUFFIXES) or name in set(reactions)


def unaccepted_columns(columns: Iterable, accepted: Iterable[str], reactions: Iterable[str] = ()) -> list[str]:
    """The columns that look like reaction ids (:func:`looks_like_reaction`) but are not ``accepted``.

    Parameters
    ----------
    columns : iterable
        Column names of a table.
    accepted : iterable of str
        The uptake ids a composition column may name.
    reactions : iterable of str, optional
        Every reaction id of the model.

    Returns
    -------
    list of str
        In table order.

    Examples
    --------
    >>> unaccepted_columns(["EX_glc__D_e_i", "EX_nothing_e_i", "GR_AVG"], ["EX_glc__D_e_i"])
    ['EX_nothing_e_i']
    """
    accepted, reactions = set(accepted), set(reactions)
    return [str(c) for c in columns if str(c) not in accepted and looks_like_reaction(c, reactions)]


def suggestion(column: str, accepted: Sequence[str]) -> str | None:
    """The accepted id a mistyped column most likely means, or None.

    ``<column>_i`` when that is accepted (a table naming the reversible
    exchange instead of its uptake), else the closest accepted id.

    Examples
    --------
    >>> suggestion("EX_glc__D_e", ["EX_glc__D_e_i", "EX_fru_e_i"])
    'EX_glc__D_e_i'
    >>> suggestion("EX_glc_D_e_i", ["EX_glc__D_e_i", "EX_fru_e_i"])
    'EX_glc__D_e_i'
    >>> suggestion("EX_nothing_e_i", ["EX_glc__D_e_i"]) is None
    True
    """
    if f"{column}_i" in accepted:
        return f"{column}_i"
    close = difflib.get_close_matches(column, list(accepted), n=1, cutoff=0.85)
    return close[0] if close else None


def check_composition_columns(
    columns: Iterable,
    accepted: Sequence[str],
    source: str,
    where: str,
    reactions: Iterable[str] = (),
    error: type[AMNError] = UnknownReactionError,
) -> None:
    """Refuse columns that look like reaction ids but are not accepted uptakes, in one line.

    Parameters
    ----------
    columns : iterable
        Column names of the table.
    accepted : sequence of str
        The uptake ids a composition column may name.
    source : str
        Names the table (its file) in the message.
    where : str
        What ``accepted`` are the uptakes of, for the message (``"model e_coli_core"``).
    reactions : iterable of str, optional
        Every reaction id of the model: such a column is refused too, and said
        to be a reaction that is not an uptake.
    error : type of AMNError, default UnknownReactionError

    Raises
    ------
    AMNError
        ``error``, naming the file, the column(s) and, where one is close, the id meant.

    Examples
    --------
    >>> check_composition_columns(["EX_glc__D_e_i", "GR_AVG"], ["EX_glc__D_e_i"], "t.csv", "model m")
    >>> check_composition_columns(["EX_glc__D_e"], ["EX_glc__D_e_i"], "t.csv", "model m")
    Traceback (most recent call last):
    ...
    amn.errors.UnknownReactionError: t.csv: column EX_glc__D_e is not an uptake of model m; did you mean ...?
    """
    reactions = set(reactions)
    bad = unaccepted_columns(columns, accepted, reactions)
    if not bad:
        return
    if len(bad) == 1:
        named = f"column {bad[0]} is not an uptake of {where}"
        if bad[0] in reactions:
            named += " (it is another reaction of the model)"
    else:
        named = f"columns {id_list(bad)} are not uptakes of {where}"
    hints = [(c, s) for c in bad if (s := suggestion(c, accepted)) is not None]
    if hints:
        column, meant = hints[0]
        named += f"; did you mean {meant}" + ("" if len(bad) == 1 else f" for {column}")
        named += " (tables name the unidirectional uptake reactions)?" if meant == f"{column}_i" else "?"
    raise error(f"{source}: {named}")
