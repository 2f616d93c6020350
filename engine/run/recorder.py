"""The ledger after every bar: cash, holdings, equity, the benchmark and each position
(:class:`LedgerRecorder`, bar by bar), or the same rows worked out at the end of a run on the
engine's loop (:class:`DeferredRecorder`)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from huice.engine.broker.ashare import AShareBroker
from huice.engine.broker.money import round_like_builtin

EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def no_position_rows() -> dict[str, Any]:
    """The position columns of a run that never held anything, as its frame has them."""
    return {"date": pd.Series([], dtype=object), "symbol": [], "quantity": np.zeros(0),
            "price": np.zeros(0), "value": np.zeros(0)}


@dataclass(frozen=True)
class EquityColumns:
    """The equity rows of a run as columns: each day (datetime64[ns]) with its cash,
    holdings, equity and benchmark close."""

    days: np.ndarray
    cash: np.ndarray
    holdings: np.ndarray
    equity: np.ndarray
    benchmark: np.ndarray


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

    def equity_columns(self) -> EquityColumns:
        """The equity rows as columns."""
        if not self.rows:
            return EquityColumns(days=np.zeros(0, dtype="datetime64[ns]"), cash=np.zeros(0),
                                 holdings=np.zeros(0), equity=np.zeros(0), benchmark=np.zeros(0))
        days, cash, holdings, equity, benchmark = zip(*self.rows)
        # the days are dates: counted from 1970-01-01 by their ordinals, not parsed
        ordinals = np.fromiter((day.toordinal() for day in days), dtype=np.int64, count=len(days))
        return EquityColumns(
            days=(ordinals - EPOCH_ORDINAL).astype("datetime64[D]").astype("datetime64[ns]"),
            cash=np.array(cash, dtype=float), holdings=np.array(holdings, dtype=float),
            equity=np.array(equity, dtype=float), benchmark=np.array(benchmark, dtype=float))

    def position_columns(self) -> dict[str, Any]:
        """The position rows as columns, the day as its ISO string (as the paper store keeps
        it)."""
        if not self.position_rows:
            return no_position_rows()
        days, symbols, quantity, price, value = zip(*self.position_rows)
        return {"date": pd.Series([day.isoformat() for day in days], dtype=object),
                "symbol": list(symbols), "quantity": np.array(quantity, dtype=float),
                "price": np.array(price, dtype=float), "value": np.array(value, dtype=float)}


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
        self._matrices: tuple[np.ndarray, list[str], np.ndarray, np.ndarray, np.ndarray] | None = None

    def snapshot(self) -> None:
        broker = self.broker
        if len(broker.fills) != self._fills or len(broker.actions) != self._actions:
            self._fills, self._actions = len(broker.fills), len(broker.actions)
            account = broker.account
            self._states.append((self._bars, account.cash,
                                 {s: p.quantity for s, p in account.positions.items()}))
        self._bars += 1
        self._matrices = None  # worked out again if asked after another bar

    def _held(self) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray, np.ndarray]:
        """Each bar's state (its position in the noted states), the symbols ever held
        (sorted), and bar by symbol: the units (0 where not held), the closes and the value
        (units x close to the cent); worked out once."""
        if self._matrices is None:
            state = np.searchsorted([first for first, _, _ in self._states],
                                    np.arange(self._bars), side="right") - 1
            symbols = sorted({s for _, _, units in self._states for s in units})
            days = np.arange(self._start, self._start + self._bars)
            by_state = np.array([[held.get(s, 0.0) for s in symbols] for _, _, held in self._states],
                                dtype=float).reshape(len(self._states), len(symbols))
            units = by_state[state]
            closes = np.zeros((self._bars, len(symbols)))
            for column, symbol in enumerate(symbols):
                closes[:, column] = self.broker.clock.closes_by_day_array(symbol)[days]
            with np.errstate(invalid="ignore"):
                value = round_like_builtin((units * closes).ravel()).reshape(units.shape)
            self._matrices = (state, symbols, units, closes, value)
        return self._matrices

    def equity_columns(self) -> EquityColumns:
        """Every bar's equity row, as :class:`LedgerRecorder` would have recorded it."""
        clock = self.broker.clock
        days = np.arange(self._start, self._start + self._bars)
        state, _, units, _, value = self._held()
        cash = np.array([cash for _, cash, _ in self._states], dtype=float)[state]
        holdings = np.zeros(self._bars)
        for column in range(units.shape[1]):  # added in the snapshot's order (by symbol)
            holdings = holdings + np.where(units[:, column] != 0.0, value[:, column], 0.0)
        holdings = round_like_builtin(holdings)
        benchmark = (clock.closes_by_day_array(self.benchmark)[days]
                     if self.benchmark else np.full(self._bars, math.nan))
        return EquityColumns(days=clock.calendar.values[days], cash=cash, holdings=holdings,
                             equity=round_like_builtin(cash + holdings), benchmark=benchmark)

    def position_columns(self) -> dict[str, Any]:
        """Every bar's position rows (day as ISO string, symbol, quantity, price, value), day
        by day and by symbol within a day, as :class:`LedgerRecorder` records them."""
        _, symbols, units, closes, value = self._held()
        if not symbols:
            return no_position_rows()
        bar, column = np.nonzero(units != 0.0)  # row-major: by day, then by symbol
        days = self.broker.clock.calendar.values[self._start + bar]
        return {"date": np.datetime_as_string(days.astype("datetime64[D]"), unit="D").astype(object),
                "symbol": np.array(symbols, dtype=object)[column], "quantity": units[bar, column],
                "price": closes[bar, column], "value": value[bar, column]}
