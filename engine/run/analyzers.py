"""Analyzers that record the ledger after every bar, for the equity curve and position history."""

from __future__ import annotations

import math
from typing import Any

import backtrader as bt

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


class LedgerAnalyzer(bt.Analyzer):
    """The :class:`LedgerRecorder` of a Cerebro run, snapshotting after every bar (including
    the bars before every feed has started)."""

    params = (("benchmark", None),)

    def start(self) -> None:
        self.recorder = LedgerRecorder(self.strategy.broker, self.p.benchmark)
        self.strategy.broker.passed_day_listeners.append(self.recorder.snapshot)

    def prenext(self) -> None:
        self.recorder.snapshot()

    def nextstart(self) -> None:
        self.recorder.snapshot()

    def next(self) -> None:
        self.recorder.snapshot()

    def get_analysis(self) -> dict[str, list[tuple[Any, ...]]]:
        return {"equity": self.recorder.rows, "positions": self.recorder.position_rows}


class BarHook(bt.Analyzer):
    """Calls ``callback(recorder, stop)`` after each bar (after the ledger analyzer): how a
    paper account books a Cerebro run's days."""

    params = (("callback", None),)

    def start(self) -> None:
        self.strategy.broker.passed_day_listeners.append(self._call)

    def _call(self) -> None:
        self.p.callback(self.strategy.analyzers.ledger.recorder, self.strategy.env.runstop)

    def prenext(self) -> None:
        self._call()

    def nextstart(self) -> None:
        self._call()

    def next(self) -> None:
        self._call()


class CloseFiller(bt.Analyzer):
    """With ``execution: close``, fills the orders a backtrader strategy placed in ``next()`` at
    the same bar's close (analyzers run after the strategy's ``next``, before the ledger's)."""

    def prenext(self) -> None:
        self.strategy.broker.fill_at_close()

    def nextstart(self) -> None:
        self.strategy.broker.fill_at_close()

    def next(self) -> None:
        self.strategy.broker.fill_at_close()
