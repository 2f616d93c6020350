"""A backtrader data feed that streams a canonical bar frame (OHLCV plus extra lines)."""

from __future__ import annotations

import backtrader as bt
import numpy as np
import pandas as pd

from huice.feeds.bar_times import backtrader_times
from huice.feeds.bars import EXTRA_LINES


class BarFrameFeed(bt.feed.DataBase):
    """Streams one instrument's bar frame (OHLCV) into a Cerebro.

    Use :func:`feed_for` to get a feed that also carries the frame's extra lines (``amount``,
    ``shares``, ``nav``, ``dividend_yield``, ...): each backtrader line costs time on every bar,
    so a feed carries only the lines its data has.
    """

    params = (("frame", None),)

    def start(self) -> None:
        super().start()
        frame: pd.DataFrame = self.p.frame
        self._datetimes = backtrader_times(frame.index)
        columns = ("open", "high", "low", "close", "volume") + self.extra_lines
        self._columns = [(getattr(self.lines, name), frame[name].to_numpy(dtype=float)
                          if name in frame.columns else np.full(len(frame), np.nan))
                         for name in columns]
        self._cursor = 0

    def _load(self) -> bool:
        cursor = self._cursor
        if cursor >= len(self._datetimes):
            return False
        self.lines.datetime[0] = self._datetimes[cursor]
        for line, values in self._columns:
            line[0] = values[cursor]
        self.lines.openinterest[0] = 0.0
        self._cursor = cursor + 1
        return True

    extra_lines: tuple[str, ...] = ()


_FEED_CLASSES: dict[tuple[str, ...], type[BarFrameFeed]] = {(): BarFrameFeed}


def feed_for(frame: pd.DataFrame, name: str, price_scale: float = 1.0) -> BarFrameFeed:
    """A backtrader feed of ``frame`` with a line for each extra column that holds data.

    ``price_scale`` multiplies open, high, low and close (and dividends), so that a strategy
    reading the feed sees traded prices (an index traded as a proxy ETF at index x 0.001)."""
    if price_scale != 1.0:
        frame = frame.copy()
        for column in ("open", "high", "low", "close", "dividend"):
            if column in frame.columns:
                frame[column] = frame[column] * price_scale
    extras = tuple(column for column in ("amount",) + EXTRA_LINES
                   if column in frame.columns and frame[column].notna().any())
    cls = _FEED_CLASSES.get(extras)
    if cls is None:
        # backtrader declares lines per class; one subclass per set of extra lines, cached
        cls = type(f"BarFrameFeed_{'_'.join(extras)}", (BarFrameFeed,),
                   {"lines": extras, "extra_lines": extras})
        _FEED_CLASSES[extras] = cls
    return cls(frame=frame, name=name)


CALENDAR_FEED_NAME = "__calendar__"


def calendar_feed(calendar: pd.DatetimeIndex) -> BarFrameFeed:
    """A clock-only feed with a (NaN) bar on every calendar day, for days no instrument covers."""
    empty = pd.DataFrame(dict.fromkeys(("open", "high", "low", "close", "volume"), np.nan),
                         index=calendar)
    return BarFrameFeed(frame=empty, name=CALENDAR_FEED_NAME)
