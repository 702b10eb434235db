"""Reading user tables, CSV or Excel, with the package's one-line errors (file name and problem)."""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

import pandas as pd

from amn.errors import AMNError, InputFileNotFoundError, id_list

#: Options of :func:`pandas.read_csv` that change where the header row is or how it is split.
_HEADER_OPTIONS = ("sep", "delimiter", "encoding", "quotechar", "escapechar", "comment", "skiprows",
                   "skip_blank_lines", "skipinitialspace")
#: Spreadsheets read by :func:`read_csv` (their first sheet, through openpyxl).
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
#: Options of :func:`pandas.read_csv` that :func:`pandas.read_excel` takes as they are (the others are about
#: splitting text; a spreadsheet keeps its blank rows, as ``skip_blank_lines=False`` does).
_EXCEL_OPTIONS = ("header", "index_col", "usecols", "dtype", "nrows", "na_values", "keep_default_na", "skiprows")


def duplicated_columns(path: str | Path, **options) -> list[str]:
    """The names that occur more than once in the header row of a CSV file.

    :func:`pandas.read_csv` renames a repeated column ``X`` to ``X.1``, so a
    table read with it no longer shows the repetition; this reads the header
    row as data to find it.  Empty header cells (an unnamed index column) are
    not counted; names are compared without surrounding spaces.

    Parameters
    ----------
    path : str or Path
        A CSV file with a header row.
    **options
        The options the table is read with; those that move or split the
        header row (``sep``, ``skiprows``, ``comment``, ...) are applied.

    Returns
    -------
    list of str
        The repeated names, in the order of their first occurrence.

    Examples
    --------
    >>> import io
    >>> duplicated_columns(io.StringIO("a,b,a,,\\n1,2,3,4,5\\n"))
    ['a']
    """
    kept = {k: v for k, v in options.items() if k in _HEADER_OPTIONS}
    return _repeated(pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False, **kept))


def _repeated(header: pd.DataFrame) -> list[str]:
    """The names that occur more than once in a header row read as data (empty cells aside)."""
    if header.empty:
        return []
    names = [str(v).strip() for v in header.iloc[0] if str(v).strip()]
    counts = Counter(names)
    return [name for name in dict.fromkeys(names) if counts[name] > 1]


def _read_excel(path: Path, **options) -> tuple[pd.DataFrame, list[str]]:
    """The first sheet of a spreadsheet read as :func:`read_csv` reads a CSV, and its repeated column names."""
    kept = {k: v for k, v in options.items() if k in _EXCEL_OPTIONS}
    table = pd.read_excel(path, sheet_name=0, engine="openpyxl", **kept)
    if options.get("header", "infer") is None:
        return table, []
    table.columns = [c if isinstance(c, str) else str(c) for c in table.columns]  # a cell 5 names column "5", as in a CSV
    header = pd.read_excel(path, sheet_name=0, engine="openpyxl", header=None, nrows=1, dtype=str,
                           skiprows=options.get("skiprows")).fillna("")
    return table, _repeated(header)


def read_csv(path: str | Path, error: type[AMNError], what: str = "CSV table", **options) -> pd.DataFrame:
    """``pd.read_csv(path, **options)`` with one-line errors that name the file; a spreadsheet
    (``.xlsx``, ``.xlsm``) is read the same way from its first sheet.

    Parameters
    ----------
    path : str or Path
        The CSV file, or a spreadsheet.
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
        The table, its column names stripped of surrounding spaces.

    Raises
    ------
    InputFileNotFoundError
        The file does not exist.
    AMNError
        ``error``, when the file is not readable text or not a table, or when
        its header row names a column more than once (pandas would silently
        rename the repeats ``X.1``, ``X.2``).
    """
    path = Path(path)
    if not path.exists():
        raise InputFileNotFoundError(f"{path}: no such file")
    spreadsheet = path.suffix.lower() in EXCEL_SUFFIXES
    unreadable = (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError)
    if spreadsheet:  # not a zip, not a workbook, an index column it lacks
        unreadable += (ValueError, KeyError, zipfile.BadZipFile)
    try:
        if spreadsheet:
            table, repeated = _read_excel(path, **options)
        else:
            table = pd.read_csv(path, **options)
            repeated = [] if options.get("header", "infer") is None else duplicated_columns(path, **options)
    except ImportError:
        raise error(f"{path}: reading spreadsheets needs openpyxl (pip install openpyxl)") from None
    except unreadable as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        kind = what.replace("CSV", "spreadsheet") if spreadsheet else what
        raise error(f"{path}: not a {kind} ({reason})") from None
    if repeated:
        named = f"column {repeated[0]} appears" if len(repeated) == 1 else f"columns {id_list(repeated)} appear"
        raise error(f"{path}: {named} more than once in the header; give each column one name")
    return table.rename(columns=lambda c: c.strip() if isinstance(c, str) else c)  # "EX_glc__D_e " from a spreadsheet
