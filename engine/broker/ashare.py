"""The A-share broker: fills orders under China's costs and rules.

It keeps its own ledger (cash, positions with T+1 lots, orders, itemised fills) and is driven by
a runner: ``next()`` runs at the start of every bar and fills pending orders at the open (or at
the typical price for ``vwap``); with ``execution: close`` the engine asks it to fill at the close
of the bar on which the orders were placed. Plugins place orders with :meth:`submit_order`.
On Cerebro the broker is :class:`~huice.engine.broker.cerebro_broker.CerebroBroker`, the same
broker with backtrader's broker contract on top (``buy``/``sell``/``cancel``, positions and
notifications for ``bt.Strategy`` classes); this module does not import backtrader.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from loguru import logger

from huice.config.schema import BrokerConfig
from huice.engine.broker import placement
from huice.engine.broker.account import QUANTITY_EPSILON, Account
from huice.engine.broker.clock import MarketClock
from huice.engine.broker.contingent import ContingentOrders
from huice.engine.broker.corporate import book_corporate_actions
from huice.engine.broker.dividend_tax import LotBook
from huice.engine.broker.events import BrokerEvents
from huice.engine.broker.execution import Execution
from huice.engine.broker.matching import OrderMatcher
from huice.engine.broker.orders import (
    CorporateAction,
    Fill,
    Order,
    OrderKind,
    OrderStatus,
    last_index,
)
from huice.engine.broker.refusals import Code
from huice.engine.broker.rules import InstrumentRules
from huice.engine.broker.slippage import slippage_from_config
from huice.engine.broker.state import export_account, restore_account


class AShareBroker:
    """A broker with A-share commission, stamp duty, transfer fee, slippage, lots, T+1, price
    limits, suspension and a cash check. See ``docs/broker.md`` for every rule."""

    def __init__(self, config: BrokerConfig, rules: Mapping[str, InstrumentRules],
                 clock: MarketClock) -> None:
        super().__init__()
        self.config = config
        self.rules = dict(rules)
        self.clock = clock
        self.account = Account(cash=config.initial_cash)
        self.lots = LotBook()  # the stocks' purchases, for the dividend tax at their sale
        self.matcher = OrderMatcher(config, self.rules, clock, self.account,
                                    slippage_from_config(config.slippage), self.lots)
        self.startingcash = config.initial_cash  # read by backtrader's writer info
        self.orders: list[Order] = []
        self.fills: list[Fill] = []
        self.actions: list[CorporateAction] = []
        self._pending: list[Order] = []
        self._next_id = 1
        self.events = BrokerEvents()  # nobody listens on the engine's runner
        self.contingent = ContingentOrders()
        self.execution = Execution(config.execution)
        # asked on every bar: worked out once (the execution mode never changes in a run)
        self._same_bar = self.execution.same_bar
        self._feeds: Sequence[Any] = ()
        # called after each trading day that none of the followed feeds has a bar on (Cerebro
        # calls nothing then): the ledger's snapshot and a paper account's booking, so that
        # every trading day of the run is in its results
        self.passed_day_listeners: list[Callable[[], None]] = []

    # -- what a runner reads -------------------------------------------------------------------
    def getcash(self) -> float:
        return self.account.cash

    def getvalue(self, datas: Sequence[Any] | None = None) -> float:
        """Equity, or the market value of the positions in ``datas`` (backtrader's contract)."""
        if datas is None:
            return self.equity()
        value = 0.0
        for data in datas:
            quantity = self.account.quantity(data._name)
            if quantity:
                value += quantity * self.clock.last_close(data._name)
        return value

    def follow_feeds(self, feeds: Sequence[Any]) -> None:
        """Take each bar's date from these feeds (a backtrader strategy's own), so that days on
        which none of them has a bar are passed over in step with Cerebro."""
        self._feeds = list(feeds)

    def next(self) -> None:
        """Start of a bar: advance the clock, release T+1 lots, fill at the open (or vwap)."""
        if self._feeds:
            target = self.clock.index_of_time(max(f.datetime[0] for f in self._feeds if len(f)))
            self.pass_days_until(target - 1)
        self.start_day()

    def pass_days_until(self, index: int) -> None:
        """Step through the trading days up to ``index`` on which no followed feed has a bar
        (all suspended, or before they start or after they end): the day starts as any other
        (T+1, corporate actions, orders tried and noted), then the listeners record it."""
        while self.clock.index < index:
            self.start_day()
            if self._same_bar:
                self._match()
            for listener in self.passed_day_listeners:
                listener()

    def start_day(self) -> None:
        """Advance the clock one calendar day and start it: T+1 release, corporate actions,
        then (unless orders fill at the close) the orders tried at the open."""
        clock = self.clock
        clock.advance()
        if self.account.positions:
            self.account.start_day()
        if clock.index in clock.action_days:
            book_corporate_actions(clock, self.account, self.rules, self.actions,
                                   self.events.on_split, self.lots)
        if self._pending and not self._same_bar:
            self._match()

    # -- orders ------------------------------------------------------------------------------
    def submit_order(self, symbol: str, is_buy: bool, quantity: float, tag: str = "", *,
                     kind: OrderKind = OrderKind.MARKET, limit_price: float | None = None,
                     stop_price: float | None = None, validity: str | None = None,
                     valid_until: dt.date | None = None, trail_amount: float | None = None,
                     trail_percent: float | None = None, oco: Order | None = None,
                     parent: Order | None = None, backtrader_timing: bool = False) -> Order:
        """Place an order for ``quantity`` units; what the exchange forbids is refused here.

        A buy is rounded down to whole lots; a sell that is not a whole number of lots is kept
        only when it closes the position. Limit and stop prices are moved onto the tick (never
        more generous than asked). A sell beyond what is held less what pending sells already
        cover (T+1 included) is refused, as is an order whose validity ends before its first
        trading day. A refused order is recorded as ``rejected`` with its code and reason and
        never reaches the market.

        ``kind``, ``limit_price``, ``stop_price``, ``trail_amount``/``trail_percent`` (trailing
        stops; ``stop_price`` is then the price the trail starts from, default the latest
        close), ``validity`` (day, gtc, until) and ``valid_until`` make the order types of
        docs/broker.md; validity defaults to ``broker.order_validity``. ``oco`` joins another
        order's one-cancels-other group; ``parent`` makes a bracket child that waits for its
        parent to fill. ``backtrader_timing``: see :class:`~huice.engine.broker.orders.Order`.
        """
        rules = self.rules[symbol]
        day = self.clock.day
        eligible = self.clock.index + (0 if self._same_bar else 1)
        order = Order(order_id=self._next_id, created=day, symbol=symbol, is_buy=is_buy,
                      quantity=float(quantity), eligible_index=eligible,
                      validity=validity or self.config.order_validity, tag=tag, kind=kind,
                      limit_price=limit_price, stop_price=stop_price, valid_until=valid_until,
                      backtrader_timing=backtrader_timing, trail_amount=trail_amount,
                      trail_percent=trail_percent)
        self._next_id += 1
        self.orders.append(order)
        self.contingent.link(order, oco, parent)
        placement.check_prices(order, rules, self.clock.last_close(symbol))
        placement.round_lots(order, rules, self.account.quantity(symbol))
        if not order.codes or not order.has(*placement.REFUSING):
            placement.check_validity(order, self.clock)
        if parent is not None and not parent.alive:
            order.note(Code.PARENT, f"parent: bracket parent #{parent.order_id} is "
                                    f"{parent.status.value}, so its child is not sent")
        if not is_buy and not order.has(*placement.REFUSING) and not self._contingent_sell(order):
            placement.check_sellable(order, rules, self.account, self._pending, self.clock)
        if order.has(*placement.REFUSING):
            order.quantity = 0.0
        if order.quantity <= QUANTITY_EPSILON:
            order.status = OrderStatus.REJECTED
            order.closed = day
            logger.debug("order {} {} {} not sent: {}", order.order_id, order.side, symbol,
                         "; ".join(order.reasons))
            return order
        self._pending.append(order)
        return order

    def _contingent_sell(self, order: Order) -> bool:
        """A bracket child selling what its buy parent will buy is checked when it activates."""
        return order.parent_id is not None and any(
            o.order_id == order.parent_id and o.is_buy for o in self._pending)

    def reject_unsupported(self, symbol: str, is_buy: bool, quantity: float, reason: str,
                           tag: str = "") -> Order:
        """Record an order that cannot be placed at all (an unknown order type, a missing
        price), so that orders.csv lists every order."""
        order = Order(order_id=self._next_id, created=self.clock.day, symbol=symbol,
                      is_buy=is_buy, quantity=0.0, eligible_index=self.clock.index, tag=tag,
                      status=OrderStatus.REJECTED, closed=self.clock.day)
        order.note(Code.INVALID, reason)
        self._next_id += 1
        self.orders.append(order)
        return order

    def end_unpaid(self, order: Order) -> None:
        """End a live order that the cash cannot pay (a backtrader order's Margin when it is
        submitted): it never reaches the market, and what it ties to is cancelled."""
        if order in self._pending:
            self._pending.remove(order)
        self._end(order, OrderStatus.REJECTED, Code.CASH_SHORT, "")

    def fill_at_close(self) -> None:
        """Fill the orders due today at today's close (``execution: close``)."""
        self._match()

    def cancel_order(self, order: Order, reason: str, code: Code = Code.CANCELLED) -> bool:
        """Cancel one pending order (and what its OCO group or bracket ties to it); False when
        it is no longer pending."""
        if order not in self._pending or not order.alive:
            return False
        self._end(order, OrderStatus.CANCELLED, code, reason)
        return True

    def cancel_all(self, reason: str) -> None:
        """Cancel every pending order (e.g. at the end of the run)."""
        for order in list(self._pending):
            if order.alive:
                self._end(order, OrderStatus.CANCELLED, Code.CANCELLED, reason, cascade=False)

    @property
    def pending(self) -> list[Order]:
        return [o for o in self._pending if o.alive]

    def pending_orders(self, symbol: str | None = None) -> list[Order]:
        """Orders still waiting to fill (for ``symbol`` only, if given)."""
        if not self._pending:
            return []
        return [o for o in self._pending if o.alive and (symbol is None or o.symbol == symbol)]

    # -- state, for paper trading across restarts ---------------------------------------------
    def export_state(self) -> dict[str, Any]:
        """Everything needed to continue after today's close, as JSON types."""
        state = export_account(self.account, self._next_id, self._pending, self.clock.day_at)
        if self.lots.lots:  # accounts without taxed lots keep their older records
            state["tax_lots"] = self.lots.export()
        return state

    def restore_state(self, state: dict[str, Any]) -> None:
        """Replace the account with :meth:`export_state`'s output, at the start of the first bar
        after the booked ones: what the run simulated before is dropped (the paper ledger holds
        it), so orders, fills and actions from here on are the new day's."""
        self._next_id, self._pending = restore_account(self.account, state, self.clock.dates)
        self.lots.lots = LotBook.restore(state.get("tax_lots", {})).lots
        self.contingent = ContingentOrders()
        self.contingent.restore(self._pending)
        self.orders = list(self._pending)
        self.fills = []
        self.actions = []
        self.events.on_restore(self._pending)

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
        # a backtrader strategy's orders in order of placement, as backtrader's broker does;
        # a plugin's sells before its buys, so that a rebalance buys with what it sold
        queue = sorted(self._pending,
                       key=lambda o: placement.match_key(o, self.rules[o.symbol], self._pending))
        tried = []
        for order in queue:
            if not order.alive:  # ended by an OCO group or a bracket earlier in this loop
                continue
            if self._lapsed(order, today):
                last = last_index(order, self.clock.dates)
                self._end(order, OrderStatus.EXPIRED, Code.EXPIRED,
                          f"expired: valid through {order.valid_until}" if last is None or
                          last < 0 else f"expired: valid through {self.clock.dates[last]}")
                continue
            if order.eligible_index > today or not order.active:
                continue
            tried.append(order)
            triggered_before = order.triggered
            fill = self.matcher.execute(order)
            if fill is not None:
                self._book(order, fill)
            if order.alive and order.kind.trails and not (
                    order.kind.is_stop_limit and triggered_before):
                self._trail(order)
        for order in tried:
            if order.alive:
                ending = self._ending(order)
                if ending is not None:
                    self._end(order, ending, Code.EXPIRED, "")
        self._pending = [o for o in self._pending if o.alive]

    def _lapsed(self, order: Order, today: int) -> bool:
        """Whether ``order``'s validity ended before today (it expires before today is tried;
        a backtrader market order never expires, as in backtrader)."""
        if order.backtrader_timing and order.kind is OrderKind.MARKET:
            return False
        last = last_index(order, self.clock.dates)
        return last is not None and last < today

    def _ending(self, order: Order) -> OrderStatus | None:
        """How an order that was due today and is still open ends today, or None when it keeps
        waiting."""
        if order.cancel_remainder:
            return OrderStatus.CANCELLED
        if order.cash_short:  # what cash could not pay is not kept (backtrader's Margin)
            return OrderStatus.EXPIRED
        if order.backtrader_timing:  # its expiry is noticed on the next bar
            return None
        if order.validity == "day" and not order.wait_remainder:
            return OrderStatus.EXPIRED
        if order.validity == "until" and order.valid_until is not None:
            following = self.clock.following_day()  # the exchange's, past the run's last day
            if following is None or following > order.valid_until:
                return OrderStatus.EXPIRED
        return None

    def _trail(self, order: Order) -> None:
        """Move a trailing stop after today's close (only when the instrument traded)."""
        bar = self.clock.bar(order.symbol)
        if bar is None:
            return
        if order.trail(bar.close):
            placement.keep_on_tick(order, self.rules[order.symbol])
            self.events.on_trail(order)

    def _end(self, order: Order, status: OrderStatus, code: Code, reason: str,
             cascade: bool = True) -> None:
        """Close ``order`` unfilled (or partly filled) and tell the strategy; the orders its
        OCO group or bracket ties to it are cancelled (not further cascaded)."""
        order.status = status
        order.closed = self.clock.day
        if reason:
            order.note(code, reason)
        self.events.on_closed(order)
        if not cascade:
            return
        for other in self.contingent.oco_others(order):
            self._end(other, OrderStatus.CANCELLED, Code.OCO,
                      f"oco: #{order.order_id} of its group was {status.value}", cascade=False)
        for other in self.contingent.family_others(order):
            if other.alive:
                self._end(other, OrderStatus.CANCELLED, Code.BRACKET,
                          f"bracket: #{order.order_id} of its bracket was {status.value}",
                          cascade=False)

    def _book(self, order: Order, fill: Fill) -> None:
        self.account.apply(fill)
        if self.rules[fill.symbol].dividend_tax:
            self.lots.book(fill)
        self.fills.append(fill)
        order.filled += fill.quantity
        if order.remaining <= QUANTITY_EPSILON:
            order.status = OrderStatus.FILLED
            order.closed = fill.date
        else:
            order.status = OrderStatus.PARTIAL
        self.events.on_fill(order, fill)
        for other in self.contingent.oco_others(order):
            self._end(other, OrderStatus.CANCELLED, Code.OCO,
                      f"oco: #{order.order_id} of its group filled", cascade=False)
        if order.status is not OrderStatus.FILLED:
            return
        for child in self.contingent.children_of(order):  # a bracket's children, from tomorrow
            child.active = True
            child.eligible_index = max(child.eligible_index, self.clock.index + 1)
        for sibling in self.contingent.siblings(order):
            self._end(sibling, OrderStatus.CANCELLED, Code.BRACKET,
                      f"bracket: #{order.order_id} of its bracket filled", cascade=False)
