"""Analyzers that record the ledger after every bar, for the equity curve and position history."""

from __future__ import annotations

import math

import backtrader as bt


class LedgerAnalyzer(bt.Analyzer):
    """Snapshots cash, holdings, equity, the benchmark and each position after every bar.

    Runs after the strategy's ``next`` (and after close fills), so each row is the state at the
    bar's close: ``cash + holdings == equity`` by construction of the broker's ledger, and the
    reconciliation tests check it against the fills independently.
    """

    params = (("benchmark", None),)

    def start(self) -> None:
        self.rows: list[tuple] = []
        self.position_rows: list[tuple] = []

    def prenext(self) -> None:
        self._snapshot()

    def nextstart(self) -> None:
        self._snapshot()

    def next(self) -> None:
        self._snapshot()

    def _snapshot(self) -> None:
        broker = self.strategy.broker
        clock = broker.clock
        day = clock.day
        holdings = 0.0
        for symbol in sorted(broker.account.positions):
            quantity = broker.account.positions[symbol].quantity
            price = clock.last_close(symbol)
            value = quantity * price
            holdings += value
            self.position_rows.append((day, symbol, quantity, price, value))
        benchmark = clock.last_close(self.p.benchmark) if self.p.benchmark else math.nan
        cash = broker.account.cash
        self.rows.append((day, cash, holdings, cash + holdings, benchmark))

    def get_analysis(self) -> dict[str, list[tuple]]:
        return {"equity": self.rows, "positions": self.position_rows}


class CloseFiller(bt.Analyzer):
    """With ``execution: close``, fills the orders a backtrader strategy placed in ``next()`` at
    the same bar's close (analyzers run after the strategy's ``next``, before the ledger's)."""

    def prenext(self) -> None:
        self.strategy.broker.fill_at_close()

    def nextstart(self) -> None:
        self.strategy.broker.fill_at_close()

    def next(self) -> None:
        self.strategy.broker.fill_at_close()
