"""Bar sources for paper trading: files or a table appended by an outside data job, or a replay.

Fault policy (docs/paper-trading.md), the same for every source, applied per symbol:

- a missing file or table, or no rows yet: the symbol has no bars; nothing after the last day
  every symbol has reported is processed (wait and retry on the next poll);
- a last line without its newline (still being written): ignored until it is complete;
- a row identical to the one before it (a re-sent bar): skipped;
- anything else wrong (a date out of order, the same date with other values, a value that is
  missing, not a number, not positive, or breaks high/low): the symbol's bars stop at the row
  before it, and a warning names the file and line on every poll until it is fixed.

None of these ever changes the state database: a day is processed only once every symbol has
reported it or a later day.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from huice.feeds.bars import PRICE_COLUMNS, to_bar_frame
from huice.feeds.quality import first_bad_row


@dataclass
class SourceRead:
    """What a poll of a source found: valid bars per symbol and the problems seen."""

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def last_complete_day(self, symbols: Iterable[str]) -> pd.Timestamp | None:
        """The last day that every symbol has reported (or passed)."""
        last = []
        for symbol in symbols:
            frame = self.frames.get(symbol)
            if frame is None or frame.empty:
                return None
            last.append(frame.index[-1])
        return min(last) if last else None


def valid_prefix(raw: pd.DataFrame, source: str, first_line: int | None) -> tuple[pd.DataFrame, str | None]:
    """The rows of ``raw`` up to the first bad one (identical repeats dropped), as a bar frame,
    and a description of the bad row if there is one."""
    if raw.empty:
        return raw, None
    frame = raw.copy()
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if "date" not in frame.columns or any(c not in frame.columns for c in PRICE_COLUMNS):
        return frame.iloc[:0], (f"{source}: needs columns date, open, high, low, close")
    dates = pd.to_datetime(frame["date"], errors="coerce", format="mixed")
    numeric = frame[[c for c in frame.columns if c != "date"]].apply(pd.to_numeric, errors="coerce")
    repeated = (dates == dates.shift()) & (numeric.fillna(-1.0).eq(numeric.shift().fillna(-1.0))
                                           .all(axis=1))
    kept = np.flatnonzero(~repeated.to_numpy())  # identical repeats of a row are dropped
    rows, row_dates = frame.iloc[kept], dates.iloc[kept].reset_index(drop=True)
    prices = numeric[list(PRICE_COLUMNS)].to_numpy(dtype=float)[kept]
    volume = (numeric["volume"].to_numpy(dtype=float) if "volume" in numeric
              else np.zeros(len(frame)))[kept]
    bad = first_bad_row(row_dates, prices, volume)
    order = np.flatnonzero(row_dates.diff().dt.days.fillna(1).to_numpy() <= 0)
    if len(order) and (bad is None or int(order[0]) < bad[0]):
        position = int(order[0])
        bad = (position, f"date {row_dates.iloc[position].date()} does not come after "
                         f"{row_dates.iloc[position - 1].date()} (out of order, or the same day "
                         "with other values)", "sorted unique dates")
    if bad is None:
        return to_bar_frame(rows, source, first_line=first_line), None
    position, message, _ = bad
    if message == "is not a date":
        message = f"date {rows['date'].iloc[position]!r} is not a date"
    line = int(kept[position])
    where = f"line {first_line + line}" if first_line else f"row {line}"
    keep = rows.iloc[:position]
    return (to_bar_frame(keep, source, first_line=first_line) if len(keep) else keep,
            f"{source}: {where}: {message}; bars from here on are ignored until it is fixed")


class CsvFolderSource:
    """``<folder>/<symbol>.csv`` files, appended by an external job."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def read(self, symbols: Iterable[str]) -> SourceRead:
        result = SourceRead()
        for symbol in symbols:
            path = self.folder / f"{symbol}.csv"
            if not path.is_file():
                result.problems.append(f"{path}: missing; waiting for it")
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            if text and not text.endswith("\n"):
                cut = text.rfind("\n") + 1
                result.problems.append(f"{path}: line {text.count(chr(10)) + 1} is still being "
                                       "written; it is read once complete")
                text = text[:cut]
            if not text.strip():
                continue
            from io import StringIO
            try:
                raw = pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)
            except pd.errors.ParserError as exc:
                result.problems.append(f"{path}: cannot parse ({exc}); waiting")
                continue
            frame, problem = valid_prefix(raw, str(path), first_line=2)
            if problem:
                result.problems.append(problem)
            if len(frame):
                result.frames[symbol] = frame
        return result


