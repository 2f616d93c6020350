"""Which span of the run each instrument's data covers, and the gaps a user must be told of."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from huice.feeds.market import MarketData


@dataclass(frozen=True)
class Coverage:
    """The first and last bar of one instrument inside the run, against the run's span."""

    symbol: str
    first: dt.date
    last: dt.date
    bars: int
    span_start: dt.date
    span_end: dt.date

    @property
    def complete(self) -> bool:
        return self.first <= self.span_start and self.last >= self.span_end

    def warning(self) -> str:
        """One sentence naming the instrument, what its data covers and what it misses."""
        missing = []
        if self.first > self.span_start:
            missing.append(f"starts {self.first} (after {self.span_start})")
        if self.last < self.span_end:
            missing.append(f"ends {self.last} (before {self.span_end})")
        return (f"{self.symbol}: its data covers {self.first} .. {self.last} only: it "
                f"{' and '.join(missing)}; the run treats the days without its bars as "
                "suspension (no trading, last close held), which dilutes every metric. Shorten "
                "data.start/data.end to its span, or add its missing bars")


def run_span(market: MarketData, start: dt.date | None, end: dt.date | None
             ) -> tuple[dt.date, dt.date]:
    """The trading days a run asked for: from the first trading day on or after ``start`` to the
    last one on or before ``end`` (by the exchange calendar when the run has one)."""
    days = market.exchange_calendar if market.exchange_calendar is not None else market.calendar
    first, last = market.calendar[0], market.calendar[-1]
    if start is not None:
        after = days[days >= pd.Timestamp(start)]
        first = min(after[0], first) if len(after) else first
    if end is not None:
        before = days[days <= pd.Timestamp(end)]
        last = max(before[-1], last) if len(before) else last
    return first.date(), last.date()


def coverage(market: MarketData, symbols: Iterable[str], start: dt.date | None,
             end: dt.date | None) -> list[Coverage]:
    """The coverage of each of ``symbols`` (ratio instruments by their components)."""
    span_start, span_end = run_span(market, start, end)
    found = []
    for symbol in dict.fromkeys(symbols):
        instrument = market.instruments.get(symbol)
        if instrument is None:
            continue
        if instrument.components:
            found += coverage(market, [c for c in instrument.components
                                       if c in market.instruments], start, end)
            continue
        index = market.bars(symbol).index
        found.append(Coverage(symbol, index[0].date(), index[-1].date(), len(index),
                              span_start, span_end))
    return list({c.symbol: c for c in found}.values())
