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
    span_start: dt.date  # the run's own first and last day (what its instruments cover)
    span_end: dt.date

    @property
    def complete(self) -> bool:
        return self.first <= self.span_start and self.last >= self.span_end



@dataclass(frozen=True)
class SpanEdge:
    """Where a run is shorter than data.start .. data.end asked: its first (``side`` start)
    or last (end) day ``day`` against the ``asked`` one, and why (``reason``: first_bar or
    first_trading_day, last_bar, last_trading_day or calendar_end, the exchange calendar's
    last published day ``calendar_end``)."""

    side: str
    day: dt.date
    asked: dt.date
    reason: str
    calendar_end: dt.date | None = None


def span_edges(market: MarketData, start: dt.date | None,
               end: dt.date | None) -> list[SpanEdge]:
    """The run's edges that fall inside data.start .. data.end (none when it spans them):
    the calendar ends earlier, or none of its instruments has bars that early or that late."""
    first, last = market.calendar[0].date(), market.calendar[-1].date()
    days = market.exchange_calendar
    edges = []
    if start is not None and first > start:
        opens = days[days >= pd.Timestamp(start)] if days is not None else None
        reason = ("first_bar" if opens is not None and len(opens) and opens[0].date() < first
                  else "first_trading_day")
        edges.append(SpanEdge("start", first, start, reason))
    if end is not None and last < end:
        closes = days[days <= pd.Timestamp(end)] if days is not None else None
        calendar_end = days[-1].date() if days is not None and len(days) else None
        if calendar_end is not None and calendar_end < end and last == calendar_end:
            edges.append(SpanEdge("end", last, end, "calendar_end", calendar_end))
        else:
            reason = ("last_bar" if closes is not None and len(closes)
                      and closes[-1].date() > last else "last_trading_day")
            edges.append(SpanEdge("end", last, end, reason))
    return edges


def coverage(market: MarketData, symbols: Iterable[str], start: dt.date | None,
             end: dt.date | None) -> list[Coverage]:
    """The coverage of each of ``symbols`` (ratio instruments by their components)."""
    span_start, span_end = market.calendar[0].date(), market.calendar[-1].date()
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