class SqliteTableSource:
    """A ``symbol, date, open, high, low, close, volume[, amount]`` table, in insertion order."""

    def __init__(self, path: Path, table: str) -> None:
        self.path = Path(path)
        self.table = table

    def read(self, symbols: Iterable[str]) -> SourceRead:
        result = SourceRead()
        if not self.path.is_file():
            result.problems.append(f"{self.path}: missing; waiting for it")
            return result
        connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
        try:
            for symbol in symbols:
                try:
                    raw = pd.read_sql_query(
                        f"SELECT * FROM {self.table} WHERE symbol = ? ORDER BY rowid",
                        connection, params=(symbol,))
                except (sqlite3.Error, pd.errors.DatabaseError) as exc:
                    result.problems.append(f"{self.path}: table {self.table}: {exc}; waiting")
                    return result
                frame, problem = valid_prefix(raw.drop(columns=["symbol"]),
                                              f"{self.path}[{self.table}:{symbol}]", None)
                if problem:
                    result.problems.append(problem)
                if len(frame):
                    result.frames[symbol] = frame
        finally:
            connection.close()
        return result


class ReplaySource:
    """Serves already validated history one trading day (or ``days_per_poll``) at a time."""

    def __init__(self, frames: dict[str, pd.DataFrame], start: pd.Timestamp,
                 days_per_poll: int) -> None:
        self.frames = frames
        self.start = pd.Timestamp(start)
        self.days_per_poll = days_per_poll
        calendar = pd.DatetimeIndex([])
        for frame in frames.values():
            calendar = calendar.union(frame.index)
        self.calendar = calendar

    def reveal_until(self, watermark: pd.Timestamp | None) -> pd.Timestamp | None:
        """The last day served on this poll: ``days_per_poll`` days past what was processed
        (history before ``start`` is served at once)."""
        before_start = self.calendar.searchsorted(self.start) - 1
        done = before_start if watermark is None else max(
            before_start, self.calendar.searchsorted(watermark, side="right") - 1)
        last = min(done + self.days_per_poll, len(self.calendar) - 1)
        return self.calendar[last] if last >= 0 else None

    def read(self, symbols: Iterable[str], watermark: pd.Timestamp | None = None) -> SourceRead:
        until = self.reveal_until(watermark)
        result = SourceRead()
        if until is None:
            return result
        for symbol in symbols:
            frame = self.frames[symbol].loc[:until]
            if len(frame):
                result.frames[symbol] = frame
        return result


class CatalogSource:
    """Bars from a catalog folder (``data import`` / ``data fetch`` / ``data update``): each poll
    reads the catalog as it stands. The store replaces its catalog atomically, so a poll sees
    either the previous catalog or the updated one, never a half-written file."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def read(self, symbols: Iterable[str]) -> SourceRead:
        from huice.feeds.catalog import read_catalog
        from huice.feeds.csv_source import read_bars
        from huice.feeds.errors import DataError

        result = SourceRead()
        path = self.folder / "catalog.csv" if self.folder.is_dir() else self.folder
        if not path.is_file():
            result.problems.append(f"{path}: missing; waiting for it (run `python run.py data "
                                   "update --catalog ...` before each poll)")
            return result
        catalog = read_catalog(path)
        for symbol in symbols:
            if symbol not in catalog.entries:
                result.problems.append(f"{path}: has no {symbol} yet; waiting for it")
                continue
            try:
                result.frames[symbol] = read_bars(catalog.entries[symbol][1])
            except DataError as exc:
                result.problems.append(str(exc))
        return result
