"""Read bar frames from CSV files (plain or gzip)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from feeds.bars import to_bar_frame
from feeds.errors import DataError


def read_bars_csv(path: str | Path) -> pd.DataFrame:
    """Read and validate one instrument's bars from a CSV (``.csv`` or ``.csv.gz``).

    Raises
    ------
    DataError
        The file is missing, unreadable, or breaks a bar rule (the error names the line).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("data file not found", source=path)
    try:
        # the C parser infers numbers; a column it cannot read as numbers stays text and
        # to_bar_frame then names the first bad cell
        raw = pd.read_csv(path, skip_blank_lines=False)
    except (OSError, UnicodeDecodeError, EOFError, pd.errors.ParserError,
            pd.errors.EmptyDataError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot read as CSV: {detail}", source=path) from exc
    return to_bar_frame(raw, path, first_line=2)
