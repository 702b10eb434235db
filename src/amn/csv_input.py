"""Reading user CSV files with the package's one-line errors (file name and problem)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from amn.errors import AMNError


def read_csv(path: str | Path, error: type[AMNError], what: str = "CSV table", **options) -> pd.DataFrame:
    """``pd.read_csv(path, **options)``; a missing or unreadable file raises ``error`` naming the file."""
    path = Path(path)
    if not path.exists():
        raise error(f"{path}: no such file")
    try:
        return pd.read_csv(path, **options)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise error(f"{path}: not a {what} ({str(exc).splitlines()[0]})") from None
