"""Checks made when an order is placed: its prices (present, positive, on the tick), its
quantity (whole lots) and how much of a holding pending sells already cover."""

from __future__ import annotations

import datetime as dt
import math
from typing import TypeGuard

from huice.engine.broker.account import QUANTITY_EPSILON, Account
from huice.engine.broker.clock import MarketClock
from huice.engine.broker.orders import Order, OrderKind
from huice.engine.broker.refusals import Code
from huice.engine.broker.rules import InstrumentRules

# notes that stop an order from being sent
REFUSING = (Code.INVALID, Code.VALIDITY, Code.PARENT, Code.ZERO_LOT, Code.NOTHING_TO_SELL,
            Code.T_PLUS_1, Code.OVER_SELLABLE)


def _valid_price(value: float | None) -> TypeGuard[float]:
    return value is not None and math.isfinite(value) and value > 0


def check_prices(order: Order, rules: InstrumentRules, last_close: float) -> None:
    """Refuse missing or non-positive prices; start a trailing stop; move limit and stop prices
    onto the tick, never more generous than asked (a buy's limit down, a sell's up; a buy's stop
    up, a sell's down), noting the change."""
    kind = order.kind
    limit, stop = order.limit_price, order.stop_price
    if kind.trails:
        if not (order.trail_amount or order.trail_percent) or (order.trail_amount or 0) < 0 \
                or not 0 <= (order.trail_percent or 0) < 1:
            order.note(Code.INVALID, "invalid: a trailing stop needs a positive trail amount or "
                                     "a trail percent in (0, 1)")
            return
        base = stop if stop is not None else last_close
        if not _valid_price(base):
            order.note(Code.INVALID, f"invalid: no price to start the trailing stop from "
                                     f"({order.symbol} has no close yet)")
            return
        if kind.is_stop_limit:
            if not _valid_price(limit):
                order.note(Code.INVALID, "invalid: a trailing stop-limit needs a limit price")
                return
            order.limit_offset = base - limit
        order.trail(base, start=True)
        keep_on_tick(order, rules)
        return
    needs_limit = kind in (OrderKind.LIMIT, OrderKind.STOP_LIMIT)
    needs_stop = kind in (OrderKind.STOP, OrderKind.STOP_LIMIT)
    for needed, name, value in ((needs_limit, "limit", limit), (needs_stop, "stop", stop)):
        if needed and not _valid_price(value):
            order.note(Code.INVALID, f"invalid: a {kind.value} order needs a positive {name} "
                                     f"price, got {value}")
            return
    if needs_limit and limit is not None:
        order.limit_price = _on_tick(order, rules, "limit", limit,
                                     rules.limit_on_tick(limit, order.is_buy))
    if needs_stop and stop is not None:
        order.stop_price = _on_tick(order, rules, "stop", stop,
                                    rules.stop_on_tick(stop, order.is_buy))


def keep_on_tick(order: Order, rules: InstrumentRules) -> None:
    """A trailing stop (and limit) back on the tick after it moved."""
    if order.stop_price is not None:
        order.stop_price = rules.stop_on_tick(order.stop_price, order.is_buy)
    if order.kind.is_stop_limit and order.limit_price is not None:
        order.limit_price = rules.limit_on_tick(order.limit_price, order.is_buy)


def _on_tick(order: Order, rules: InstrumentRules, name: str, asked: float,
             ticked: float) -> float:
    if abs(ticked - asked) > 1e-12:
        direction = "down" if ticked < asked else "up"
        order.note(Code.TICK_ROUNDED, f"tick: {name} {asked:g} is not on the tick {rules.tick:g}; "
                                      f"{order.side} {name} rounded {direction} to {ticked:g}")
    return ticked


def round_lots(order: Order, rules: InstrumentRules, held: float) -> None:
    """Round a buy down to whole lots; a sell too, unless it closes the whole position."""
    if rules.fractional:
        return
    quantity = order.quantity
    whole_position = (not order.is_buy) and abs(quantity - held) <= QUANTITY_EPSILON
    if whole_position:
        return
    order.quantity = rules.whole_lots(quantity)
    if order.quantity == quantity:
        return
    if order.quantity == 0:
        order.note(Code.ZERO_LOT, f"zero lot: {quantity:g} rounds to {order.quantity:g} "
                                  f"({rules.describe_lots()})")
    else:
        order.note(Code.LOT_ROUNDED, f"rounded down from {quantity:g} to whole "
                                     f"{rules.describe_lots()}")


