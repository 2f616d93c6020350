"""Matching one order against one daily bar under the A-share rules.

Every rule that says no leaves its reason on the order (orders.csv). Prices: the reference
price of the order's kind, moved against the trader by slippage, rounded to the tick against
the trader, kept inside the bar, the day's limits and the order's own limit.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

from loguru import logger

from huice.config.schema import BrokerConfig
from huice.engine.broker.account import QUANTITY_EPSILON, Account
from huice.engine.broker.clock import BarView, MarketClock
from huice.engine.broker.commission import compute_fees, marginal_fee_rate
from huice.engine.broker.money import ceil_to_tick, floor_to_tick, round_cents, round_to_tick
from huice.engine.broker.orders import Fill, Order, OrderKind
from huice.engine.broker.rules import InstrumentRules
from huice.engine.broker.slippage import SlippageModel

PRICE_EPSILON = 1e-9


def day_limits(rules: InstrumentRules, bar: BarView, day: dt.date
               ) -> tuple[float | None, float | None]:
    """The day's limit-up and limit-down, from the ex-rights reference price
    ``(previous close - cash dividend) / split ratio`` (the previous close on other days)."""
    rate = rules.limit_rate(day)
    if rate <= 0 or math.isnan(bar.limit_base):
        return None, None
    up = bar.limit_base * (1 + rate)
    down = bar.limit_base * (1 - rate)
    if rules.tick:
        up, down = round_to_tick(up, rules.tick), round_to_tick(down, rules.tick)
    return up, down


class OrderMatcher:
    """Fills orders for one account; shares the broker's account, rules and clock."""

    def __init__(self, config: BrokerConfig, rules: Mapping[str, InstrumentRules],
                 clock: MarketClock, account: Account, slippage: SlippageModel) -> None:
        self.config = config
        self.rules = rules
        self.clock = clock
        self.account = account
        self.slippage = slippage

    # -- prices ----------------------------------------------------------------------------
    def execution_price(self, bar: BarView) -> float:
        """The reference price of a market order: open, close or typical (``execution``)."""
        execution = self.config.execution
        if execution == "close":
            return bar.close
        if execution == "vwap":
            return (bar.high + bar.low + bar.close) / 3.0
        return bar.open

    def order_reference(self, order: Order, bar: BarView) -> float | None:
        """The price this order would trade at on ``bar`` before slippage, or None when its
        limit or stop is not reached today (docs/broker.md, "Order types")."""
        market = self.execution_price(bar)
        if order.kind is OrderKind.MARKET:
            return market
        at_open = self.config.execution == "open"
        buy = order.is_buy
        if order.kind in (OrderKind.STOP, OrderKind.STOP_LIMIT) and not order.triggered:
            stop = order.stop_price
            if at_open:
                reached = bar.high >= stop - PRICE_EPSILON if buy else bar.low <= stop + PRICE_EPSILON
                through = bar.open >= stop if buy else bar.open <= stop
                trigger = bar.open if through else stop
            else:
                reached = market >= stop - PRICE_EPSILON if buy else market <= stop + PRICE_EPSILON
                trigger = market
            if not reached:
                return None
            order.triggered = True
            if order.kind is OrderKind.STOP:
                return trigger
            # a stop-limit trades at the trigger when that is within its limit; otherwise it
            # rests as a limit order from the next bar (the bar's path after the trigger is
            # unknown on daily data)
            within = trigger <= order.limit_price if buy else trigger >= order.limit_price
            return trigger if within else None
        if order.kind is OrderKind.STOP:
            return market  # triggered on an earlier bar: a market order now
        limit = order.limit_price
        if not at_open:
            within = market <= limit + PRICE_EPSILON if buy else market >= limit - PRICE_EPSILON
            return market if within else None
        if buy:
            if bar.open <= limit:
                return bar.open
            return limit if bar.low <= limit + PRICE_EPSILON else None
        if bar.open >= limit:
            return bar.open
        return limit if bar.high >= limit - PRICE_EPSILON else None

    def fill_price(self, order: Order, reference: float, bar: BarView, rules: InstrumentRules,
                   up: float | None, down: float | None) -> float | None:
        """Reference price moved against the trader by slippage and rounded to the tick against
        the trader, then kept inside the bar's range, the day's limits and the order's limit
        (None when those do not overlap)."""
        is_buy = order.is_buy
        lowest = max(bar.low, down) if down is not None else bar.low
        highest = min(bar.high, up) if up is not None else bar.high
        if lowest > highest + PRICE_EPSILON:
            return None
        price = self.slippage.adjust(reference, is_buy, rules.tick)
        if rules.tick:
            price = ceil_to_tick(price, rules.tick) if is_buy else floor_to_tick(price, rules.tick)
        price = max(price, reference) if is_buy else min(price, reference)
        if order.limit_price is not None:  # slippage never takes a limit order past its limit
            price = min(price, order.limit_price) if is_buy else max(price, order.limit_price)
        return min(max(price, lowest), highest)

    # -- one order -------------------------------------------------------------------------
    def refuse(self, order: Order, reason: str) -> None:
        order.note(reason)
        logger.debug("order {} {} {} on {}: {}", order.order_id, order.side, order.symbol,
                     self.clock.day, reason)

    def execute(self, order: Order) -> Fill | None:
        """Fill what the rules allow of ``order`` today; None when nothing fills."""
        symbol, day = order.symbol, self.clock.day
        rules = self.rules[symbol]
        bar = self.clock.bar(symbol)
        if bar is None:
            return self.refuse(order, f"suspended: no bar for {symbol} on {day}")
        if bar.volume == 0:
            return self.refuse(order, f"suspended: zero volume for {symbol} on {day}")
        reference = self.order_reference(order, bar)
        if reference is None:
            price_name = "stop" if order.kind is OrderKind.STOP else "limit"
            if order.kind is OrderKind.STOP_LIMIT and not order.triggered:
                price_name = "stop"
            return self.refuse(order, f"{order.kind.value}: {symbol} did not reach the "
                                      f"{price_name} price on {day}")
        up, down = day_limits(rules, bar, day)
        one_price = bar.high - bar.low <= PRICE_EPSILON * bar.high
        if order.is_buy and up is not None:
            sealed = ((one_price and bar.close >= up - PRICE_EPSILON)
                      if self.config.sealed_limit == "one_price" else bar.high >= up - PRICE_EPSILON)
            if sealed or reference >= up - PRICE_EPSILON:
                return self.refuse(order, f"limit-up: {symbol} at its limit {up:g} on {day}, "
                                          "buy refused")
        if not order.is_buy and down is not None:
            sealed = ((one_price and bar.close <= down + PRICE_EPSILON)
                      if self.config.sealed_limit == "one_price" else bar.low <= down + PRICE_EPSILON)
            if sealed or reference <= down + PRICE_EPSILON:
                return self.refuse(order, f"limit-down: {symbol} at its limit {down:g} on {day}, "
                                          "sell refused")
        price = self.fill_price(order, reference, bar, rules, up, down)
        if price is None:
            return self.refuse(order, f"no price within the day's limits {down:g}..{up:g} "
                                      f"on {day}: the bar traded outside them")
        # the queue at a limit that the bar closes on is full: no fill at that price
        if (order.is_buy and up is not None and price >= up - PRICE_EPSILON
                and bar.close >= up - PRICE_EPSILON):
            return self.refuse(order, f"limit-up: {symbol} closed sealed at its limit {up:g} "
                                      f"on {day}, a buy at the limit is refused")
        if (not order.is_buy and down is not None and price <= down + PRICE_EPSILON
                and bar.close <= down + PRICE_EPSILON):
            return self.refuse(order, f"limit-down: {symbol} closed sealed at its limit "
                                      f"{down:g} on {day}, a sell at the limit is refused")
        quantity = self.fill_quantity(order, price, bar, rules, day)
        if quantity <= QUANTITY_EPSILON:
            return None
        value = quantity * price if rules.fractional else round_cents(quantity * price)
        fees = compute_fees(rules, order.is_buy, value, day)
        cash = self.account.cash + (-value - fees.total if order.is_buy else value - fees.total)
        if not rules.fractional:
            cash = round_cents(cash)
        elif -1e-6 < cash < 0:
            cash = 0.0  # float dust from buying with all the cash
        return Fill(order_id=order.order_id, date=day, symbol=symbol, is_buy=order.is_buy,
                    quantity=quantity, price=price, reference_price=reference, value=value,
                    commission=fees.commission, stamp_duty=fees.stamp_duty,
                    transfer_fee=fees.transfer_fee, cash_after=cash)

    # -- quantities ------------------------------------------------------------------------
    def volume_cap(self, order: Order, quantity: float, bar: BarView,
                   rules: InstrumentRules) -> float:
        cap = self.config.volume_cap
        if cap is None or math.isnan(bar.volume):
            return quantity
        allowed = bar.volume * cap.max_participation
        if not rules.fractional:
            allowed = math.floor(allowed / rules.lot + PRICE_EPSILON) * rules.lot
        if allowed >= quantity:
            return quantity
        order.note(f"volume cap: at most {cap.max_participation:g} of {bar.volume:g} traded "
                   f"on {self.clock.day}")
        if cap.remainder == "wait":
            order.wait_remainder = True
        else:
            order.cancel_remainder = True
        return allowed

    def fill_quantity(self, order: Order, price: float, bar: BarView, rules: InstrumentRules,
                      day: dt.date) -> float:
        symbol = order.symbol
        wanted = order.remaining
        if order.is_buy:
            quantity = self.volume_cap(order, wanted, bar, rules)
            affordable = self.affordable(price, rules, day)
            if affordable < quantity:
                order.note(f"cash short: {self.account.cash:.2f} CNY buys {affordable:g} of "
                           f"{quantity:g} at {price:g} with fees")
                quantity = affordable
            if quantity <= QUANTITY_EPSILON:
                return 0.0
            return quantity
        held = self.account.quantity(symbol)
        sellable = self.account.sellable(symbol, rules.t_plus)
        quantity = min(wanted, max(sellable, 0.0))
        if quantity < wanted - QUANTITY_EPSILON and held > sellable + QUANTITY_EPSILON:
            order.note(f"T+1: {held - sellable:g} {symbol} bought on {day} cannot be sold "
                       "before the next trading day")
        elif quantity < wanted - QUANTITY_EPSILON:
            order.note(f"only {held:g} {symbol} held")
        quantity = self.volume_cap(order, quantity, bar, rules)
        if not rules.fractional and abs(quantity - held) > QUANTITY_EPSILON:
            quantity = math.floor(quantity / rules.lot + PRICE_EPSILON) * rules.lot
        return max(quantity, 0.0)

    def affordable(self, price: float, rules: InstrumentRules, day: dt.date) -> float:
        """The largest buy quantity whose value plus fees the cash covers."""
        cash = self.account.cash
        if cash <= 0:
            return 0.0
        rate = marginal_fee_rate(rules, True, day)
        if rules.fractional:
            quantity = cash / (price * (1 + rate))
            fees = compute_fees(rules, True, quantity * price, day).total
            if quantity * price + fees > cash:
                quantity = max(0.0, (cash - fees) / price)
            return quantity
        lot = rules.lot
        lots = math.floor(cash / (price * (1 + rate)) / lot + PRICE_EPSILON)
        while lots > 0:
            value = round_cents(lots * lot * price)
            if value + compute_fees(rules, True, value, day).total <= cash + PRICE_EPSILON:
                break
            lots -= 1
        return float(lots * lot)
