"""The canonical bar frame and its validation.

A bar frame is a ``pandas.DataFrame`` indexed by trading date (``DatetimeIndex`` named
``date``, midnight, no time zone, sorted, unique) with float columns ``open high low close
volume amount`` and, where a source has them, the extra lines in :data:`EXTRA_LINES`:
``shares`` outstanding, ``nav``, ``dividend`` (cash per share going ex that day),
``split_ratio`` (new shares per old share that day), ``dividend_yield``, ``pe``, ``pb``.
Volume is in shares and amount in CNY; a missing volume (NaN) means "not reported", while a
volume of 0 means the instrument did not trade (suspended).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from huice.feeds.errors import DataError
from huice.feeds.quality import PRICE_COLUMNS, first_bad_row, repeats

__all__ = ["ALL_COLUMNS", "BASE_COLUMNS", "EXTRA_LINES", "PRICE_COLUMNS", "canonical_columns",
           "is_canonical_layout",
           "repeats", "to_bar_frame"]

BASE_COLUMNS: tuple[str, ...] = PRICE_COLUMNS + ("volume", "amount")
EXTRA_LINES: tuple[str, ...] = ("shares", "nav", "dividend", "split_ratio", "dividend_yield",
                                 "pe", "pb")
ALL_COLUMNS: tuple[str, ...] = BASE_COLUMNS + EXTRA_LINES

# Column names found in the wild, mapped to canonical names (case-insensitive).
COLUMN_ALIASES: dict[str, str] = {
    "datetime": "date", "trade_date": "date", "日期": "date",
    "开盘": "open", "最高": "high", "最低": "low", "收盘": "close",
    "vol": "volume", "成交量": "volume", "成交额": "amount", "turnover_cny": "amount",
    "dy": "dividend_yield", "shares_outstanding": "shares",
}


def canonical_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Rename known aliases to canonical names and keep only the columns we know."""
    renamed = {}
    for column in frame.columns:
        key = str(column).strip()
        lowered = key.lower()
        renamed[column] = COLUMN_ALIASES.get(key, COLUMN_ALIASES.get(lowered, lowered))
    frame = frame.rename(columns=renamed)
    if frame.columns.duplicated().any():
        frame = frame.loc[:, ~frame.columns.duplicated()]
    return frame[[c for c in frame.columns if c == "date" or c in ALL_COLUMNS]].copy()


def _row_label(position: int, first_line: int | Sequence[int] | None) -> int | None:
    if first_line is None:
        return None
    if isinstance(first_line, int):
        return first_line + position
    return int(first_line[position])


def _fail(message: str, source: str, position: int | None,
          first_line: int | Sequence[int] | None, rule: str) -> DataError:
    line = _row_label(position, first_line) if position is not None else None
    if line is None and position is not None:
        message = f"row {position}: {message}"
    return DataError(message, source=source, line=line, where=rule)


def to_bar_frame(raw: pd.DataFrame, source: str | Path, *,
                 first_line: int | Sequence[int] | None = None) -> pd.DataFrame:
    """Validate ``raw`` (a ``date`` column plus OHLCV) and return the canonical bar frame.

    Parameters
    ----------
    raw:
        Rows in file order, with a ``date`` column (or a DatetimeIndex).
    source:
        Name used in error messages (file path or ``<DataFrame name>``).
    first_line:
        File line number of the first data row (2 for a CSV with a header), or each row's own
        line (rows an import sorted), so errors name the line; ``None`` for frames, where errors
        name the row position instead.

    Raises
    ------
    DataError
        Naming the source, the line or row, and the rule broken.
    """
    source = str(source)
    if is_canonical_layout(raw):
        return _checked_canonical(raw, source, first_line)
    if "date" not in raw.columns and isinstance(raw.index, pd.DatetimeIndex):
        frame = raw.reset_index(names="date")
    else:
        frame = raw
    frame = canonical_columns(frame)  # a renamed copy: the caller's frame is never changed
    if "date" not in frame.columns:
        raise DataError("no 'date' column (or DatetimeIndex)", source=source, where="columns")
    missing = [c for c in ("date",) + PRICE_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}; a bar file needs date, open, "
                        "high, low, close (volume, amount and extra lines optional)",
                        source=source, line=1 if first_line is not None else None,
                        where="columns")
    if len(frame) == 0:
        raise DataError("no rows", source=source, where="rows")

    try:
        dates = pd.to_datetime(frame["date"], format="ISO8601")
    except (ValueError, TypeError):
        dates = pd.to_datetime(frame["date"], errors="coerce", format="mixed")
    bad_dates = np.flatnonzero(dates.isna().to_numpy())
    if len(bad_dates):
        position = int(bad_dates[0])
        raise _fail(f"date {frame['date'].iloc[position]!r} is not a date", source, position,
                    first_line, "date")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    dates = dates.dt.normalize()

    _numeric_columns(frame, source, first_line)
    date_values = dates.to_numpy()
    _check_rows(dates, date_values, frame, source, first_line)
    return _laid_out(frame[[c for c in ALL_COLUMNS if c in frame.columns]].copy(), date_values)


