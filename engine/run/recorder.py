"""The ledger after every bar: cash, holdings, equity, the benchmark and each position."""

from __future__ import annotations

import math
from typing import Any

from huice.engine.broker.ashare import AShareBroker


class LedgerRecorder:
    """Snapshots cash, holdings, equity, the benchmark and each position after every bar.

    Called after the strategy has decided (and after close fills), so each row is the state at
    the bar's close: ``cash + holdings == equity`` by construction of the broker's ledger, and
    the reconciliation tests check it against the fills independently. Both runners use it.
    """

    def __init__(self, broker: AShareBroker, benchmark: str | None,
                 positions: bool = True) -> None:
        self.broker = broker
        self.benchmark = benchmark
        self.rows: list[tuple[Any, ...]] = []
        self.position_rows: list[tuple[Any, ...]] = []
        self.keep_positions = positions  # a sweep's run keeps the equity rows only
        # read on every bar: the clock's day-by-day closes instead of a lookup per figure
        self._clock = broker.clock
        self._account = broker.account
        self._benchmark_closes = broker.clock.closes_by_day(benchmark) if benchmark else None

    def snapshot(self) -> None:
        clock = self._clock
        index = clock.index
        day = clock.dates[index]
        holdings = 0.0
        positions = self._account.positions
        if positions:
            for symbol in (sorted(positions) if len(positions) > 1 else positions):
                quantity = positions[symbol].quantity
                price = clock.closes_by_day(symbol)[index]
                value = round(quantity * price, 2)  # marked to market in cents
                holdings += value
                if self.keep_positions:
                    self.position_rows.append((day, symbol, quantity, price, value))
            holdings = round(holdings, 2)
        closes = self._benchmark_closes
        benchmark = closes[index] if closes is not None else math.nan
        cash = self._account.cash
        self.rows.append((day, cash, holdings, round(cash + holdings, 2), benchmark))
