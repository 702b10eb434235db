"""Reading user CSV files with the package's one-line errors (file name and problem)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from amn.errors import AMNError, InputFileNotFoundError


def read_csv(path: str | Path, error: type[AMNError], what: str = "CSV table", **options) -> pd.DataFrame:
    """``pd.read_csv(path, **options)`` with one-line errors that name the file.

    Parameters
    ----------
    path : str or Path
        The CSV file.
    error : type of AMNError
        The error raised when the file exists but cannot be read as a table
        (e.g. :class:`~amn.errors.MediumError` for a medium file).
    what : str, default "CSV table"
        What the file should be, for the message (``"<path>: not a <what> (...)"``).
    **options
        Passed to :func:`pandas.read_csv`.

    Returns
    -------
    pandas.DataFrame
        The table.

    Raises
    ------
    InputFileNotFoundError
        The file does not exist.
    AMNError
        ``error``, when the file is not readable text or not a table.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileNotFoundError(f"{path}: no such file")
    try:
        return pd.read_csv(path, **options)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise error(f"{path}: not a {what} ({str(exc).splitlines()[0]})") from None
