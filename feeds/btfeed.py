"""A backtrader data feed that streams a canonical bar frame (OHLCV plus extra lines)."""

from __future__ import annotations

import backtrader as bt
import numpy as np
import pandas as pd

from feeds.bars import EXTRA_LINES


class BarFrameFeed(bt.feed.DataBase):
    """Streams one instrument's bar frame into a Cerebro.

    Beyond backtrader's OHLCV lines it carries ``amount`` and the extra lines of
    :data:`feeds.bars.EXTRA_LINES` (NaN where the source has none). Pass the frame as the
    ``frame`` parameter and the symbol as ``name``.
    """

    lines = ("amount",) + EXTRA_LINES
    params = (("frame", None),)

    def start(self) -> None:
        super().start()
        frame: pd.DataFrame = self.p.frame
        self._datetimes = [bt.date2num(ts.to_pydatetime()) for ts in frame.index]
        columns = ("open", "high", "low", "close", "volume", "amount") + EXTRA_LINES
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
