"""The run's trading calendar and fast access to each instrument's bar on the current day."""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from huice.feeds.bar_times import backtrader_times
from huice.feeds.market import MarketData


@dataclass(frozen=True)
class BarView:
    """Today's bar of one instrument in traded prices, with the previous bar's close."""

    open: float
    high: float
    low: float
    close: float
    volume: float
    prev_close: float  # NaN when the run holds no earlier bar
    limit_base: float  # the day's limit reference: (prev_close - dividend) / split ratio


@dataclass(frozen=True)
class ClockTables:
    """The read-only tables a clock steps through, built once per market and price scales
    (every run of a sweep on the same data shares them): plain lists, several times cheaper
    to index than numpy arrays one value at a time."""

    dates: list[dt.date]
    bt_times: list[float]  # backtrader's float datetimes of the calendar (the clocks agree)
    positions: dict[str, list[int]]  # each day's bar position of each symbol, -1 for none
    last: dict[str, list[int]]  # the position of the latest bar at or before each day
    columns: dict[str, dict[str, list[float]]]  # open..volume, dividend/split lines if any
    with_actions: frozenset[str]  # symbols with a dividend or split line
    action_days: frozenset[int]  # calendar indices on which one of them goes ex
    close_arrays: dict[str, np.ndarray] = field(default_factory=dict)  # closes, traded price
    last_arrays: dict[str, np.ndarray] = field(default_factory=dict)  # ``last`` as arrays
    # each symbol's latest close at or before each day, made when first asked (see
    # MarketClock.closes_by_day): the ledger reads it every bar, or whole at a run's end
    day_closes: dict[str, list[float]] = field(default_factory=dict)
    day_close_arrays: dict[str, np.ndarray] = field(default_factory=dict)

    def closes_by_day(self, symbol: str) -> list[float]:
        """``symbol``'s latest close at or before each calendar day (NaN before its first)."""
        closes = self.day_closes.get(symbol)
        if closes is None:
            closes = self.day_closes[symbol] = self.closes_by_day_array(symbol).tolist()
        return closes

    def closes_by_day_array(self, symbol: str) -> np.ndarray:
        """:meth:`closes_by_day` as a read-only array."""
        closes = self.day_close_arrays.get(symbol)
        if closes is None:
            close, last = self.close_arrays[symbol], self.last_arrays[symbol]
            picked = close[np.maximum(last, 0)] if len(close) else np.zeros(len(last))
            closes = self.day_close_arrays[symbol] = np.where(last >= 0, picked, math.nan)
            closes.flags.writeable = False
        return closes

    @classmethod
    def of(cls, market: MarketData, price_scales: Mapping[str, float]) -> ClockTables:
        positions: dict[str, list[int]] = {}
        last: dict[str, list[int]] = {}
        tables: dict[str, dict[str, list[float]]] = {}
        close_arrays: dict[str, np.ndarray] = {}
        last_arrays: dict[str, np.ndarray] = {}
        action_days: set[int] = set()
        for symbol in market.symbols:
            frame = market.bars(symbol)
            scale = price_scales.get(symbol, 1.0)
            at = market.bar_positions(symbol)
            positions[symbol] = at.tolist()
            last_arrays[symbol] = np.maximum.accumulate(np.where(at >= 0, at, -1))
            last[symbol] = last_arrays[symbol].tolist()
            # the frame's one float block, read once (bar frames hold floats only)
            values = frame.to_numpy(dtype=float)
            at_column = dict(zip(frame.columns, range(len(frame.columns))))
            lines = {name: values[:, at_column[name]] * scale
                     for name in ("open", "high", "low", "close")}
            lines["volume"] = values[:, at_column["volume"]]
            for name in ("dividend", "split_ratio"):
                if name in frame.columns and frame[name].fillna(0).ne(
                        1.0 if name == "split_ratio" else 0.0).any():
                    factor = scale if name == "dividend" else 1.0
                    lines[name] = (frame[name].fillna(0.0 if name == "dividend" else 1.0)
                                   .to_numpy(dtype=float) * factor)
            close_arrays[symbol] = lines["close"]
            tables[symbol] = {name: line.tolist() for name, line in lines.items()}
            if "dividend" in lines or "split_ratio" in lines:
                action_days.update(_ex_days(at, lines))
        return cls(dates=market.calendar.date.tolist(),
                   bt_times=backtrader_times(market.calendar), positions=positions, last=last,
                   columns=tables,
                   with_actions=frozenset(symbol for symbol, columns in tables.items()
                                          if "dividend" in columns or "split_ratio" in columns),
                   action_days=frozenset(action_days), close_arrays=close_arrays,
                   last_arrays=last_arrays)


def _ex_days(at: np.ndarray, lines: Mapping[str, np.ndarray]) -> list[int]:
    """The calendar indices whose bar (``at``: each day's bar position, -1 for none) has a
    dividend other than 0 or a split ratio other than 1."""
    has_bar = at >= 0
    bar = np.where(has_bar, at, 0)
    going_ex = np.zeros(len(at), dtype=bool)
    if "dividend" in lines:
        going_ex |= lines["dividend"][bar] != 0.0
    if "split_ratio" in lines:
        going_ex |= lines["split_ratio"][bar] != 1.0
    ex_days: list[int] = np.flatnonzero(has_bar & going_ex).tolist()
    return ex_days


