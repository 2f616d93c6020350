"""backtrader's float datetimes of daily bars, worked out without importing backtrader.

backtrader stamps a bar with the proleptic Gregorian ordinal of its day (1 = 0001-01-01) plus
the fraction of the day elapsed (``bt.date2num``); a daily bar is stamped at midnight, so its
time is its day's ordinal. Both runners step through the same times (the engine's runner has
no backtrader to ask), and tests/feeds/test_bar_times.py checks them against ``bt.date2num``.
"""

from __future__ import annotations

import pandas as pd

# 1970-01-01, the day numpy's datetime64[D] counts from, is ordinal 719163
_EPOCH_ORDINAL = 719163.0


def backtrader_times(index: pd.DatetimeIndex) -> list[float]:
    """``bt.date2num`` of each midnight timestamp, vectorised."""
    days = index.to_numpy().astype("datetime64[D]").astype("int64")
    times: list[float] = (days + _EPOCH_ORDINAL).astype(float).tolist()
    return times
