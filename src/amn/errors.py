"""Exception types of the public API.

Every error caused by user input derives from :class:`AMNError` and carries a
one-line message that names the offending file (or object) and the problem, so
the command line can print it as is and exit with status 2.
"""

from __future__ import annotations


class AMNError(Exception):
    """Base class for errors caused by bad input; the message is one line."""


class ModelLoadError(AMNError):
    """A metabolic model could not be read: missing file, not SBML/JSON, no objective."""


class UnknownReactionError(AMNError, KeyError):
    """Reaction ids that the model does not have (in a medium, a measured list, ...)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class UnknownGeneError(UnknownReactionError):
    """Knockouts naming ids that are neither genes nor reactions of the model."""


class MediumError(AMNError):
    """A medium specification or medium table is malformed or infeasible."""


class DataError(AMNError):
    """A data file could not be located, downloaded or verified."""


class DatasetMismatchError(AMNError):
    """A flux or training table does not fit the model it is used with (ids, NaNs, shapes)."""
