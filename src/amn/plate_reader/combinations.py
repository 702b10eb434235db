"""Design of experiments: every medium with exactly K of the candidate compounds, in a reproducible random order.

The output has the layout of the ``compositions_<k>comps.csv`` design files:
an unnamed index column numbered from 1, then one 0/1 column per compound.
"""

from __future__ import annotations

from itertools import combinations
from math import comb

import numpy as np
import pandas as pd

from amn.errors import MediumError, ParameterError, id_list


def parse_compounds(text: str) -> list[str]:
    """Compound ids from a comma-separated list.

    Parameters
    ----------
    text : str
        E.g. ``"EX_glc__D_e_i, EX_ac_e_i"`` (spaces around ids are dropped).

    Returns
    -------
    list of str

    Raises
    ------
    MediumError
        An empty or a repeated id (the message names the parameter ``compounds``).

    Examples
    --------
    >>> parse_compounds("EX_glc__D_e_i, EX_ac_e_i")
    ['EX_glc__D_e_i', 'EX_ac_e_i']
    """
    compounds = [item.strip() for item in text.split(",")]
    if not compounds or any(not c for c in compounds):
        raise MediumError(f"compounds {text!r}: give a comma-separated list of non-empty compound ids")
    repeated = sorted({c for c in compounds if compounds.count(c) > 1})
    if repeated:
        raise MediumError(f"compounds: repeated compound(s) {id_list(repeated)}")
    return compounds


def combinations_design(compounds: list[str], k: int, seed: int) -> pd.DataFrame:
    """All C(n, k) media with exactly ``k`` of the ``n`` compounds present, in a shuffled order.

    Parameters
    ----------
    compounds : list of str
        The candidate compounds (the columns).
    k : int
        Compounds present in each medium, from 1 to ``len(compounds)``.
    seed : int
        Seed of ``numpy.random.default_rng``, which shuffles the rows.

    Returns
    -------
    pandas.DataFrame
        C(n, k) rows of 0/1, index numbered from 1.

    Raises
    ------
    ParameterError
        ``k`` is outside [1, n].

    Examples
    --------
    >>> combinations_design(["a", "b", "c"], 2, seed=0).sum(axis=1).tolist()
    [2, 2, 2]
    """
    n = len(compounds)
    if not 1 <= k <= n:
        raise ParameterError(f"k = {k}: must be between 1 and the number of compounds ({n})")
    presence = np.zeros((comb(n, k), n), dtype=int)
    for row, chosen in enumerate(combinations(range(n), k)):
        presence[row, list(chosen)] = 1
    presence = presence[np.random.default_rng(seed).permutation(len(presence))]
    return pd.DataFrame(presence, columns=compounds, index=pd.RangeIndex(1, len(presence) + 1))
