"""CSI total-return indices (dividends reinvested) for the bundle, built by data/build.py."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import pandas as pd


class _Log(Protocol):
    def add(self, line: str) -> None: ...


def build_total_return_index(raw: Path, file_name: str, symbol: str, calendar: pd.DatetimeIndex,
                             log: _Log) -> pd.DataFrame:
    """A CSI total-return index (dividends reinvested) from the hriszc files, which hold only
    the close: open, high and low are set to the close and volume to 0, so that it serves as a
    benchmark and is never traded (a bar with no volume is a suspended bar to the broker)."""
    frame = pd.read_csv(raw / "hriszc-zechenhehuo" / file_name, parse_dates=["date"])
    frame = frame[["date", "close"]].dropna()
    holidays = frame.loc[~frame["date"].isin(calendar), "date"]
    if len(holidays):
        log.add(f"- {symbol}: {len(holidays)} row(s) dated on non-trading days dropped "
                f"({', '.join(d.strftime('%Y-%m-%d') for d in holidays)}).")
        frame = frame[frame["date"].isin(calendar)].reset_index(drop=True)
    for column in ("open", "high", "low"):
        frame[column] = frame["close"]
    frame["volume"] = 0.0
    log.add(f"- {symbol}: {len(frame)} closes from hriszc/{file_name}, "
            f"{frame['date'].min().date()} .. {frame['date'].max().date()} (close only: open, "
            "high and low set to the close, volume 0; a benchmark, not tradable).")
    return frame[["date", "open", "high", "low", "close", "volume"]]
