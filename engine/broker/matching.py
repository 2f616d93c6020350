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
from huice.engine.broker.dividend_tax import LotBook
from huice.engine.broker.execution import Execution
from huice.engine.broker.money import round_cents
from huice.engine.broker.orders import Fill, Order
from huice.engine.broker.pricing import PRICE_EPSILON, order_reference
from huice.engine.broker.refusals import Code
from huice.engine.broker.rules import InstrumentRules
from huice.engine.broker.slippage import SlippageModel

# after-hours fixed-price trading (盘后固定价格交易): STAR stocks from the board's opening
# (SSE), ChiNext stocks from the registration reform (SZSE)
AFTER_HOURS_FROM = {"star": dt.date(2019, 7, 22), "chinext": dt.date(2020, 8, 24)}


class OrderMatcher:
    """Fills orders for one account; shares the broker's account, rules and clock."""

    def __init__(self, config: BrokerConfig, rules: Mapping[str, InstrumentRules],
                 clock: MarketClock, account: Account, slippage: SlippageModel,
                 lots: LotBook | None = None) -> None:
        self.config = config
        self.lots = lots if lots is not None else LotBook()
        self.rules = rules
        self.clock = clock
        self.account = account
        self.slippage = slippage
        self.execution = Execution(config.execution)

    # -- prices ----------------------------------------------------------------------------
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
        price = rules.fill_on_tick(self.slippage.adjust(reference, is_buy, rules.tick), is_buy)
        price = max(price, reference) if is_buy else min(price, reference)
        if order.limit_price is not None:  # slippage never takes a limit order past its limit
            price = min(price, order.limit_price) if is_buy else max(price, order.limit_price)
        return min(max(price, lowest), highest)

    # -- one order -------------------------------------------------------------------------
    def refuse(self, order: Order, code: Code, reason: str) -> None:
        """Note why ``order`` does not fill today."""
        order.note(code, reason)
        logger.debug("order {} {} {} on {}: {}", order.order_id, order.side, order.symbol,
                     self.clock.day, reason)

    def execute(self, order: Order) -> Fill | None:
        """Fill what the rules allow of ``order`` today; None when nothing fills."""
        symbol, day = order.symbol, self.clock.day
        rules = self.rules[symbol]
        bar = self.clock.bar(symbol)
        if bar is None:
            self.refuse(order, Code.SUSPENDED, f"suspended: no bar for {symbol} on {day}")
            return None
        if bar.volume == 0:
            self.refuse(order, Code.SUSPENDED,
                               f"suspended: zero volume for {symbol} on {day}")
            return None
        reference = order_reference(order, bar, self.execution)
        if reference is None:
            self._not_reached(order)
            return None
        up, down = rules.day_limits(bar.limit_base, day)
        if self._at_its_limit(order, bar, reference, up, down):
            return None
        price = self._price(order, reference, bar, rules, up, down)
        if price is None:
            return None
        quantity = self.fill_quantity(order, price, bar, rules, day)
        if quantity <= QUANTITY_EPSILON:
            return None
        return self._fill(order, quantity, price, reference, rules)

    def _not_reached(self, order: Order) -> None:
        """A limit or stop the bar did not reach: said once, on the first day (not every
        day)."""
        price_name = "stop" if order.kind.is_stop or (
            order.kind.is_stop_limit and not order.triggered) else "limit"
        if price_name in order.unreached:
            return None
        order.unreached.append(price_name)
        self.refuse(order, Code.NOT_REACHED, f"{order.kind.value}: {order.symbol} did "
                                                    f"not reach the {price_name} price on "
                                                    f"{self.clock.day}")
        return None

    def _at_its_limit(self, order: Order, bar: BarView, reference: float,
                      up: float | None, down: float | None) -> bool:
        """A buy on a bar sealed at limit-up or priced at it (a sell at limit-down): refused,
        noted."""
        symbol, day = order.symbol, self.clock.day
        one_price = bar.high - bar.low <= PRICE_EPSILON * bar.high
        by_one_price = self.config.sealed_limit == "one_price"
        if order.is_buy and up is not None:
            sealed = ((one_price and bar.close >= up - PRICE_EPSILON) if by_one_price
                      else bar.high >= up - PRICE_EPSILON)
            if sealed or reference >= up - PRICE_EPSILON:
                self.refuse(order, Code.LIMIT_UP,
                            f"limit-up: {symbol} at its limit {up:g} on {day}, buy refused")
                return True
        if not order.is_buy and down is not None:
            sealed = ((one_price and bar.close <= down + PRICE_EPSILON) if by_one_price
                      else bar.low <= down + PRICE_EPSILON)
            if sealed or reference <= down + PRICE_EPSILON:
                self.refuse(order, Code.LIMIT_DOWN, f"limit-down: {symbol} at its limit "
                                                    f"{down:g} on {day}, sell refused")
                return True
        return False

    def _price(self, order: Order, reference: float, bar: BarView, rules: InstrumentRules,
               up: float | None, down: float | None) -> float | None:
        """The fill price (None, noted, when there is none): the reference moved by slippage
        inside the bar and the limits, or the fixed price of after-hours trading; no fill at a
        limit the bar closes sealed on (its queue is full)."""
        symbol, day = order.symbol, self.clock.day
        if self.execution is Execution.CLOSE_FIXED:
            opened = AFTER_HOURS_FROM.get(rules.board)
            if opened is None or day < opened or rules.asset_class != "stock":
                self.refuse(order, Code.INVALID, f"close_fixed: {symbol} has no "
                                   "after-hours fixed-price trading on " f"{day}")
                return None
            price: float | None = bar.close  # the fixed price: no slippage
        else:
            price = self.fill_price(order, reference, bar, rules, up, down)
        if price is None:
            self.refuse(order, Code.OUTSIDE_LIMITS,
                               f"no price within the day's limits {down:g}..{up:g} on {day}: "
                               "the bar traded outside them")
            return None
        if (order.is_buy and up is not None and price >= up - PRICE_EPSILON
                and bar.close >= up - PRICE_EPSILON):
            self.refuse(order, Code.LIMIT_UP,
                               f"limit-up: {symbol} closed sealed at its limit {up:g} on {day}, "
                               "a buy at the limit is refused")
            return None
        if (not order.is_buy and down is not None and price <= down + PRICE_EPSILON
                and bar.close <= down + PRICE_EPSILON):
            self.refuse(order, Code.LIMIT_DOWN,
                               f"limit-down: {symbol} closed sealed at its limit {down:g} on "
                               f"{day}, a sell at the limit is refused")
            return None
        return price

    def _fill(self, order: Order, quantity: float, price: float, reference: float,
              rules: InstrumentRules) -> Fill:
        """The fill: value to the cent, each fee, a stock sale's dividend tax, the cash after."""
        symbol, day = order.symbol, self.clock.day
        value = quantity * price if rules.fractional else round_cents(quantity * price)
        fees = compute_fees(rules, order.is_buy, value, day)
        tax = 0.0
        if rules.dividend_tax and not order.is_buy:  # first in first out, by holding period
            tax = round_cents(self.lots.tax_on_sale(symbol, quantity, day))
        cash = self.account.cash + (-value - fees.total if order.is_buy
                                    else value - fees.total - tax)
        if not rules.fractional:
            cash = round_cents(cash)
        elif -1e-6 < cash < 0:
            cash = 0.0  # float dust from buying with all the cash
        return Fill(order_id=order.order_id, date=day, symbol=symbol, is_buy=order.is_buy,
                    quantity=quantity, price=price, reference_price=reference, value=value,
                    commission=fees.commission, stamp_duty=fees.stamp_duty,
                    transfer_fee=fees.transfer_fee, cash_after=cash, dividend_tax=tax)

    # -- quantities ------------------------------------------------------------------------
    def volume_cap(self, order: Order, quantity: float, bar: BarView,
                   rules: InstrumentRules) -> float:
        cap = self.config.volume_cap
        if cap is None or math.isnan(bar.volume):
            return quantity
        allowed = rules.whole_lots(bar.volume * cap.max_participation)
        if allowed >= quantity:
            return quantity
        order.note(Code.VOLUME_CAP, f"volume cap: at most {cap.max_participation:g} of {bar.volume:g} traded "
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
                order.note(Code.CASH_SHORT, f"cash short: {self.account.cash:.2f} CNY buys {affordable:g} of "
                           f"{quantity:g} at {price:g} with fees")
                order.cash_short = True  # the rest ends today, as backtrader's Margin does
                quantity = affordable
            if quantity <= QUANTITY_EPSILON:
                return 0.0
            return quantity
        held = self.account.quantity(symbol)
        sellable = self.account.sellable(symbol, rules.t_plus)
        quantity = min(wanted, max(sellable, 0.0))
        if quantity < wanted - QUANTITY_EPSILON and held > sellable + QUANTITY_EPSILON:
            order.note(Code.T_PLUS_1, f"T+1: {held - sellable:g} {symbol} bought on {day} cannot be sold "
                       "before the next trading day")
        elif quantity < wanted - QUANTITY_EPSILON:
            order.note(Code.ONLY_HELD, f"only {held:g} {symbol} held")
        quantity = self.volume_cap(order, quantity, bar, rules)
        if abs(quantity - held) > QUANTITY_EPSILON:  # an odd lot only when it closes the position
            quantity = rules.whole_lots(quantity)
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
        quantity = rules.whole_lots(cash / (price * (1 + rate)))
        while quantity > 0:
            value = round_cents(quantity * price)
            if value + compute_fees(rules, True, value, day).total <= cash + PRICE_EPSILON:
                break
            quantity = rules.one_lot_less(quantity)
        return quantity
