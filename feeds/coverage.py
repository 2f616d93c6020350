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

    def warning(self) -> str:
        """One sentence naming the instrument, what its data covers and what it misses."""
        missing = []
        if self.first > self.span_start:
            missing.append(f"starts {self.first}, after the run's first day {self.span_start}")
        if self.last < self.span_end:
            missing.append(f"ends {self.last}, before the run's last day {self.span_end}")
        return (f"{self.symbol}: its data covers {self.first} .. {self.last} only: it "
                f"{' and '.join(missing)}; on the run's days without its bars it cannot be "
                "traded and is valued at its last close (they count as flat days for it). "
                "Shorten data.start/data.end to its span, or add its missing bars")


def span_note(market: MarketData, start: dt.date | None, end: dt.date | None) -> str | None:
    """A sentence when the run is shorter than data.start .. data.end asked: the calendar ends
    earlier, or none of its instruments has bars that early or that late (None otherwise)."""
    first, last = market.calendar[0].date(), market.calendar[-1].date()
    days = market.exchange_calendar
    parts = []
    if start is not None and first > start:
        opens = days[days >= pd.Timestamp(start)] if days is not None else None
        reason = ("the first day any of its instruments has a bar" if opens is not None
                  and len(opens) and opens[0].date() < first else "the first trading day")
        parts.append(f"starts {first} ({reason}), not at data.start {start}")
    if end is not None and last < end:
        closes = days[days <= pd.Timestamp(end)] if days is not None else None
        calendar_end = days[-1].date() if days is not None and len(days) else None
        if calendar_end is not None and calendar_end < end and last == calendar_end:
            reason = f"the exchange calendar's last day: it is published to {calendar_end}"
        elif closes is not None and len(closes) and closes[-1].date() > last:
            reason = "the last day any of its instruments has a bar"
        else:
            reason = "the last trading day"
        parts.append(f"ends {last} ({reason}), not at data.end {end}")
    if not parts:
        return None
    return ("The run " + " and ".join(parts) + "; its metrics cover only its own days. Set "
            "data.start/data.end inside the data, or add the missing bars")


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
