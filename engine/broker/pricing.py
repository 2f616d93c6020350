"""The price an order would trade at on a daily bar, before slippage: backtrader's rules.

With ``execution: open`` the order is due at the bar's open, so the whole bar (its high, low and
close) comes after that moment; the cases below are those of backtrader's ``BackBroker``, so a
backtrader strategy fills on the same bar at the same price under huice (the differential test,
tests/engine/test_backtrader_differential.py, keeps this true). With ``execution: close`` or
``vwap`` the one reference price is compared with the order's prices instead.
"""

from __future__ import annotations

from huice.engine.broker.clock import BarView
from huice.engine.broker.execution import Execution
from huice.engine.broker.orders import Order, OrderKind

PRICE_EPSILON = 1e-9


def _given(price: float | None) -> float:
    """A price the order's kind guarantees (checked when the order was placed)."""
    if price is None:
        raise ValueError("an order of this kind needs this price (checked when placed)")
    return price


def _at_or_below(price: float, level: float) -> bool:
    return price <= level + PRICE_EPSILON


def _at_or_above(price: float, level: float) -> bool:
    return price >= level - PRICE_EPSILON


def limit_price_on_bar(is_buy: bool, limit: float, bar: BarView) -> float | None:
    """A limit order due at the open: the open when it is at or better than the limit, else
    the limit when the bar reaches it, else None."""
    if is_buy:
        if _at_or_below(bar.open, limit):
            return bar.open
        return limit if _at_or_below(bar.low, limit) else None
    if _at_or_above(bar.open, limit):
        return bar.open
    return limit if _at_or_above(bar.high, limit) else None


def _stop_at_open(order: Order, bar: BarView) -> float | None:
    """A stop: the open when the open is through the stop, the stop when the bar reaches it;
    which is how a limit order of the other side at that price fills (a buy stop at S trades
    when a sell limit at S would)."""
    return limit_price_on_bar(not order.is_buy, _given(order.stop_price), bar)


def _stop_limit_at_open(order: Order, bar: BarView) -> float | None:
    """A stop-limit not yet triggered. Through the stop at the open: a limit order for the whole
    bar. Reached inside the bar: at the stop when the limit allows it; at the limit when the
    bar's path after the stop must have crossed it (it went up to the stop and closed at or
    below the limit, for a buy); otherwise it rests as a limit order from the next bar.

    One rule for both sides, each comparison in the order's direction, with one exception kept
    from backtrader: its rule is not symmetric where the bar opens and closes at the same price
    (a buy needs open > close, a sell open <= close), and huice keeps its answer there too."""
    stop, limit = _given(order.stop_price), _given(order.limit_price)
    buy = order.is_buy
    through = _at_or_above if buy else _at_or_below  # at or past, in the order's direction
    if through(bar.open, stop):
        order.triggered = True
        return limit_price_on_bar(buy, limit, bar)
    if not through(bar.high if buy else bar.low, stop):
        return None
    order.triggered = True
    if through(limit, stop):
        return stop
    came_back = bar.open > bar.close if buy else bar.open <= bar.close
    if came_back and through(limit, bar.close):
        return limit
    return None


def _at_one_price(order: Order, market: float) -> float | None:
    """``execution: close`` or ``vwap``: the reference price when the order's prices allow."""
    kind, buy = order.kind, order.is_buy
    if (kind.is_stop or kind.is_stop_limit) and not order.triggered:
        stop = _given(order.stop_price)
        reached = _at_or_above(market, stop) if buy else _at_or_below(market, stop)
        if not reached:
            return None
        order.triggered = True
        if kind.is_stop:
            return market
    if kind.is_stop:
        return market
    limit = _given(order.limit_price)
    within = _at_or_below(market, limit) if buy else _at_or_above(market, limit)
    return market if within else None


def order_reference(order: Order, bar: BarView, execution: Execution) -> float | None:
    """The price ``order`` trades at on ``bar`` before slippage, or None when its limit or stop
    is not reached (docs/broker.md, "Order types"). Sets ``order.triggered`` when a stop is
    reached."""
    kind = order.kind
    if kind is OrderKind.MARKET:
        return execution.reference(bar)
    if kind is OrderKind.CLOSE:
        return bar.close
    if not execution.path_known:
        return _at_one_price(order, execution.reference(bar))
    if kind is OrderKind.LIMIT or (kind.is_stop_limit and order.triggered):
        return limit_price_on_bar(order.is_buy, _given(order.limit_price), bar)
    if kind.is_stop:
        if order.triggered:  # reached on an earlier bar but refused there: a market order now
            return bar.open
        price = _stop_at_open(order, bar)
        if price is not None:
            order.triggered = True
        return price
    return _stop_limit_at_open(order, bar)
