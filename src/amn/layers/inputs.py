"""What a layer is built from: the network's matrices with a medium, the objective, the input mode."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from amn.errors import ParameterError
from amn.network.matrices import NetworkMatrices

#: What a medium input means: ``"UB"`` uptake upper bounds, ``"EB"`` exact uptake fluxes.
BOUNDS = ("UB", "EB")


def check_bound(bound: str) -> str:
    """Check a medium-input mode, as every layer and the loss do.

    Parameters
    ----------
    bound : str
        ``"UB"`` (the inputs are uptake upper bounds) or ``"EB"`` (exact uptake fluxes).

    Returns
    -------
    str
        ``bound``, unchanged.

    Raises
    ------
    ParameterError
        If ``bound`` is neither (a ``ValueError``).

    Examples
    --------
    >>> check_bound("EB")
    'EB'
    >>> check_bound("XB")
    Traceback (most recent call last):
    ...
    amn.errors.ParameterError: bound must be 'UB' (uptake upper bounds) or 'EB' (exact uptakes), got 'XB'
    """
    if bound not in BOUNDS:
        raise ParameterError(f"bound must be 'UB' (uptake upper bounds) or 'EB' (exact uptakes), got {bound!r}")
    return bound


def as_matrices(source, medium: Sequence[str] | None) -> NetworkMatrices:
    """The :class:`~amn.network.matrices.NetworkMatrices` a layer is built on.

    Parameters
    ----------
    source : NetworkMatrices or UnidirectionalNetwork
        Matrices (kept as they are) or a unidirectional network.
    medium : sequence of str, optional
        Medium uptake ids, with a network only.

    Returns
    -------
    NetworkMatrices

    Raises
    ------
    ValueError
        If the medium is given twice or is empty, or ``source`` is neither type.
    """
    if isinstance(source, NetworkMatrices):
        if medium is not None and list(medium) != source.medium:
            raise ValueError("medium given twice: pass either matrices built with the medium, or a network and medium")
        matrices = source
    elif hasattr(source, "matrices"):
        matrices = source.matrices(medium=list(medium or ()))
    else:
        raise ValueError(f"expected NetworkMatrices or UnidirectionalNetwork, got {type(source).__name__}")
    if not len(matrices.medium):
        raise ValueError("a mechanistic layer needs the medium uptake reactions (medium=[...])")
    return matrices


def objective_vector(matrices: NetworkMatrices, objective) -> np.ndarray:
    """The objective ``c`` of a layer.

    Parameters
    ----------
    matrices : NetworkMatrices
    objective : bool, None or array_like
        True: the model's objective; False or None: zero (learning mode); else a length-n vector.

    Returns
    -------
    numpy.ndarray
        Length n, float.

    Raises
    ------
    ValueError
        If a vector does not have one entry per reaction.
    """
    n = len(matrices.reaction_ids)
    if objective is True:
        return matrices.objective.astype(float)
    if objective is None or objective is False:
        return np.zeros(n)
    c = np.asarray(objective, dtype=float).ravel()
    if c.shape != (n,):
        raise ValueError(f"objective has {c.size} entries, the network has {n} reactions")
    return c
