"""The ledger after every bar: cash, holdings, equity, the benchmark and each position
(:class:`LedgerRecorder`), or a sweep run's equity rows only (:class:`LeanRecorder`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from huice.engine.broker.ashare import AShareBroker
from huice.engine.broker.money import round_like_builtin


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


@dataclass(frozen=True)
class EquityColumns:
    """The equity rows of a run as columns: each day (datetime64[ns]) with its cash,
    holdings, equity and benchmark close."""

    days: np.ndarray
    cash: np.ndarray
    holdings: np.ndarray
    equity: np.ndarray
    benchmark: np.ndarray


class LeanRecorder:
    """The equity rows of a sweep's run (no position rows), the same floats as
    :class:`LedgerRecorder`'s, worked out once at the end instead of after every bar.

    Between two fills or corporate actions the account's cash and units do not change
    (nothing else books into it in a backtest; a paper step, which restores a booked state,
    keeps the full recorder), so a bar only notes the account when one of them happened; the
    holdings are then each day's units x closes, rounded to the cent per position and in
    total exactly as :meth:`LedgerRecorder.snapshot` rounds them (``round_like_builtin``)."""

    keep_positions = False

    def __init__(self, broker: AShareBroker, benchmark: str | None, start_index: int) -> None:
        self.broker = broker
        self.benchmark = benchmark
        self._start = start_index
        self._bars = 0
        self._fills = self._actions = 0
        account = broker.account
        # (first bar it holds from, cash, units by symbol): the state before the first bar
        self._states: list[tuple[int, float, dict[str, float]]] = [
            (0, account.cash, {s: p.quantity for s, p in account.positions.items()})]

    def snapshot(self) -> None:
        broker = self.broker
        if len(broker.fills) != self._fills or len(broker.actions) != self._actions:
            self._fills, self._actions = len(broker.fills), len(broker.actions)
            account = broker.account
            self._states.append((self._bars, account.cash,
                                 {s: p.quantity for s, p in account.positions.items()}))
        self._bars += 1

    def equity_columns(self) -> EquityColumns:
        """Every bar's row, as :class:`LedgerRecorder` would have recorded it."""
        clock = self.broker.clock
        days = np.arange(self._start, self._start + self._bars)
        state = np.searchsorted([first for first, _, _ in self._states],
                                np.arange(self._bars), side="right") - 1
        cash = np.array([cash for _, cash, _ in self._states], dtype=float)[state]
        holdings = np.zeros(self._bars)
        symbols = sorted({s for _, _, units in self._states for s in units})
        for symbol in symbols:  # added in the order the snapshot adds them
            units = np.array([held.get(symbol, 0.0) for _, _, held in self._states])[state]
            closes = np.asarray(clock.closes_by_day(symbol), dtype=float)[days]
            with np.errstate(invalid="ignore"):
                value = round_like_builtin(units * closes)
            holdings = holdings + np.where(units != 0.0, value, 0.0)
        holdings = round_like_builtin(holdings)
        benchmark = (np.asarray(clock.closes_by_day(self.benchmark), dtype=float)[days]
                     if self.benchmark else np.full(self._bars, math.nan))
        return EquityColumns(days=clock.calendar.values[days], cash=cash, holdings=holdings,
                             equity=round_like_builtin(cash + holdings), benchmark=benchmark)
