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

    def snapshot(self) -> None:
        broker = self.broker
        clock = broker.clock
        day = clock.day
        holdings = 0.0
        positions = broker.account.positions
        for symbol in (sorted(positions) if len(positions) > 1 else positions):
            quantity = positions[symbol].quantity
            price = clock.last_close(symbol)
            value = round(quantity * price, 2)  # marked to market in cents
            holdings += value
            if self.keep_positions:
                self.position_rows.append((day, symbol, quantity, price, value))
        benchmark = clock.last_close(self.benchmark) if self.benchmark else math.nan
        cash = broker.account.cash
        holdings = round(holdings, 2)
        self.rows.append((day, cash, holdings, round(cash + holdings, 2), benchmark))
