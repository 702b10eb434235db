"""Library errors name parameters (``per_medium``); on the command line they name the options typed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from amn.errors import ParameterError


@contextmanager
def option_names(**names: str) -> Iterator[None]:
    """Re-raise a :class:`~amn.errors.ParameterError` with each parameter name replaced by its option.

    ``names`` maps a parameter as library messages write it to the option, e.g.
    ``option_names(per_medium="--per-medium")``.
    """
    try:
        yield
    except ParameterError as exc:
        message = str(exc)
        for parameter, option in names.items():
            message = re.sub(rf"(?<![\w-]){re.escape(parameter)}(?![\w-])", option, message)
        raise ParameterError(message) from None