class MarketClock:
    """Steps through the union calendar of a :class:`MarketData`.

    Prices are multiplied by each instrument's ``price_scale`` (1 except for index proxies) so
    that the broker works in traded prices.
    """

    def __init__(self, market: MarketData, price_scales: Mapping[str, float]) -> None:
        self.calendar = market.calendar
        self.index = -1
        self._hook: tuple[int, Callable[[], None]] | None = None
        scales = tuple(sorted((s, float(price_scales.get(s, 1.0))) for s in market.symbols))
        tables = market.derived(("clock", scales), lambda: ClockTables.of(market, dict(scales)))
        self.dates = tables.dates
        self.bt_times = tables.bt_times
        self.closes_by_day = tables.closes_by_day
        self.closes_by_day_array = tables.closes_by_day_array
        self._positions = tables.positions
        self._last = tables.last
        self._columns = tables.columns
        self.with_actions = tables.with_actions
        self.action_days = tables.action_days
        self._exchange = market.exchange_calendar
        self._following: dict[int, dt.date | None] = {}

    @property
    def day(self) -> dt.date:
        return self.dates[self.index]

    def advance(self) -> None:
        """Move to the next calendar day (running the day's hook first, if one is set)."""
        self.index += 1
        if self._hook is not None and self._hook[0] == self.index:
            callback = self._hook[1]
            self._hook = None
            callback()

    def following_day(self, index: int | None = None) -> dt.date | None:
        """The trading day after the run's day ``index`` (default today): the run's next day,
        else, past the run's last day, the exchange calendar's next day (published in advance,
        so a paper account's newest day knows its next session); None where the calendar ends
        (or a run on ``calendar: data`` has no day after its last bar)."""
        index = self.index if index is None else index
        if index + 1 < len(self.dates):
            return self.dates[index + 1]
        if index not in self._following:
            self._following[index] = None
            if self._exchange is not None and len(self._exchange) and 0 <= index < len(self.dates):
                stamps = self._exchange.to_numpy(dtype="datetime64[D]")
                at = int(np.searchsorted(stamps, np.datetime64(self.dates[index], "D"),
                                         side="right"))
                if at < len(stamps):
                    self._following[index] = self._exchange[at].date()
        return self._following[index]

    def day_at(self, index: int) -> dt.date | None:
        """The trading day of run index ``index``; one past the run's last day is the exchange
        calendar's next day (None where it is not known)."""
        if index < len(self.dates):
            return self.dates[index]
        if index == len(self.dates):
            return self.following_day(len(self.dates) - 1)
        return None

    def index_of_time(self, bar_time: float) -> int:
        """The calendar index of a backtrader float datetime (which must be a calendar day)."""
        position = bisect.bisect_left(self.bt_times, bar_time)
        if position == len(self.bt_times) or self.bt_times[position] != bar_time:
            raise RuntimeError(f"backtrader's time {bar_time} is not a day of the run's calendar")
        return position

    def call_on_first_day_after(self, day: dt.date, callback: Callable[[], None]) -> None:
        """Run ``callback`` once, when the clock first reaches a day after ``day`` (before
        anything else happens on that day)."""
        self._hook = (bisect.bisect_right(self.dates, day), callback)

    def has_bar(self, symbol: str) -> bool:
        return self._positions[symbol][self.index] >= 0

    def bar(self, symbol: str) -> BarView | None:
        """Today's bar, or None if the instrument has no bar today."""
        position = self._positions[symbol][self.index]
        if position < 0:
            return None
        columns = self._columns[symbol]
        prev_close = columns["close"][position - 1] if position > 0 else math.nan
        limit_base = prev_close
        if "dividend" in columns or "split_ratio" in columns:
            # on an ex-date the exchange sets the limits from the ex-rights reference price
            dividend = columns["dividend"][position] if "dividend" in columns else 0.0
            split = columns["split_ratio"][position] if "split_ratio" in columns else 1.0
            limit_base = (prev_close - dividend) / split
        return BarView(columns["open"][position], columns["high"][position],
                       columns["low"][position], columns["close"][position],
                       columns["volume"][position], prev_close, limit_base)

    def last_close(self, symbol: str) -> float:
        """The latest close at or before today in traded price (NaN before the first bar);
        ``closes_by_day(symbol)[index]`` is the same figure for any day."""
        position = self._last[symbol][self.index]
        return self._columns[symbol]["close"][position] if position >= 0 else math.nan

    def last_position(self, symbol: str) -> int:
        """Position of the latest bar of ``symbol`` at or before today (-1 before its first)."""
        return self._last[symbol][self.index]

    def corporate_action(self, symbol: str) -> tuple[float, float]:
        """Today's (cash dividend per unit in traded price, split ratio) for ``symbol``:
        (0, 1) when nothing happens or it has no bar today."""
        position = self._positions[symbol][self.index]
        columns = self._columns[symbol]
        if position < 0:
            return 0.0, 1.0
        dividend = columns["dividend"][position] if "dividend" in columns else 0.0
        split = columns["split_ratio"][position] if "split_ratio" in columns else 1.0
        return dividend, split