def _check_rows(dates: pd.Series, date_values: np.ndarray, frame: pd.DataFrame, source: str,
                first_line: int | Sequence[int] | None) -> None:
    """Dates sorted and unique, then every bar rule (:func:`first_bad_row`), or the first row
    that breaks one, named."""
    _check_dates_in_order(dates, date_values, source, first_line)
    volume = (frame["volume"].to_numpy(dtype=float) if "volume" in frame.columns
              else np.full(len(frame), np.nan))
    prices = np.column_stack([frame[c].to_numpy(dtype=float) for c in PRICE_COLUMNS])
    bad = first_bad_row(dates, prices, volume)
    if bad is not None:
        position, message, rule = bad
        raise _fail(message, source, position, first_line, rule)


def _laid_out(result: pd.DataFrame, date_values: np.ndarray) -> pd.DataFrame:
    """``result`` (float bar columns, a copy) in canonical column order, volume and amount NaN
    where absent, indexed by ``date_values``."""
    for column in ("volume", "amount"):
        if column not in result.columns:
            result[column] = np.nan
    order = [c for c in ALL_COLUMNS if c in result.columns]
    if list(result.columns) != order:
        result = result[order]
    result.index = pd.DatetimeIndex(date_values, name="date")
    return result


def is_canonical_layout(raw: pd.DataFrame) -> bool:
    """Whether ``raw`` is laid out as a bar frame already (a frame handed in by a notebook, a
    sweep or a benchmark): a time-zone-free DatetimeIndex, canonical float64 or int64 columns
    only (integers become floats, as the general path makes them)."""
    return (isinstance(raw.index, pd.DatetimeIndex) and raw.index.tz is None and len(raw) > 0
            and all(isinstance(c, str) and c in ALL_COLUMNS for c in raw.columns)
            and all(c in raw.columns for c in PRICE_COLUMNS)
            and not raw.columns.duplicated().any()
            and all(dtype == np.float64 or dtype == np.int64 for dtype in raw.dtypes))


def _checked_canonical(raw: pd.DataFrame, source: str,
                       first_line: int | Sequence[int] | None) -> pd.DataFrame:
    """:func:`to_bar_frame` of a frame laid out as one already: the same checks and the same
    result without renaming, parsing and converting columns that need none (tested equal to
    the general path on every bundled file and on planted bad rows)."""
    index = raw.index
    date_values = index.to_numpy()
    if (date_values != date_values.astype("datetime64[D]")).any():
        index = index.normalize()
        date_values = index.to_numpy()
    _check_rows(pd.Series(index), date_values, raw, source, first_line)
    return _laid_out(raw.astype("float64") if (raw.dtypes != np.float64).any() else raw.copy(),
                     date_values)


def _numeric_columns(frame: pd.DataFrame, source: str,
                     first_line: int | Sequence[int] | None) -> None:
    """Every bar column as floats (volume and amount NaN when absent), or the first cell that
    is not a number, named."""
    for column in ALL_COLUMNS:
        if column not in frame.columns:
            if column in ("volume", "amount"):
                frame[column] = np.nan
            continue
        if pd.api.types.is_float_dtype(frame[column]) or pd.api.types.is_integer_dtype(frame[column]):
            frame[column] = frame[column].astype("float64")
            continue
        numeric = pd.to_numeric(frame[column], errors="coerce")
        not_numeric = numeric.isna() & frame[column].notna() & (frame[column].astype(str).str.strip() != "")
        if not_numeric.any():
            position = int(np.flatnonzero(not_numeric.to_numpy())[0])
            raise _fail(f"{column} {frame[column].iloc[position]!r} is not a number", source,
                        position, first_line, column)
        frame[column] = numeric.astype("float64")


def _check_dates_in_order(dates: pd.Series, date_values: np.ndarray, source: str,
                          first_line: int | Sequence[int] | None) -> None:
    """Dates sorted ascending and unique, or the first that is not, named."""
    if len(date_values) <= 1:
        return
    steps = np.diff(date_values.astype("datetime64[D]").astype("int64"))
    duplicated = np.flatnonzero(steps == 0)
    if len(duplicated):
        position = int(duplicated[0]) + 1
        raise _fail(f"duplicate date {dates.iloc[position].date()}", source, position,
                    first_line, "sorted unique dates")
    backwards = np.flatnonzero(steps < 0)
    if len(backwards):
        position = int(backwards[0]) + 1
        raise _fail(f"date {dates.iloc[position].date()} comes after "
                    f"{dates.iloc[position - 1].date()}; dates must be sorted ascending",
                    source, position, first_line, "sorted unique dates")
