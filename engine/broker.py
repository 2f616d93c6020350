"""The A-share broker: a backtrader broker that fills orders under China's costs and rules.

It keeps its own ledger (cash, positions with T+1 lots, orders, itemised fills) and is driven by
Cerebro: ``next()`` runs at the start of every bar and fills pending orders at the open (or at
the typical price for ``vwap``); with ``execution: close`` the engine asks it to fill at the close
of the bar on which the orders were placed.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Mapping

import backtrader as bt
from loguru import logger

from config.schema import BrokerConfig
from engine.account import QUANTITY_EPSILON, Account
from engine.clock import BarView, MarketClock
from engine.commission import compute_fees, marginal_fee_rate
from engine.money import ceil_to_tick, floor_to_tick, round_cents, round_to_tick
from engine.orders import CorporateAction, Fill, Order, OrderStatus
from engine.rules import InstrumentRules
from engine.slippage import slippage_from_config

PRICE_EPSILON = 1e-9


class AShareBroker(bt.broker.BrokerBase):
    """A Cerebro broker with A-share commission, stamp duty, transfer fee, slippage, lots, T+1,
    price limits, suspension and a cash check. See ``docs/broker.md`` for every rule."""

    def __init__(self, config: BrokerConfig, rules: Mapping[str, InstrumentRules],
                 clock: MarketClock) -> None:
        super().__init__()
        self.config = config
        self.rules = dict(rules)
        self.clock = clock
        self.slippage = slippage_from_config(config.slippage)
        self.account = Account(cash=config.initial_cash)
        self.startingcash = config.initial_cash  # read by backtrader's writer info
        self.orders: list[Order] = []
        self.fills: list[Fill] = []
        self.actions: list[CorporateAction] = []
        self._pending: list[Order] = []
        self._next_id = 1
        self._restore_after: tuple[dt.date, dict] | None = None

    # -- backtrader broker interface -------------------------------------------------------
    def getcash(self) -> float:
        return self.account.cash

    def getvalue(self, datas=None) -> float:
        return self.equity()

    def getposition(self, data) -> bt.Position:
        position = self.account.positions.get(data._name)
        if position is None:
            return bt.Position()
        return bt.Position(size=position.quantity,
                           price=position.cost / position.quantity if position.quantity else 0.0)

    def get_notification(self):
        return None  # fills are read from the ledger, not through backtrader notifications

    def next(self) -> None:
        """Start of a bar: advance the clock, release T+1 lots, fill at the open (or vwap)."""
        self.clock.advance()
        if self._restore_after is not None:
            after, state = self._restore_after
            if self.clock.day <= after:
                return  # replaying history already in the paper ledger
            self.restore_state(state)
            self._restore_after = None
        self.account.start_day()
        self._apply_corporate_actions()
        if self.config.execution != "close":
            self._match()

    def _apply_corporate_actions(self) -> None:
        """On an ex-date, positions held at the previous close get the cash dividend (credited
        on the ex-date; the real payment comes a few days later) or the split's units (whole
        units; fractions are dropped)."""
        for symbol in list(self.account.positions):
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

    # -- orders ------------------------------------------------------------------------------
    def submit_order(self, symbol: str, is_buy: bool, quantity: float, tag: str = "") -> Order:
        """Place an order for ``quantity`` units; lots are enforced here.

        A buy is rounded down to whole lots; a sell that is not a whole number of lots is kept
        only when it closes the position. An order that rounds to zero is recorded as
        ``rejected`` with the reason and never reaches the market.
        """
        rules = self.rules[symbol]
        day = self.clock.day
        eligible = self.clock.index + (0 if self.config.execution == "close" else 1)
        order = Order(order_id=self._next_id, created=day, symbol=symbol, is_buy=is_buy,
                      quantity=float(quantity), eligible_index=eligible,
                      validity=self.config.order_validity, tag=tag)
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

    def cancel_all(self, reason: str) -> None:
        """Cancel every pending order (e.g. at the end of the run)."""
        for order in self._pending:
            order.status = OrderStatus.CANCELLED
            order.closed = self.clock.day
            order.note(reason)
        self._pending.clear()

    @property
    def pending(self) -> list[Order]:
        return list(self._pending)

    # -- state, for paper trading across restarts ---------------------------------------------
    def export_state(self) -> dict:
        """Everything needed to continue after today's close, as JSON types."""
        account = self.account
        return {
            "cash": account.cash,
            "next_id": self._next_id,
            "positions": {s: {"quantity": p.quantity, "bought_today": p.bought_today,
                              "cost": p.cost} for s, p in sorted(account.positions.items())},
            "open_trades": {s: {"opened": t.opened.isoformat(), "bought_quantity": t.bought_quantity,
                                "buy_value": t.buy_value, "sell_value": t.sell_value,
                                "fees": t.fees} for s, t in sorted(account.open_trades.items())},
            "pending": [{"order_id": o.order_id, "created": o.created.isoformat(),
                         "symbol": o.symbol, "is_buy": o.is_buy, "quantity": o.quantity,
                         "eligible": self.clock.dates[o.eligible_index].isoformat()
                         if o.eligible_index < len(self.clock.dates) else None,
                         "validity": o.validity, "tag": o.tag, "filled": o.filled,
                         "status": o.status.value, "reasons": list(o.reasons),
                         "wait_remainder": o.wait_remainder} for o in self._pending],
        }

    def restore_state(self, state: dict) -> None:
        """Load :meth:`export_state`'s output (called on the first bar after the watermark)."""
        from engine.account import Position, Trade

        account = self.account
        account.cash = state["cash"]
        self._next_id = state["next_id"]
        account.positions = {s: Position(**p) for s, p in state["positions"].items()}
        account.open_trades = {s: Trade(symbol=s, opened=dt.date.fromisoformat(t["opened"]),
                                        bought_quantity=t["bought_quantity"],
                                        buy_value=t["buy_value"], sell_value=t["sell_value"],
                                        fees=t["fees"])
                               for s, t in state["open_trades"].items()}
        self._pending = []
        for data in state["pending"]:
            created = dt.date.fromisoformat(data["created"])
            if data["eligible"] is None:  # due on the bar after its creation day
                eligible = bisect.bisect_right(self.clock.dates, created)
            else:
                eligible = bisect.bisect_left(self.clock.dates,
                                              dt.date.fromisoformat(data["eligible"]))
            order = Order(order_id=data["order_id"], created=created,
                          symbol=data["symbol"], is_buy=data["is_buy"], quantity=data["quantity"],
                          eligible_index=eligible, validity=data["validity"], tag=data["tag"],
                          filled=data["filled"], status=OrderStatus(data["status"]),
                          reasons=list(data["reasons"]), wait_remainder=data["wait_remainder"])
            self._pending.append(order)
            self.orders.append(order)

    def restore_before_next_bar(self, after: dt.date, state: dict) -> None:
        """Restore ``state`` when the clock first moves past ``after`` (the watermark)."""
        self._restore_after = (after, state)

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
        today = self.clock.index
        due = [o for o in self._pending if o.eligible_index <= today]
        if not due:
            return
        due.sort(key=lambda o: (o.is_buy, o.order_id))  # sells first, then buys
        for order in due:
            self._execute(order)
        due_ids = {order.order_id for order in due}
        still_pending = []
        for order in self._pending:
            if order.status not in (OrderStatus.PENDING, OrderStatus.PARTIAL):
                continue
            if order.order_id in due_ids and order.cancel_remainder:
                order.status = OrderStatus.CANCELLED
                order.closed = self.clock.day
                continue
            if order.order_id in due_ids and order.validity == "day" and not order.wait_remainder:
                order.status = OrderStatus.EXPIRED
                order.closed = self.clock.day
                continue
            still_pending.append(order)
        self._pending = still_pending

    def _reference_price(self, bar: BarView) -> float:
        execution = self.config.execution
        if execution == "close":
            return bar.close
        if execution == "vwap":
            return (bar.high + bar.low + bar.close) / 3.0
        return bar.open

    def _limits(self, rules: InstrumentRules, bar: BarView, day: dt.date
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

    def _refuse(self, order: Order, reason: str) -> None:
        order.note(reason)
        logger.debug("order {} {} {} on {}: {}", order.order_id, order.side, order.symbol,
                     self.clock.day, reason)

    def _execute(self, order: Order) -> None:
        symbol, day = order.symbol, self.clock.day
        rules = self.rules[symbol]
        bar = self.clock.bar(symbol)
        if bar is None:
            return self._refuse(order, f"suspended: no bar for {symbol} on {day}")
        if bar.volume == 0:
            return self._refuse(order, f"suspended: zero volume for {symbol} on {day}")
        reference = self._reference_price(bar)
        up, down = self._limits(rules, bar, day)
        one_price = bar.high - bar.low <= PRICE_EPSILON * bar.high
        if order.is_buy and up is not None:
            sealed = ((one_price and bar.close >= up - PRICE_EPSILON)
                      if self.config.sealed_limit == "one_price" else bar.high >= up - PRICE_EPSILON)
            if sealed or reference >= up - PRICE_EPSILON:
                return self._refuse(order, f"limit-up: {symbol} at its limit {up:g} on {day}, "
                                           "buy refused")
        if not order.is_buy and down is not None:
            sealed = ((one_price and bar.close <= down + PRICE_EPSILON)
                      if self.config.sealed_limit == "one_price" else bar.low <= down + PRICE_EPSILON)
            if sealed or reference <= down + PRICE_EPSILON:
                return self._refuse(order, f"limit-down: {symbol} at its limit {down:g} on {day}, "
                                           "sell refused")
        price = self._fill_price(order.is_buy, reference, bar, rules, up, down)
        if price is None:
            return self._refuse(order, f"no price within the day's limits {down:g}..{up:g} "
                                       f"on {day}: the bar traded outside them")
        # the queue at a limit that the bar closes on is full: no fill at that price
        if (order.is_buy and up is not None and price >= up - PRICE_EPSILON
                and bar.close >= up - PRICE_EPSILON):
            return self._refuse(order, f"limit-up: {symbol} closed sealed at its limit {up:g} "
                                       f"on {day}, a buy at the limit is refused")
        if (not order.is_buy and down is not None and price <= down + PRICE_EPSILON
                and bar.close <= down + PRICE_EPSILON):
            return self._refuse(order, f"limit-down: {symbol} closed sealed at its limit "
                                       f"{down:g} on {day}, a sell at the limit is refused")
        quantity = self._fill_quantity(order, price, bar, rules, day)
        if quantity <= QUANTITY_EPSILON:
            return None
        value = quantity * price if rules.fractional else round_cents(quantity * price)
        fees = compute_fees(rules, order.is_buy, value, day)
        cash = self.account.cash + (-value - fees.total if order.is_buy else value - fees.total)
        if not rules.fractional:
            cash = round_cents(cash)
        elif -1e-6 < cash < 0:
            cash = 0.0  # float dust from buying with all the cash
        fill = Fill(order_id=order.order_id, date=day, symbol=symbol, is_buy=order.is_buy,
                    quantity=quantity, price=price, reference_price=reference, value=value,
                    commission=fees.commission, stamp_duty=fees.stamp_duty,
                    transfer_fee=fees.transfer_fee, cash_after=cash)
        self.account.apply(fill, round_cash=not rules.fractional)
        self.fills.append(fill)
        order.filled += quantity
        if order.remaining <= QUANTITY_EPSILON:
            order.status = OrderStatus.FILLED
            order.closed = day
        else:
            order.status = OrderStatus.PARTIAL
        return None

    def _fill_price(self, is_buy: bool, reference: float, bar: BarView, rules: InstrumentRules,
                    up: float | None, down: float | None) -> float | None:
        """Reference price moved against the trader by slippage and rounded to the tick against
        the trader, then kept inside both the bar's range and the day's limits (None when those
        two do not overlap)."""
        lowest = max(bar.low, down) if down is not None else bar.low
        highest = min(bar.high, up) if up is not None else bar.high
        if lowest > highest + PRICE_EPSILON:
            return None
        price = self.slippage.adjust(reference, is_buy, rules.tick)
        if rules.tick:
            price = ceil_to_tick(price, rules.tick) if is_buy else floor_to_tick(price, rules.tick)
        if is_buy:
            price = max(price, reference)
        else:
            price = min(price, reference)
        return min(max(price, lowest), highest)

    def _volume_cap(self, order: Order, quantity: float, bar: BarView,
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

    def _fill_quantity(self, order: Order, price: float, bar: BarView, rules: InstrumentRules,
                       day: dt.date) -> float:
        symbol = order.symbol
        wanted = order.remaining
        if order.is_buy:
            quantity = self._volume_cap(order, wanted, bar, rules)
            affordable = self._affordable(price, rules, day)
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
        quantity = self._volume_cap(order, quantity, bar, rules)
        if not rules.fractional and abs(quantity - held) > QUANTITY_EPSILON:
            quantity = math.floor(quantity / rules.lot + PRICE_EPSILON) * rules.lot
        return max(quantity, 0.0)

    def _affordable(self, price: float, rules: InstrumentRules, day: dt.date) -> float:
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
