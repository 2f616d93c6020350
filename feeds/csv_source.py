"""Read bar frames from CSV files (plain or gzip)."""

from __future__ import annotations

import hashlib
import zlib
from collections import OrderedDict
from pathlib import Path

import pandas as pd

from huice.feeds.bars import to_bar_frame
from huice.feeds.errors import DataError

# parsed bar files by (resolved path, SHA-256 of the file's bytes): a file read again with the
# same bytes is not parsed again (a notebook's or a test run's repeated backtests, a paper
# loop's polls); a changed file has another key. Bounded, least recently used out first.
_PARSED: OrderedDict[tuple[str, bytes], pd.DataFrame] = OrderedDict()
MAX_PARSED_FILES = 512
MAX_PARSED_ROWS = 2_000_000


def read_bars_csv(path: str | Path) -> pd.DataFrame:
    """Read and validate one instrument's bars from a CSV (``.csv`` or ``.csv.gz``).

    A file whose bytes were parsed before in this process is not parsed again: its frame is
    kept by its content (and a copy returned), so an edited file is always read anew.

    Raises
    ------
    DataError
        The file is missing, unreadable, or breaks a bar rule (the error names the line).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("data file not found", source=path)
    key = _content_key(path)
    if key is not None and key in _PARSED:
        _PARSED.move_to_end(key)
        return _PARSED[key].copy()
    try:
        # the C parser infers numbers; a column it cannot read as numbers stays text and
        # to_bar_frame then names the first bad cell
        # only an empty cell is missing: text such as 'n/a' or 'NaN' is reported as not a number
        raw = pd.read_csv(path, skip_blank_lines=False, keep_default_na=False, na_values=[""])
    except (OSError, UnicodeDecodeError, EOFError, zlib.error, pd.errors.ParserError,
            pd.errors.EmptyDataError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        kind = "gzip CSV" if path.suffix == ".gz" else "CSV"
        raise DataError(f"cannot read as {kind}: {detail}", source=path) from exc
    frame = to_bar_frame(raw, path, first_line=2)
    if key is not None and _content_key(path) == key:  # kept only if unchanged while parsed
        _PARSED[key] = frame.copy()
        while len(_PARSED) > MAX_PARSED_FILES or (
                len(_PARSED) > 1 and sum(len(f) for f in _PARSED.values()) > MAX_PARSED_ROWS):
            _PARSED.popitem(last=False)
    return frame


def forget_parsed_bars() -> None:
    """Drop every kept parse of a bar file (frees its memory; the next read parses again)."""
    _PARSED.clear()


def _content_key(path: Path) -> tuple[str, bytes] | None:
    try:
        return str(path.resolve()), hashlib.sha256(path.read_bytes()).digest()
    except OSError:
        return None  # parsing reports it


def read_bars(path: str | Path) -> pd.DataFrame:
    """Read one instrument's bars from a CSV (plain or gzip) or a Parquet file of the store."""
    if Path(path).suffix == ".parquet":
        from huice.feeds.store import read_bars_parquet

        return read_bars_parquet(path)
    return read_bars_csv(path)
