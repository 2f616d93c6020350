"""backtrader's broker contract on top of the A-share broker.

A ``bt.Strategy`` calls ``buy``/``sell``/``cancel``; each backtrader order is mapped to a huice
order that the A-share rules fill (lots, T+1, limits, suspension, dated fees, slippage). The
backtrader order then goes through backtrader's statuses, delivered to ``notify_order``:
Submitted and Accepted when placed; Partial and Completed as it fills (with backtrader's
execution bits, so ``notify_trade`` and the analyzers see the trades); and, when it ends
unfilled, Canceled, Expired, Margin (no cash for a single lot) or Rejected (T+1, lots, nothing
to sell, an order type daily bars cannot fill), with huice's reason in ``order.info.reason``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import deque
from typing import TYPE_CHECKING, Any

import backtrader as bt

from huice.engine.broker.commission import compute_fees
from huice.engine.broker.events import BrokerEvents
from huice.engine.broker.orders import Fill, Order, OrderKind, OrderStatus
from huice.engine.broker.refusals import Code

if TYPE_CHECKING:
    from huice.engine.broker.cerebro_broker import CerebroBroker

_KINDS = {None: OrderKind.MARKET, bt.Order.Market: OrderKind.MARKET,
          bt.Order.Close: OrderKind.CLOSE, bt.Order.Limit: OrderKind.LIMIT,
          bt.Order.Stop: OrderKind.STOP, bt.Order.StopLimit: OrderKind.STOP_LIMIT,
          bt.Order.StopTrail: OrderKind.STOP_TRAIL,
          bt.Order.StopTrailLimit: OrderKind.STOP_TRAIL_LIMIT}


def validity_of(bt_order: bt.Order, kind: OrderKind) -> tuple[str, dt.date | None]:
    """A backtrader order's validity as huice's (validity, last date), read from the ``valid``
    that backtrader's own order computed: ``None`` (or 0) is good-till-cancelled, a market order
    never expires, and otherwise the order may fill on every bar whose time is at or before
    ``valid`` (bars are stamped at midnight, so a date is inclusive, ``Order.DAY`` ends with the
    day it was placed, and ``timedelta(days=1)`` placed on a Friday ends on Saturday)."""
    if kind is OrderKind.MARKET or not bt_order.valid:
        return "gtc", None
    return "until", bt.num2date(bt_order.valid).date()


class BacktraderOrders(BrokerEvents):
    """The backtrader side of a :class:`CerebroBroker`: orders, notifications, positions."""

    def __init__(self, broker: CerebroBroker) -> None:
        self.broker = broker
        self._orders: dict[int, bt.Order] = {}        # huice order id -> backtrader order
        self._huice: dict[int, Order] = {}            # backtrader ref -> huice order
        self._notifications: deque[Any] = deque()
        self._positions: dict[str, bt.Position] = {}
        self._costed_bar = -1      # the bar whose orders _cash_left has costed so far
        self._cash_left = 0.0

    # -- placing ----------------------------------------------------------------------------
    def place(self, owner: Any, data: Any, size: float, is_buy: bool, price: float | None,
              plimit: float | None, exectype: int | None, valid: Any, tradeid: int, oco: Any,
              trailamount: float | None, trailpercent: float | None, parent: Any,
              info: dict[str, Any]) -> Any:
        """Create the backtrader order, map it to a huice order, notify Submitted/Accepted (or
        Rejected with the reason)."""
        order_class = bt.BuyOrder if is_buy else bt.SellOrder
        bt_order = order_class(owner=owner, data=data, size=size, price=price,
                               pricelimit=plimit, exectype=exectype, valid=valid,
                               tradeid=tradeid, trailamount=trailamount,
                               trailpercent=trailpercent, parent=parent)
        bt_order.addinfo(**info)
        bt_order.addcomminfo(self.broker.getcommissioninfo(data))
        broker = self.broker
        tag = str(info.get("tag", ""))
        problem = self._unsupported(exectype, price, plimit)
        if problem:
            order = broker.reject_unsupported(data._name, is_buy, abs(size), problem, tag)
            bt_order.submit(broker)
            return self._reject(bt_order, "; ".join(order.reasons))
        kind = _KINDS[exectype]
        validity, until = validity_of(bt_order, kind)
        trailing = kind in (OrderKind.STOP_TRAIL, OrderKind.STOP_TRAIL_LIMIT)
        limit = plimit if kind in (OrderKind.STOP_LIMIT, OrderKind.STOP_TRAIL_LIMIT) else (
            price if kind is OrderKind.LIMIT else None)
        stop = price if kind not in (OrderKind.MARKET, OrderKind.CLOSE, OrderKind.LIMIT) \
            else None
        order = broker.submit_order(
            data._name, is_buy, abs(size), tag=tag, kind=kind, limit_price=limit,
            stop_price=stop, validity=validity, valid_until=until,
            trail_amount=trailamount if trailing else None,
            trail_percent=trailpercent if trailing else None,
            oco=self._huice.get(oco.ref) if oco is not None else None,
            parent=self._huice.get(parent.ref) if parent is not None else None,
            backtrader_timing=True)
        self._orders[order.order_id] = bt_order
        self._huice[bt_order.ref] = order
        bt_order.submit(broker)
        self._notify(bt_order)
        if order.status is OrderStatus.REJECTED:
            self._orders.pop(order.order_id, None)
            return self._reject(bt_order, "; ".join(order.reasons))
        if order.quantity != abs(size):  # rounded to whole lots: the order is for what is sent
            signed = order.quantity if is_buy else -order.quantity
            bt_order.size = signed
            bt_order.created.size = signed
            bt_order.executed.remsize = signed
        if self._margin_when_submitted(bt_order, order):
            broker.end_unpaid(order)
            return bt_order
        if order.reasons:
            bt_order.addinfo(reason="; ".join(order.reasons))
        self.on_trail(order)
        bt_order.accept(broker)
        self._notify(bt_order)
        return bt_order

    def _margin_when_submitted(self, bt_order: bt.Order, order: Order) -> bool:
        """backtrader's check when an order is submitted: the orders placed on one bar are
        costed in turn at their created price (a market order's is the bar's close), buys
        spending and sells of held units adding to the cash, and a buy that the cash left
        cannot pay ends with Margin before it is accepted. huice asks that of one lot (it buys
        the whole lots cash allows when the order fills); a bracket child waits for its parent
        and is costed then, as in backtrader."""
        broker = self.broker
        if order.parent_id is not None:
            return False
        index = broker.clock.index
        if self._costed_bar != index:
            self._costed_bar, self._cash_left = index, broker.account.cash
        price = bt_order.created.price
        if price is None or not math.isfinite(price) or price <= 0:
            price = bt_order.created.pclose
        rules = broker.rules[order.symbol]
        day = broker.clock.day
        if not order.is_buy:
            value = order.quantity * price
            self._cash_left += value - compute_fees(rules, False, value, day).total
            return False
        lot = float(rules.smallest_order) if not rules.fractional else order.quantity
        one_lot = lot * price
        if one_lot + compute_fees(rules, True, one_lot, day).total > self._cash_left + 1e-9:
            order.cash_short = True
            order.note(Code.CASH_SHORT, f"cash short: {self._cash_left:.2f} CNY does not pay "
                                        f"one lot ({lot:g}) at {price:g} with fees")
            return True
        value = order.quantity * price
        self._cash_left = max(self._cash_left - value - compute_fees(rules, True, value,
                                                                     day).total, 0.0)
        return False

    @staticmethod
    def _unsupported(exectype: int | None, price: float | None, plimit: float | None) -> str:
        if exectype not in _KINDS:
            name = bt.Order.ExecTypes[exectype] if isinstance(exectype, int) else exectype
            return (f"invalid: exectype {name} is not supported (market, close, limit, stop, "
                    "stop-limit, stop-trail and stop-trail-limit are)")
        if exectype in (bt.Order.Limit, bt.Order.Stop, bt.Order.StopLimit) and price is None:
            return "invalid: a limit or stop order needs a price"
        if exectype in (bt.Order.StopLimit, bt.Order.StopTrailLimit) and plimit is None:
            return "invalid: a stop-limit order needs plimit (the limit price)"
        return ""

    def _reject(self, bt_order: bt.Order, reason: str) -> bt.Order:
        bt_order.addinfo(reason=reason)
        bt_order.reject(self.broker)
        self._notify(bt_order)
        return bt_order

    def cancel(self, bt_order: bt.Order) -> bool:
        order = self._huice.get(bt_order.ref)
        if order is None:
            return False
        return self.broker.cancel_order(order, "cancelled by strategy")

    # -- events from the broker ---------------------------------------------------------------
    def on_fill(self, order: Order, fill: Fill) -> None:
        """Execute the backtrader order with the fill, as backtrader's own broker would."""
        position = self._positions.setdefault(order.symbol, self._position_from_account(
            order.symbol, before_fill=fill))
        bt_order = self._orders.get(order.order_id)
        size = fill.quantity if fill.is_buy else -fill.quantity
        entry_price = position.price
        psize, pprice, opened, closed = position.update(size, fill.price)
        if bt_order is None:
            return
        closed_value = abs(closed) * entry_price
        pnl = -closed * (fill.price - entry_price) if closed else 0.0
        opened_value = abs(opened) * fill.price
        share = abs(closed) / fill.quantity if fill.quantity else 0.0
        bt_order.execute(self.broker.clock.bt_times[self.broker.clock.index], size, fill.price,
                         closed, closed_value, fill.fees * share,
                         opened, opened_value, fill.fees * (1 - share),
                         0.0, pnl, psize, pprice)
        if order.status is OrderStatus.FILLED:
            bt_order.completed()
        self._notify(bt_order)

    def on_closed(self, order: Order) -> None:
        """An order left the book without (fully) filling: tell the strategy how and why."""
        bt_order = self._orders.pop(order.order_id, None)
        if bt_order is None or order.status is OrderStatus.FILLED:
            return
        bt_order.addinfo(reason="; ".join(order.reasons))
        if order.status is OrderStatus.CANCELLED:
            bt_order.cancel()
        elif order.cash_short:  # cash did not pay (the rest of) the buy: backtrader's Margin
            bt_order.margin()
        elif order.filled == 0 and any(code.rejects for code in order.codes):
            bt_order.reject(self.broker)
        elif order.filled == 0 and any(code.margin for code in order.codes):
            bt_order.margin()
        else:
            bt_order.status = bt.Order.Expired
            bt_order.executed.dt = self.broker.clock.bt_times[self.broker.clock.index]
        self._notify(bt_order)

    def on_trail(self, order: Order) -> None:
        """A trailing stop moved: the backtrader order shows the same stop and limit."""
        bt_order = self._orders.get(order.order_id)
        if bt_order is not None and order.kind in (OrderKind.STOP_TRAIL,
                                                   OrderKind.STOP_TRAIL_LIMIT):
            bt_order.created.price = order.stop_price
            if order.kind is OrderKind.STOP_TRAIL_LIMIT:
                bt_order.created.pricelimit = order.limit_price

    def on_split(self, symbol: str, before: float, after: float) -> None:
        position = self._positions.get(symbol)
        if position is not None and before:
            position.size = after
            position.price = position.price * before / after if after else 0.0

    def on_restore(self, pending: list[Order]) -> None:
        """A paper account's state replaced the simulated one: keep the backtrader orders of the
        pending huice orders, and rebuild positions from the account."""
        self._orders = {o.order_id: self._orders[o.order_id] for o in pending
                        if o.order_id in self._orders}
        self._positions = {}
        for symbol in self.broker.account.positions:
            position = self._position_from_account(symbol)
            if position.size:
                self._positions[symbol] = position

    # -- reading ----------------------------------------------------------------------------
    def position(self, symbol: str) -> bt.Position:
        """backtrader's position: size and average entry price (fees not included)."""
        position = self._positions.get(symbol)
        if position is None:
            position = self._position_from_account(symbol)
            if position.size:
                self._positions[symbol] = position
        return position

    def _position_from_account(self, symbol: str, before_fill: Fill | None = None
                               ) -> bt.Position:
        held = self.broker.account.positions.get(symbol)
        quantity = held.quantity if held is not None else 0.0
        price = held.cost / held.quantity if held is not None and held.quantity else 0.0
        if before_fill is not None:  # the position as it was before this fill was booked
            quantity -= before_fill.quantity if before_fill.is_buy else -before_fill.quantity
            if not price:  # the fill closed it: its cost is gone with it
                price = before_fill.price
        return bt.Position(size=quantity, price=price) if abs(quantity) > 1e-9 else \
            bt.Position()

    def next_notification(self) -> Any:
        return self._notifications.popleft() if self._notifications else None

    def _notify(self, bt_order: bt.Order) -> None:
        self._notifications.append(bt_order.clone())
