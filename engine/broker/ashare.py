"""The A-share broker: a backtrader broker that fills orders under China's costs and rules.

It keeps its own ledger (cash, positions with T+1 lots, orders, itemised fills) and is driven by
Cerebro: ``next()`` runs at the start of every bar and fills pending orders at the open (or at
the typical price for ``vwap``); with ``execution: close`` the engine asks it to fill at the close
of the bar on which the orders were placed. Plugins place orders with :meth:`submit_order`;
backtrader strategies with ``buy``/``sell``/``cancel``, backtrader's broker contract
(:mod:`huice.engine.broker.btorders`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

import backtrader as bt
from loguru import logger

from huice.config.schema import BrokerConfig
from huice.engine.broker.account import QUANTITY_EPSILON, Account
from huice.engine.broker.btorders import BacktraderOrders
from huice.engine.broker.clock import MarketClock
from huice.engine.broker.matching import PRICE_EPSILON, OrderMatcher
from huice.engine.broker.money import round_cents
from huice.engine.broker.orders import CorporateAction, Fill, Order, OrderKind, OrderStatus
from huice.engine.broker.rules import InstrumentRules
from huice.engine.broker.slippage import slippage_from_config
from huice.engine.broker.state import export_account, restore_account


class AShareBroker(bt.broker.BrokerBase):
    """A Cerebro broker with A-share commission, stamp duty, transfer fee, slippage, lots, T+1,
    price limits, suspension and a cash check. See ``docs/broker.md`` for every rule."""

    def __init__(self, config: BrokerConfig, rules: Mapping[str, InstrumentRules],
                 clock: MarketClock) -> None:
        super().__init__()
        self.config = config
        self.rules = dict(rules)
        self.clock = clock
        self.account = Account(cash=config.initial_cash)
        self.matcher = OrderMatcher(config, self.rules, clock, self.account,
                                    slippage_from_config(config.slippage))
        self.startingcash = config.initial_cash  # read by backtrader's writer info
        self.orders: list[Order] = []
        self.fills: list[Fill] = []
        self.actions: list[CorporateAction] = []
        self._pending: list[Order] = []
        self._next_id = 1
        self.backtrader = BacktraderOrders(self)
        self._feeds: Sequence[bt.feed.DataBase] = ()

    # -- backtrader broker interface -------------------------------------------------------
    def getcash(self) -> float:
        return self.account.cash

    def getvalue(self, datas=None) -> float:
        """Equity, or the market value of the positions in ``datas`` (backtrader's contract)."""
        if datas is None:
            return self.equity()
        value = 0.0
        for data in datas:
            quantity = self.account.quantity(data._name)
            if quantity:
                value += quantity * self.clock.last_close(data._name)
        return value

    def getposition(self, data) -> bt.Position:
        return self.backtrader.position(data._name)

    def get_notification(self):
        return self.backtrader.next_notification()

    def buy(self, owner, data, size, price=None, plimit=None, exectype=None, valid=None,
            tradeid=0, oco=None, trailamount=None, trailpercent=None, parent=None,
            transmit=True, **kwargs):
        """backtrader's buy: a backtrader order mapped to a huice order (see btorders)."""
        return self.backtrader.place(owner, data, size, True, price, plimit, exectype, valid,
                                     tradeid, oco, trailamount, trailpercent, parent, kwargs)

    def sell(self, owner, data, size, price=None, plimit=None, exectype=None, valid=None,
             tradeid=0, oco=None, trailamount=None, trailpercent=None, parent=None,
             transmit=True, **kwargs):
        """backtrader's sell (see :meth:`buy`)."""
        return self.backtrader.place(owner, data, size, False, price, plimit, exectype, valid,
                                     tradeid, oco, trailamount, trailpercent, parent, kwargs)

    def cancel(self, order, bracket=False) -> bool:
        """Cancel a backtrader order that is still pending."""
        return self.backtrader.cancel(order)

    def follow_feeds(self, feeds: Sequence[bt.feed.DataBase]) -> None:
        """Take each bar's date from these feeds (a backtrader strategy's own), so that days on
        which none of them has a bar are passed over in step with Cerebro."""
        self._feeds = list(feeds)

    def next(self) -> None:
        """Start of a bar: advance the clock, release T+1 lots, fill at the open (or vwap)."""
        if self._feeds:
            target = self.clock.index_of_time(max(f.datetime[0] for f in self._feeds if len(f)))
            while self.clock.index < target - 1:  # a day with no bar of any feed
                self._start_day()
        self._start_day()

    def _start_day(self) -> None:
        self.clock.advance()
        self.account.start_day()
        self._apply_corporate_actions()
        if self.config.execution != "close":
            self._match()

    def _apply_corporate_actions(self) -> None:
        """On an ex-date, positions held at the previous close get the cash dividend (credited
        on the ex-date; the real payment comes a few days later) or the split's units (whole
        units; fractions are dropped)."""
        with_actions = self.clock.with_actions
        if not with_actions:
            return
        for symbol in [s for s in self.account.positions if s in with_actions]:
            dividend, split = self.clock.corporate_action(symbol)
            if dividend == 0.0 and split == 1.0:
                continue
            position = self.account.positions[symbol]
            rules = self.rules[symbol]
            before = position.quantity
            if dividend > 0:
                cash = before * dividend
                cash = cash if rules.fractional else round_cents(cash)
                self.account.cash = (self.account.cash + cash if rules.fractional
                                     else round_cents(self.account.cash + cash))
                self.actions.append(CorporateAction(self.clock.day, symbol, "dividend", before,
                                                    before, dividend, cash, self.account.cash))
            if split != 1.0:
                after = before * split if rules.fractional else math.floor(before * split + 1e-9)
                position.quantity = float(after)
                position.bought_today = min(position.bought_today * split, position.quantity)
                self.actions.append(CorporateAction(self.clock.day, symbol, "split", before,
                                                    position.quantity, split, 0.0,
                                                    self.account.cash))
                self.backtrader.on_split(symbol, before, position.quantity)

    # -- orders ------------------------------------------------------------------------------
    def submit_order(self, symbol: str, is_buy: bool, quantity: float, tag: str = "", *,
                     kind: OrderKind = OrderKind.MARKET, limit_price: float | None = None,
                     stop_price: float | None = None, validity: str | None = None,
                     valid_until: dt.date | None = None) -> Order:
        """Place an order for ``quantity`` units; lots are enforced here.

        A buy is rounded down to whole lots; a sell that is not a whole number of lots is kept
        only when it closes the position. An order that rounds to zero is recorded as
        ``rejected`` with the reason and never reaches the market. ``kind``, ``limit_price``,
        ``stop_price``, ``validity`` (day, gtc, until) and ``valid_until`` make limit and stop
        orders (docs/broker.md); validity defaults to ``broker.order_validity``.
        """
        rules = self.rules[symbol]
        day = self.clock.day
        eligible = self.clock.index + (0 if self.config.execution == "close" else 1)
        order = Order(order_id=self._next_id, created=day, symbol=symbol, is_buy=is_buy,
                      quantity=float(quantity), eligible_index=eligible,
                      validity=validity or self.config.order_validity, tag=tag, kind=kind,
                      limit_price=limit_price, stop_price=stop_price, valid_until=valid_until)
        self._next_id += 1
        self.orders.append(order)
        if not rules.fractional:
            held = self.account.quantity(symbol)
            whole_position = (not is_buy) and abs(quantity - held) <= QUANTITY_EPSILON
            if not whole_position:
                lots = math.floor(quantity / rules.lot + PRICE_EPSILON)
                order.quantity = float(lots * rules.lot)
                if order.quantity != quantity:
                    order.note(f"zero lot: {quantity:g} rounds to {order.quantity:g} "
                               f"(lots of {rules.lot})" if order.quantity == 0 else
                               f"rounded down from {quantity:g} to whole lots of {rules.lot}")
        if not is_buy and self.account.quantity(symbol) <= QUANTITY_EPSILON:
            order.quantity = 0.0
            buys = [o for o in self._pending
                    if o.symbol == symbol and o.is_buy and o.eligible_index <= eligible]
            if buys and rules.t_plus:
                order.note(f"T+1: the {symbol} of pending buy #{buys[0].order_id} are bought on "
                           f"{self.clock.dates[min(eligible, len(self.clock.dates) - 1)]} at the "
                           "earliest and cannot be sold before the next trading day")
            else:
                order.note(f"nothing to sell: no {symbol} held")
        if order.quantity <= QUANTITY_EPSILON:
            order.status = OrderStatus.REJECTED
            order.closed = day
            logger.debug("order {} {} {} not sent: {}", order.order_id, order.side, symbol,
                         "; ".join(order.reasons))
            return order
        self._pending.append(order)
        return order

    def fill_at_close(self) -> None:
        """Fill the orders due today at today's close (``execution: close``)."""
        self._match()

    def cancel_order(self, order: Order, reason: str) -> bool:
        """Cancel one pending order; False when it is no longer pending."""
        if order not in self._pending:
            return False
        self._pending.remove(order)
        order.status = OrderStatus.CANCELLED
        order.closed = self.clock.day
        order.note(reason)
        self.backtrader.on_closed(order)
        return True

    def cancel_all(self, reason: str) -> None:
        """Cancel every pending order (e.g. at the end of the run)."""
        for order in list(self._pending):
            self.cancel_order(order, reason)

    @property
    def pending(self) -> list[Order]:
        return list(self._pending)

    def pending_orders(self, symbol: str | None = None) -> list[Order]:
        """Orders still waiting to fill (for ``symbol`` only, if given)."""
        if not self._pending:
            return []
        return [o for o in self._pending if symbol is None or o.symbol == symbol]

    # -- state, for paper trading across restarts ---------------------------------------------
    def export_state(self) -> dict:
        """Everything needed to continue after today's close, as JSON types."""
        return export_account(self.account, self._next_id, self._pending, self.clock.dates)

    def restore_state(self, state: dict) -> None:
        """Replace the account with :meth:`export_state`'s output, at the start of the first bar
        after the booked ones: what the run simulated before is dropped (the paper ledger holds
        it), so orders, fills and actions from here on are the new day's."""
        self._next_id, self._pending = restore_account(self.account, state, self.clock.dates)
        self.orders = list(self._pending)
        self.fills = []
        self.actions = []
        self.backtrader.on_restore(self._pending)

    # -- valuation ---------------------------------------------------------------------------
    def holdings_value(self) -> float:
        """Market value of all positions at the latest close."""
        total = 0.0
        for symbol, position in self.account.positions.items():
            total += position.quantity * self.clock.last_close(symbol)
        return total

    def equity(self) -> float:
        return self.account.cash + self.holdings_value()

    # -- matching ----------------------------------------------------------------------------
    def _match(self) -> None:
        if not self._pending:
            return
        today = self.clock.index
        due = [o for o in self._pending if o.eligible_index <= today]
        if not due:
            return
        due.sort(key=lambda o: (o.is_buy, o.order_id))  # sells first, then buys
        for order in due:
            fill = self.matcher.execute(order)
            if fill is not None:
                self._book(order, fill)
        due_ids = {order.order_id for order in due}
        still_pending = []
        for order in self._pending:
            if order.status in (OrderStatus.PENDING, OrderStatus.PARTIAL):
                ending = self._ending(order, due_ids)
                if ending is None:
                    still_pending.append(order)
                    continue
                order.status = ending
                order.closed = self.clock.day
            self.backtrader.on_closed(order)
        self._pending = still_pending

    def _ending(self, order: Order, due_ids: set[int]) -> OrderStatus | None:
        """How a still-open order ends today, or None when it keeps waiting."""
        if order.order_id not in due_ids:
            return None
        if order.cancel_remainder:
            return OrderStatus.CANCELLED
        if order.validity == "day" and not order.wait_remainder:
            return OrderStatus.EXPIRED
        if order.validity == "until" and order.valid_until is not None \
                and self.clock.day >= order.valid_until:
            return OrderStatus.EXPIRED
        return None

    def _book(self, order: Order, fill: Fill) -> None:
        self.account.apply(fill, round_cash=not self.rules[order.symbol].fractional)
        self.fills.append(fill)
        order.filled += fill.quantity
        if order.remaining <= QUANTITY_EPSILON:
            order.status = OrderStatus.FILLED
            order.closed = fill.date
        else:
            order.status = OrderStatus.PARTIAL
        self.backtrader.on_fill(order, fill)
