"""The ledger after every bar: cash, holdings, equity, the benchmark and each position
(:class:`LedgerRecorder`, bar by bar), or the same rows worked out at the end of a run on the
engine's loop (:class:`DeferredRecorder`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

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


class DeferredRecorder:
    """The rows :class:`LedgerRecorder` would record, the same floats, worked out once at the
    end of a run on the engine's own loop instead of after every bar.

    Between two fills or corporate actions the account's cash and units do not change
    (nothing else books into a backtest's account; a paper step, which restores a booked
    state and reads each bar's row as it comes, keeps :class:`LedgerRecorder`), so a bar only
    notes the account when one of them happened. The rows are then each day's units x
    closes, rounded to the cent per position and in total exactly as
    :meth:`LedgerRecorder.snapshot` rounds them (``round_like_builtin``); ``positions=False``
    (a sweep's run) keeps the equity rows only."""

    def __init__(self, broker: AShareBroker, benchmark: str | None, start_index: int,
                 positions: bool = True) -> None:
        self.broker = broker
        self.benchmark = benchmark
        self.keep_positions = positions
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

    def _by_bar(self) -> np.ndarray:
        """Each bar's state: its position in the noted states."""
        state: np.ndarray = np.searchsorted([first for first, _, _ in self._states],
                                            np.arange(self._bars), side="right") - 1
        return state

    def _held(self, state: np.ndarray) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
        """Per symbol ever held, in sorted order: its units, closes and value (units x close to
        the cent) on every bar, units 0 where it is not held."""
        days = np.arange(self._start, self._start + self._bars)
        held = []
        for symbol in sorted({s for _, _, units in self._states for s in units}):
            units = np.array([by.get(symbol, 0.0) for _, _, by in self._states])[state]
            closes = np.asarray(self.broker.clock.closes_by_day(symbol), dtype=float)[days]
            with np.errstate(invalid="ignore"):
                held.append((symbol, units, closes, round_like_builtin(units * closes)))
        return held

    def equity_columns(self) -> EquityColumns:
        """Every bar's equity row, as :class:`LedgerRecorder` would have recorded it."""
        clock = self.broker.clock
        days = np.arange(self._start, self._start + self._bars)
        state = self._by_bar()
        cash = np.array([cash for _, cash, _ in self._states], dtype=float)[state]
        holdings = np.zeros(self._bars)
        for _, units, _, value in self._held(state):  # added in the snapshot's order
            holdings = holdings + np.where(units != 0.0, value, 0.0)
        holdings = round_like_builtin(holdings)
        benchmark = (np.asarray(clock.closes_by_day(self.benchmark), dtype=float)[days]
                     if self.benchmark else np.full(self._bars, math.nan))
        return EquityColumns(days=clock.calendar.values[days], cash=cash, holdings=holdings,
                             equity=round_like_builtin(cash + holdings), benchmark=benchmark)

    def position_columns(self) -> dict[str, Any]:
        """Every bar's position rows (day as ISO string, symbol, quantity, price, value), day
        by day and by symbol within a day, as :class:`LedgerRecorder` records them."""
        bars, ranks, names, units, closes, values = [], [], [], [], [], []
        for place, (symbol, held, close, value) in enumerate(self._held(self._by_bar())):
            at = np.flatnonzero(held != 0.0)
            bars.append(at)
            ranks.append(np.full(len(at), place))
            names.append(symbol)
            units.append(held[at])
            closes.append(close[at])
            values.append(value[at])
        if not names:  # as the bar-by-bar recorder's frame of no rows has them
            return {"date": pd.Series([], dtype=object), "symbol": [], "quantity": np.zeros(0),
                    "price": np.zeros(0), "value": np.zeros(0)}
        bar, rank = np.concatenate(bars), np.concatenate(ranks)
        order = np.lexsort((rank, bar))  # by day, then by symbol
        days = self.broker.clock.calendar.values[self._start + bar[order]]
        return {"date": np.datetime_as_string(days.astype("datetime64[D]"), unit="D").astype(object),
                "symbol": np.array(names, dtype=object)[rank[order]],
                "quantity": np.concatenate(units)[order], "price": np.concatenate(closes)[order],
                "value": np.concatenate(values)[order]}
