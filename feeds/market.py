"""Several instruments' bars on one trading calendar.

The calendar is the union of the instruments' dates. A day on which an instrument has no bar
stays a day without a bar for it (suspension, missing data): nothing is forward-filled.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd

from huice.feeds.catalog import Instrument
from huice.feeds.errors import DataError

T = TypeVar("T")


class MarketData:
    """Validated bar frames keyed by symbol, plus what each instrument is.

    Parameters
    ----------
    bars:
        Canonical bar frames (see :mod:`huice.feeds.bars`), one per symbol.
    instruments:
        Metadata for every symbol in ``bars``.
    exchange_calendar:
        Trading days; those between the first and last bar of the data join the calendar even
        when no instrument has a bar on them. ``None``: the calendar is the union of the bars.
    nav_lag_days:
        Trading days between a fund's NAV date and its publication, by asset class, over the
        defaults (``data.nav_lag_days``; :func:`huice.feeds.nav.nav_lag`).
    """

    def __init__(self, bars: Mapping[str, pd.DataFrame], instruments: Mapping[str, Instrument],
                 exchange_calendar: pd.DatetimeIndex | None = None,
                 nav_lag_days: Mapping[Any, int] | None = None):
        missing = set(bars) - set(instruments)
        if missing:
            raise ValueError(f"no instrument metadata for {sorted(missing)}")
        self._bars = dict(bars)
        self._derived: dict[Hashable, object] = {}
        self.instruments = {symbol: instruments[symbol] for symbol in bars}
        self.exchange_calendar = exchange_calendar
        self.nav_lag_days: dict[str, int] = dict(nav_lag_days or {})
        # what the run's data gate found in these bars (engine/run/data_gate.py); None: not
        # gated yet
        self.findings: tuple[Any, ...] | None = None
        index = pd.DatetimeIndex([], name="date")
        for frame in self._bars.values():
            index = index.union(frame.index)
        if exchange_calendar is not None and len(index):
            # a trading day on which no instrument has a bar is still a day (all suspended)
            index = index.union(exchange_calendar[(exchange_calendar >= index[0])
                                                  & (exchange_calendar <= index[-1])])
        index.name = "date"
        self.calendar: pd.DatetimeIndex = index

    @property
    def symbols(self) -> list[str]:
        return list(self._bars)

    def bars(self, symbol: str) -> pd.DataFrame:
        """The bar frame of ``symbol`` (do not modify it)."""
        return self._bars[symbol]

    def between(self, start: pd.Timestamp | None, end: pd.Timestamp | None) -> MarketData:
        """The same instruments restricted to ``start <= date <= end`` (either may be None)."""
        sliced = {}
        for symbol, frame in self._bars.items():
            part = frame.loc[start:end] if (start is not None or end is not None) else frame
            if part.empty:
                covers = f"{frame.index[0].date()} .. {frame.index[-1].date()}"
                if start is not None and start > frame.index[-1]:
                    where, detail = "data.start", f"{start.date()} is after the last bar"
                elif end is not None and end < frame.index[0]:
                    where, detail = "data.end", f"{end.date()} is before the first bar"
                else:
                    where, detail = "data", "the window holds none of its bars"
                raise DataError(f"no bars for {symbol}: {detail} (its data covers {covers})",
                                where=where)
            sliced[symbol] = part
        return MarketData(sliced, self.instruments, self.exchange_calendar, self.nav_lag_days)

    def bar_positions(self, symbol: str) -> np.ndarray:
        """For each calendar day, the position of ``symbol``'s bar that day, or -1 if none."""
        frame = self._bars[symbol]
        # the calendar holds every bar's day and both are sorted: a binary search finds them
        days, bar_days = self.calendar.to_numpy(), frame.index.to_numpy()
        positions = np.searchsorted(days, bar_days)
        if len(positions) and (positions.max() >= len(days)
                               or (days[positions] != bar_days).any()):
            positions = self.calendar.get_indexer(frame.index)
        result = np.full(len(self.calendar), -1, dtype=np.int64)
        result[positions] = np.arange(len(frame))
        return result

    def fingerprint(self) -> str:
        """A hash of every bar value and date, for run ids (computed once: the bars of a
        MarketData are never modified)."""
        return self.derived(("fingerprint",), self._hash_bars)

    def derived(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, a value derived from these bars only, computed once per MarketData
        and kept under ``key`` (the bars of a MarketData are never modified): what every run of
        a sweep on the same data would otherwise redo (the clock's tables, buy-and-hold)."""
        if key not in self._derived:
            self._derived[key] = compute()
        return cast(T, self._derived[key])

    def _hash_bars(self) -> str:
        digest = hashlib.sha256()
        for symbol in sorted(self._bars):
            frame = self._bars[symbol]
            digest.update(symbol.encode())
            digest.update(frame.index.asi8.tobytes())
            digest.update(",".join(frame.columns).encode())
            digest.update(np.ascontiguousarray(frame.to_numpy(dtype="float64")).tobytes())
        return digest.hexdigest()
