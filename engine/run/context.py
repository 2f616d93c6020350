"""What a strategy sees on each bar: causal history, the account, and ways to place orders."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from huice.engine.broker.ashare import AShareBroker
from huice.engine.broker.clock import MarketClock
from huice.engine.broker.orders import Order, OrderKind
from huice.engine.run.rebalance import plan_rebalance
from huice.feeds.market import MarketData
from huice.feeds.nav import PublishedNav, decision_lag, nav_of, published_positions


class BarContext:
    """The strategy's view of the market and its account after the close of the current bar.

    History is causal by construction: :meth:`history` returns bars up to and including today
    and nothing later. Orders placed here fill at the next bar's open by default
    (``execution: close`` fills them at today's close).
    """

    def __init__(self, market: MarketData, clock: MarketClock, broker: AShareBroker,
                 trade_start: dt.date | None = None) -> None:
        self._clock = clock
        self._trade_start = trade_start
        self._broker = broker
        self._market = market
        self._arrays: dict[tuple[str, str], np.ndarray] = {}
        self._lists: dict[tuple[str, str], list[float]] = {}
        self._navs: dict[str, tuple[pd.Series, np.ndarray]] = {}  # ctx.nav's, per symbol
        self.records: dict[int, dict[str, Any]] = {}
        self.keep_records = True  # a sweep's run reads no signals.csv: it skips them

    # -- time ------------------------------------------------------------------------------
    @property
    def today(self) -> dt.date:
        """The date of the bar just closed."""
        return self._clock.day

    @property
    def bar_index(self) -> int:
        """Position of today in the run's calendar (0 on the first day)."""
        return self._clock.index

    def next_trading_day(self) -> dt.date | None:
        """The next exchange trading day after today (the calendar is published in advance, so
        this is not look-ahead); None past the end of the known calendar."""
        stamps, days = self._market.derived(("exchange days",), self._exchange_days)
        position = int(np.searchsorted(stamps, np.datetime64(self.today, "D"), side="right"))
        return days[position] if position < len(days) else None

    def _exchange_days(self) -> tuple[np.ndarray, list[dt.date]]:
        """The exchange's calendar (else the run's) as day stamps and as dates, made once per
        market: asked on every bar by strategies that rebalance on a period's last day."""
        calendar = self._market.exchange_calendar
        if calendar is None:
            calendar = self._market.calendar
        return (calendar.to_numpy(dtype="datetime64[D]"),
                [day.date() for day in calendar])

    def started(self, symbol: str) -> bool:
        """Whether ``symbol`` has had at least one bar by today."""
        return self._clock.last_position(symbol) >= 0

    def has_bar(self, symbol: str) -> bool:
        """Whether ``symbol`` traded today (False when suspended or missing)."""
        return self._clock.has_bar(symbol)

    # -- data ------------------------------------------------------------------------------
    def history(self, symbol: str, field: str = "close") -> np.ndarray:
        """``symbol``'s values of ``field`` on its own bars up to today (read-only view)."""
        key = (symbol, field)
        values = self._arrays.get(key)
        if values is None:
            frame = self._market.bars(symbol)
            if field not in frame.columns:
                raise KeyError(f"{symbol} has no '{field}' line; it has {list(frame.columns)}")
            values = frame[field].to_numpy(dtype=float)
            values.flags.writeable = False
            self._arrays[key] = values
        return values[: self._clock.last_position(symbol) + 1]

    def latest(self, symbol: str, field: str = "close") -> float:
        """The latest value of ``field`` at or before today (NaN before the first bar)."""
        position = self._clock.last_position(symbol)
        if position < 0:
            return math.nan
        values = self._lists.get((symbol, field))
        if values is None:  # a plain list: indexing it is several times cheaper than numpy's
            self.history(symbol, field)  # loads (and checks) the line
            values = self._lists[(symbol, field)] = self._arrays[(symbol, field)].tolist()
        return values[position]

    def nav(self, symbol: str) -> PublishedNav | None:
        """The fund's unit NAV a decision at today's close has seen, with the date it is the
        NAV of: the last one published by today's close. A NAV comes out in the evening, its
        publication lag after its date (0 trading days for domestic and gold funds, 1 for
        cross-border ones; ``data.nav_lag_days`` overrides per class), so today a domestic
        fund shows yesterday's NAV and a cross-border one the NAV of two trading days ago.
        The NAV is the bars' ``nav`` line when they have one, else the bundled NAV files
        (docs/data.md, "ETF NAV and premium"); None before the first published one."""
        published = self._navs.get(symbol)
        if published is None:
            lag = decision_lag(self._market.instruments[symbol].asset_class,
                               self._market.nav_lag_days)
            published = self._navs[symbol] = self._market.derived(
                ("published nav", symbol, lag), lambda: self._published(symbol, lag))
        nav, positions = published
        at = int(positions[self._clock.index])
        return None if at < 0 else PublishedNav(nav.index[at].date(), float(nav.iloc[at]))

    def _published(self, symbol: str, lag: int) -> tuple[pd.Series, np.ndarray]:
        nav = nav_of(self._market.bars(symbol), symbol)
        return nav, published_positions(nav, self._market.calendar, lag)

    def price(self, symbol: str) -> float:
        """The latest close in traded price (index proxies are scaled, see docs/broker.md)."""
        return self._clock.last_close(symbol)

    # -- account ---------------------------------------------------------------------------
    @property
    def cash(self) -> float:
        return self._broker.account.cash

    @property
    def equity(self) -> float:
        return self._broker.equity()

    def position(self, symbol: str) -> float:
        """Units of ``symbol`` held."""
        return self._broker.account.quantity(symbol)

    def weights(self) -> dict[str, float]:
        """Current fraction of equity in each held symbol."""
        equity = self.equity
        return {s: p.quantity * self.price(s) / equity
                for s, p in sorted(self._broker.account.positions.items())}

    # -- orders ----------------------------------------------------------------------------
    @property
    def trading(self) -> bool:
        """False during the warm-up before ``data.trade_start``: order calls do nothing."""
        return self._trade_start is None or self.today >= self._trade_start

    def buy(self, symbol: str, quantity: float, tag: str = "", *, limit: float | None = None,
            stop: float | None = None, valid: str | dt.date | None = None,
            trail_amount: float | None = None, trail_percent: float | None = None,
            at_close: bool = False, oco: Order | None = None) -> Order | None:
        """Buy ``quantity`` units (rounded down to lots by the broker); None in warm-up.

        ``limit`` makes a limit order, ``stop`` a stop order, both a stop-limit order;
        ``trail_amount`` or ``trail_percent`` a trailing stop (``stop``: the price it starts
        from, default today's close; with ``limit``, a trailing stop-limit); ``at_close`` an
        order at the close of the bar it is due on. ``valid`` is ``"day"``, ``"gtc"`` or a last
        date (default ``broker.order_validity``); ``oco`` another order whose one-cancels-other
        group this order joins. Fill prices per case: docs/broker.md, "Order types".
        """
        return self._order(symbol, True, quantity, tag, limit, stop, valid, trail_amount,
                           trail_percent, at_close, oco)

    def sell(self, symbol: str, quantity: float, tag: str = "", *, limit: float | None = None,
             stop: float | None = None, valid: str | dt.date | None = None,
             trail_amount: float | None = None, trail_percent: float | None = None,
             at_close: bool = False, oco: Order | None = None) -> Order | None:
        """Sell ``quantity`` units (an odd lot only when it closes the position; never more
        than is held less pending sells); None in warm-up. Other arguments as for :meth:`buy`."""
        return self._order(symbol, False, quantity, tag, limit, stop, valid, trail_amount,
                           trail_percent, at_close, oco)

    def buy_bracket(self, symbol: str, quantity: float, *, stop_loss: float,
                    take_profit: float, limit: float | None = None,
                    valid: str | dt.date | None = None, tag: str = "") -> list[Order] | None:
        """A buy (at ``limit``, or at market) and, once it has filled, a protective sell stop at
        ``stop_loss`` and a sell limit at ``take_profit``: when one of the two fills the other
        is cancelled, and when the buy ends unfilled both are. Returns [buy, stop, limit]."""
        return self._bracket(symbol, True, quantity, stop_loss, take_profit, limit, valid, tag)

    def sell_bracket(self, symbol: str, quantity: float, *, stop_loss: float,
                     take_profit: float, limit: float | None = None,
                     valid: str | dt.date | None = None, tag: str = "") -> list[Order] | None:
        """A sell and, once it has filled, a buy stop at ``stop_loss`` (above) and a buy limit
        at ``take_profit`` (below), as :meth:`buy_bracket` mirrored."""
        return self._bracket(symbol, False, quantity, stop_loss, take_profit, limit, valid, tag)

    def cancel(self, order: Order) -> bool:
        """Cancel one pending order (and what its OCO group or bracket ties to it)."""
        return self._broker.cancel_order(order, "cancelled by strategy")

    def _bracket(self, symbol: str, is_buy: bool, quantity: float, stop_loss: float,
                 take_profit: float, limit: float | None, valid: str | dt.date | None,
                 tag: str) -> list[Order] | None:
        parent = self._order(symbol, is_buy, quantity, tag, limit, None, valid)
        if parent is None:
            return None
        validity, until = _validity(valid)
        children = [self._broker.submit_order(symbol, not is_buy, parent.quantity, tag,
                                              kind=kind, stop_price=stop, limit_price=limit_at,
                                              validity=validity, valid_until=until,
                                              parent=parent)
                    for kind, stop, limit_at in ((OrderKind.STOP, stop_loss, None),
                                                 (OrderKind.LIMIT, None, take_profit))]
        return [parent, *children]

    def _order(self, symbol: str, is_buy: bool, quantity: float, tag: str,
               limit: float | None, stop: float | None, valid: str | dt.date | None,
               trail_amount: float | None = None, trail_percent: float | None = None,
               at_close: bool = False, oco: Order | None = None) -> Order | None:
        if not self.trading:
            return None
        trailing = trail_amount is not None or trail_percent is not None
        if at_close and (limit is not None or stop is not None or trailing):
            raise ValueError("at_close is an order at the close: it takes no limit, stop or trail")
        if at_close:
            kind = OrderKind.CLOSE
        elif trailing:
            kind = OrderKind.STOP_TRAIL_LIMIT if limit is not None else OrderKind.STOP_TRAIL
        else:
            kind = (OrderKind.STOP_LIMIT if limit is not None and stop is not None
                    else OrderKind.LIMIT if limit is not None
                    else OrderKind.STOP if stop is not None else OrderKind.MARKET)
        validity, until = _validity(valid)
        return self._broker.submit_order(symbol, is_buy, quantity, tag, kind=kind,
                                         limit_price=limit, stop_price=stop,
                                         validity=validity, valid_until=until,
                                         trail_amount=trail_amount, trail_percent=trail_percent,
                                         oco=oco)

    def order_target_weights(self, weights: Mapping[str, float], *, tag: str = "rebalance",
                             min_trade_value_cny: float = 0.0) -> list[Order]:
        """Move the book to ``weights`` (fractions of equity; unnamed holdings are sold).

        Sizes are computed at today's close; sells are placed before buys. See
        :func:`huice.engine.run.rebalance.plan_rebalance`.
        """
        if not self.trading:
            return []
        account = self._broker.account
        rules = self._broker.rules
        symbols = set(weights) | set(account.positions)
        planned = plan_rebalance(
            weights,
            quantities={s: account.quantity(s) for s in symbols},
            sellable={s: account.sellable(s, rules[s].t_plus) for s in symbols},
            prices={s: self.price(s) for s in symbols},
            cash=account.cash, rules=rules, day=self.today,
            min_trade_value_cny=min_trade_value_cny)
        return [self._broker.submit_order(p.symbol, p.is_buy, p.quantity, tag) for p in planned]

    def pending_orders(self, symbol: str | None = None) -> list[Order]:
        """Orders still waiting to fill (for ``symbol`` only, if given)."""
        return self._broker.pending_orders(symbol)

    def cancel_pending(self, reason: str = "cancelled by strategy") -> None:
        """Cancel every order still waiting."""
        self._broker.cancel_all(reason)

    # -- diagnostics -----------------------------------------------------------------------
    @property
    def recording(self) -> bool:
        """Whether :meth:`record` keeps anything: False in a sweep's runs, which keep metrics
        only, so a strategy may skip computing what it would record."""
        return self.keep_records

    def record(self, **values: float) -> None:
        """Record named numbers for today (signals, indicators): saved to ``signals.csv``."""
        if not self.keep_records:
            return
        row = self.records.setdefault(self._clock.index, {})
        for name, value in values.items():
            row[name] = float(value)


def _validity(valid: str | dt.date | None) -> tuple[str | None, dt.date | None]:
    if isinstance(valid, dt.date):
        return "until", valid
    if valid in (None, "day", "gtc"):
        return valid, None
    raise ValueError(f"valid must be 'day', 'gtc' or a date, got {valid!r}")