def reserved_by_sells(pending: list[Order], new: Order) -> float:
    """Units that the live sells of one symbol (``pending`` and ``new``) may take: the members of
    a one-cancels-other group or the children of one bracket count once, as the largest."""
    groups: dict[tuple[str, int], float] = {}
    for order in [*pending, new]:
        if order.is_buy or not order.alive or not order.active:
            continue
        key = ("bracket", order.parent_id) if order.parent_id is not None else \
            ("oco", order.oco_id or order.order_id)
        groups[key] = max(groups.get(key, 0.0), order.remaining)
    return sum(groups.values())


def refuse_validity(order: Order, first: dt.date) -> None:
    """Note that ``order``'s validity ends before its first trading day ``first``."""
    order.note(Code.VALIDITY, f"validity: valid until {order.valid_until}, which ends before "
                              f"its first trading day {first}")


def same_bar_buys_before(order: Order, pending: list[Order]) -> list[Order]:
    """Live buys of ``order``'s symbol placed before it and due on the same bar."""
    return [o for o in pending if o.symbol == order.symbol and o.is_buy and o.alive
            and o.order_id < order.order_id and o.eligible_index == order.eligible_index]


def check_sellable(order: Order, rules: InstrumentRules, account: Account,
                   pending: list[Order], clock: MarketClock) -> None:
    """Refuse a sell beyond what is held less what pending sells cover (T+1 included: on the
    bar that bought them, units bought today are not sellable)."""
    symbol = order.symbol
    # a T+0 fund's buys placed before this sell and due on the same bar are bought before it
    # is tried (docs/broker.md, "T+0 funds"): the sell is checked against the position then
    incoming = sum(o.remaining for o in same_bar_buys_before(order, pending)) \
        if rules.t_plus == 0 else 0.0
    held = account.quantity(symbol) + incoming
    if held <= QUANTITY_EPSILON:
        buys = [o for o in pending
                if o.symbol == symbol and o.is_buy and o.eligible_index <= order.eligible_index]
        if buys and rules.t_plus:
            when = clock.dates[min(order.eligible_index, len(clock.dates) - 1)]
            order.note(Code.T_PLUS_1, f"T+1: the {symbol} of pending buy #{buys[0].order_id} are "
                                      f"bought on {when} at the earliest and cannot be sold "
                                      "before the next trading day")
        else:
            order.note(Code.NOTHING_TO_SELL, f"nothing to sell: no {symbol} held")
        return
    same_day = order.eligible_index == clock.index
    sellable = account.sellable(symbol, rules.t_plus) + incoming if same_day else held
    covered = reserved_by_sells([o for o in pending if o.symbol == symbol], order)
    already = covered - order.remaining
    if covered <= sellable + QUANTITY_EPSILON:
        return
    if covered <= held + QUANTITY_EPSILON:
        order.note(Code.T_PLUS_1, f"T+1: {held - sellable:g} {symbol} bought on {clock.day} "
                                  "cannot be sold before the next trading day; "
                                  f"{max(sellable - already, 0):g} sellable")
        return
    order.note(Code.OVER_SELLABLE,
               f"over sellable: a sell of {order.quantity:g} {symbol} exceeds the "
               f"{max(sellable - already, 0):g} sellable ({held:g} held"
               + (f", {held - sellable:g} bought today (T+1)" if sellable < held else "")
               + (f", {already:g} in pending sells" if already else "") + ")")


def check_validity(order: Order, clock: MarketClock) -> None:
    """A plugin's order valid until a date before its first trading day is refused (a
    backtrader order is accepted and expires on its first bar, as backtrader does); the first
    trading day of an order placed on the run's last day is the exchange calendar's next."""
    if order.backtrader_timing or order.validity == "gtc":
        return
    first = clock.day_at(order.eligible_index)
    if order.validity == "until" and order.valid_until is not None and first is not None \
            and order.valid_until < first:
        refuse_validity(order, first)


def match_key(order: Order, rules: InstrumentRules, pending: list[Order]) -> tuple[bool, int]:
    """The order in which a bar's due orders are tried: a backtrader strategy's in order of
    placement; a plugin's sells before its buys, except a T+0 fund's sell placed after a buy of
    it due on the same bar, tried after that buy (a same-bar round trip, as the exchange
    allows)."""
    if order.backtrader_timing:
        return False, order.order_id
    if not order.is_buy and rules.t_plus == 0 and same_bar_buys_before(order, pending):
        return True, order.order_id
    return order.is_buy, order.order_id
