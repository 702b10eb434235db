"""What a model's torch module takes and is trained against (media, knockouts and targets as arrays),
and the check of what it returns (a NaN prediction is an error, never a result).

The estimator calls these with its fitted ids (:meth:`AMNRegressor.module_inputs
<amn.models.AMNRegressor.module_inputs>`); ``fit`` calls them with the ids it is
about to fit, before anything of the estimator is set.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from amn.errors import DatasetMismatchError, ModelLoadError, id_list
from amn.network import Knockouts
from amn.network.knockouts import KO_PREFIX, indicator_genes, parse_knockouts


def encode_inputs(X, medium: Sequence[str], genes: Sequence[str], knockouts: Knockouts, mask: bool,
                  extra=None, mask_columns: np.ndarray | None = None) -> np.ndarray:
    """Module inputs for media ``X``: the medium, then with knockouts the indicators and the flux mask.

    Parameters
    ----------
    X : DataFrame or array-like
        Media (samples x medium uptakes); a DataFrame may carry ``KO:<gene>`` columns, an array
        the indicator columns of ``genes`` after the medium.
    medium : sequence of str
        The model's medium uptake ids.
    genes : sequence of str
        The genes with an indicator input (seen knocked out in training).
    knockouts : Knockouts
        The network's knockouts, for the mask of the fluxes the knocked-out ids remove.
    mask : bool
        Append that mask (architectures with a mechanistic layer).
    extra : sequence, optional
        Per-sample knocked-out gene or reaction ids (iterables or ``;``-separated strings).
    mask_columns : numpy.ndarray, optional
        The columns of the mask to keep: the reactions of a reduced network
        (:mod:`amn.models.reduction`) in the full network of ``knockouts``.

    Returns
    -------
    numpy.ndarray
        ``[medium, indicators, mask]`` (samples x columns); the medium alone without knockouts.

    Raises
    ------
    DatasetMismatchError
        Missing medium columns, a wrong number of columns or knockout sets, NaN or infinite values, or
        (without ``mask``) a knockout of a gene that has no indicator input.
    """
    n_in = len(medium)
    flags, flag_genes = None, list(genes)
    if isinstance(X, pd.DataFrame):
        missing = [c for c in medium if c not in X.columns]
        if missing:
            raise DatasetMismatchError(f"inputs lack medium column(s) {id_list(missing)}")
        flag_columns = [c for c in X.columns if str(c).startswith(KO_PREFIX)]
        flags, flag_genes = X[flag_columns].to_numpy(dtype=float), indicator_genes(flag_columns)
        X = X[list(medium)]
    X = np.asarray(X, dtype=float)
    if genes and X.ndim == 2 and X.shape[1] == n_in + len(genes):
        X, flags = X[:, :n_in], X[:, n_in:]
    if X.ndim != 2 or X.shape[1] != n_in:
        raise DatasetMismatchError(f"inputs have {X.shape[-1]} columns, the model expects {n_in} medium uptakes"
                                   + (f" (+ {len(genes)} knockout indicators)" if genes else ""))
    if not np.isfinite(X).all() or (flags is not None and not np.isfinite(flags).all()):
        raise DatasetMismatchError("inputs contain NaN or infinite values")
    sets = [set() for _ in range(len(X))]
    if flags is not None:
        for i, j in np.argwhere(flags != 0):
            sets[i].add(flag_genes[j])
    if extra is not None:
        extra = parse_knockouts(extra)
        if len(extra) != len(X):
            raise DatasetMismatchError(f"{len(extra)} knockout sets for {len(X)} input rows")
        for s, more in zip(sets, extra):
            s |= more
    if not mask:  # no layer to hold what a knockout removes: only the indicator inputs can apply it
        unseen = sorted({g for s in sets for g in s} - set(genes))
        if unseen:
            raise DatasetMismatchError(f"knockout(s) {id_list(unseen)}: the model has no knockout input for them (it "
                                       "has no mechanistic layer to remove their reactions, and was trained on "
                                       + (f"knockouts of {id_list(genes)} only)" if genes else "no knockouts)"))
    if not genes and not any(sets):
        return X
    position = {g: j for j, g in enumerate(genes)}
    indicators = np.zeros((len(X), len(genes)))
    for i, s in enumerate(sets):
        indicators[i, [position[g] for g in s if g in position]] = 1.0
    parts = [X, indicators]
    if mask:
        flux_mask = knockouts.mask(sets)
        parts.append(flux_mask if mask_columns is None else flux_mask[:, mask_columns])
    return np.hstack(parts)


def encode_targets(y, measured: Sequence[str]) -> np.ndarray:
    """Measured fluxes ``y`` (a flux table or an array) as a samples x ``len(measured)`` array.

    Raises
    ------
    DatasetMismatchError
        Missing measured columns, a wrong number of columns, NaN or infinite values.
    """
    if isinstance(y, pd.DataFrame):
        missing = [c for c in measured if c not in y.columns]
        if missing:
            raise DatasetMismatchError(f"targets lack measured column(s) {id_list(missing)}")
        y = y[list(measured)]
    y = np.asarray(y, dtype=float).reshape(len(y), -1)
    if y.shape[1] != len(measured):
        raise DatasetMismatchError(f"targets have {y.shape[1]} columns, {len(measured)} measured fluxes expected")
    if not np.isfinite(y).all():
        raise DatasetMismatchError("targets contain NaN or infinite values")
    return y


def check_outputs(outputs: np.ndarray, module, arch: str, directory: str | None = None) -> np.ndarray:
    """``outputs`` of ``module`` if every value is finite; a NaN prediction is an error, never a result.

    Parameters
    ----------
    outputs : numpy.ndarray
        What the module returned (samples x outputs).
    module : torch.nn.Module
        The module, whose parameters and buffers are checked when an output is not finite.
    arch : str
        The model's architecture, for messages.
    directory : str, optional
        The model directory it was loaded from, for messages.

    Returns
    -------
    numpy.ndarray
        ``outputs``, unchanged.

    Raises
    ------
    ModelLoadError
        An output is NaN or infinite and so is a weight of the module.
    DatasetMismatchError
        An output is NaN or infinite with finite weights (inputs far outside the
        range the model was trained on, or weights too large); the message gives
        the first row (1 = first input row) and how many rows are affected.

    Examples
    --------
    >>> import torch
    >>> check_outputs(np.ones((2, 1)), torch.nn.Linear(1, 1), "ann-dense").shape
    (2, 1)
    >>> check_outputs(np.array([[1.0], [np.nan]]), torch.nn.Linear(1, 1), "ann-dense", "runs/m")
    Traceback (most recent call last):
    ...
    amn.errors.DatasetMismatchError: model runs/m (ann-dense): the prediction of row 2 (1 of 2 rows) is NaN ...
    """
    name = f"model {directory} ({arch})" if directory else f"{arch} model"
    finite = np.isfinite(outputs).reshape(len(outputs), -1).all(axis=1)
    if finite.all():
        return outputs
    rows = np.flatnonzero(~finite)
    tensors = [*module.parameters(), *module.buffers()]
    bad = [t for t in tensors if t.is_floating_point() and not bool(t.isfinite().all())]
    if bad:
        raise ModelLoadError(f"{name}: weights contain NaN or infinite values; its predictions are NaN")
    raise DatasetMismatchError(
        f"{name}: the prediction of row {rows[0] + 1} ({len(rows)} of {len(outputs)} rows) is NaN or infinite; "
        "the inputs are far outside the range the model was trained on, or its weights are corrupt"
    )
