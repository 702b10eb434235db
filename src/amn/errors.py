"""Every exception type of the package.

Every error the command line reports without a traceback (bad input, and a
solver that refuses to run: :class:`SolverError`) derives from :class:`AMNError`
and carries a one-line message that names the offending file (or object) and
the problem, so the command line can print it as is and exit with status 2.
Each type also derives from the builtin exception it means (``ValueError``,
``KeyError``, ``FileNotFoundError``), as scikit-learn's ``NotFittedError``
does, so code that catches the builtin keeps working.
"""

from __future__ import annotations


class AMNError(Exception):
    """Base class of the errors reported in one line (bad input, a solver that refuses to run)."""


class InputFileNotFoundError(AMNError, FileNotFoundError):
    """A file named by the user does not exist."""


class ModelLoadError(AMNError, ValueError):
    """A metabolic model or a saved AMN could not be read: not SBML/JSON, no objective, corrupt weights."""


class UnknownReactionError(AMNError, KeyError):
    """Reaction ids that the model does not have (in a medium, a measured list, ...)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class UnknownGeneError(UnknownReactionError):
    """Knockouts naming ids that are neither genes nor reactions of the model."""


class MediumError(AMNError, ValueError):
    """A medium specification or medium table is malformed or infeasible."""


class DataError(AMNError, OSError):
    """A data file could not be located, downloaded or verified."""


class DatasetMismatchError(AMNError, ValueError):
    """A flux or training table does not fit the model it is used with (ids, NaNs, shapes)."""


class PlateReaderError(AMNError, ValueError):
    """A plate-reader file (curve table, layout, curation record) is missing or malformed."""


class ParameterError(AMNError, ValueError):
    """A parameter value outside its domain (a chunk size of 0, a probability above 1, ...)."""


class NotFittedError(AMNError, ValueError, AttributeError):
    """An estimator was used before ``fit`` (or ``load``)."""


class SolverError(AMNError, RuntimeError):
    """The LP solver refused to run (an option or a model it rejects): no answer, not an infeasible medium."""


def id_list(ids, shown: int = 5) -> str:
    """The first ``shown`` ids of a list, for a one-line message.

    Parameters
    ----------
    ids : iterable
        Ids (anything with a ``str``), in the order to show them.
    shown : int, default 5
        How many ids to write out; the rest are counted.

    Returns
    -------
    str
        ``"a, b, c"``, or ``"a, b, c, d, e and 7 more"`` past ``shown`` ids.

    Examples
    --------
    >>> id_list(["a", "b"])
    'a, b'
    >>> id_list(range(12))
    '0, 1, 2, 3, 4 and 7 more'
    """
    ids = [str(i) for i in ids]
    head = ", ".join(ids[:shown])
    return head if len(ids) <= shown else f"{head} and {len(ids) - shown} more"
