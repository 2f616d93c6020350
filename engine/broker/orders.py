"""Orders and fills as the broker records them."""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from enum import Enum

from huice.engine.broker.refusals import Code


class OrderStatus(str, Enum):
    """Lifecycle of an order."""

    PENDING = "pending"
    PARTIAL = "partial"      # partly filled, the rest still pending
    FILLED = "filled"
    CANCELLED = "cancelled"  # remainder cancelled (volume cap, run end, strategy)
    EXPIRED = "expired"      # day order not (fully) filled on its day
    REJECTED = "rejected"    # never sent (rounds to zero, nothing to sell)


class OrderKind(str, Enum):
    """How an order's price is set (docs/broker.md, "Order types")."""

    MARKET = "market"          # at the bar's reference price (open, close or typical)
    CLOSE = "close"            # at the close of the bar it is due on
    LIMIT = "limit"            # at the limit or better
    STOP = "stop"              # a market order once the price reaches the stop
    STOP_LIMIT = "stop_limit"  # a limit order once the price reaches the stop
    STOP_TRAIL = "stop_trail"  # a stop that follows the close by an amount or a percent
    STOP_TRAIL_LIMIT = "stop_trail_limit"  # a stop-limit whose stop (and limit) trail

    @property
    def is_stop(self) -> bool:
        """A stop (plain or trailing): a market order once triggered."""
        return self in (OrderKind.STOP, OrderKind.STOP_TRAIL)

    @property
    def is_stop_limit(self) -> bool:
        """A stop-limit (plain or trailing): a limit order once triggered."""
        return self in (OrderKind.STOP_LIMIT, OrderKind.STOP_TRAIL_LIMIT)

    @property
    def trails(self) -> bool:
        return self in (OrderKind.STOP_TRAIL, OrderKind.STOP_TRAIL_LIMIT)


@dataclass(eq=False)
class Order:
    """A buy or sell of ``quantity`` units of ``symbol``.

    ``eligible_index`` is the first calendar index on which it may fill (the next bar for
    open/vwap execution, the same bar for close execution). ``validity`` is ``day`` (its first
    eligible day only), ``gtc`` (until filled or cancelled) or ``until`` (through
    ``valid_until``, inclusive; a non-trading day ends it with the trading day before).

    ``backtrader_timing`` marks a backtrader strategy's order: it is matched in order of
    placement and its expiry is noticed at the start of the first bar past its validity, before
    that bar is tried, as backtrader's own broker does (market orders never expire there).
    ``parent_id`` makes it a bracket child (``active`` once the parent has filled) and
    ``oco_id`` names the first order of its one-cancels-other group.
    """

    order_id: int
    created: dt.date
    symbol: str
    is_buy: bool
    quantity: float
    eligible_index: int
    validity: str = "day"
    tag: str = ""
    filled: float = 0.0
    status: OrderStatus = OrderStatus.PENDING
    reasons: list[str] = field(default_factory=list)
    codes: list[Code] = field(default_factory=list)
    wait_remainder: bool = False    # a volume-capped remainder that keeps waiting
    cancel_remainder: bool = False  # a volume-capped remainder that is cancelled
    cash_short: bool = False        # cash paid less than the whole buy: the rest ends today
    closed: dt.date | None = None
    kind: OrderKind = OrderKind.MARKET
    limit_price: float | None = None
    stop_price: float | None = None
    valid_until: dt.date | None = None
    triggered: bool = False         # a stop or stop-limit whose stop price has been reached
    backtrader_timing: bool = False
    active: bool = True             # False: a bracket child waiting for its parent to fill
    parent_id: int | None = None
    oco_id: int | None = None
    trail_amount: float | None = None
    trail_percent: float | None = None
    limit_offset: float = 0.0       # a trailing stop-limit's stop minus its limit
    unreached: list[str] = field(default_factory=list)  # prices noted not reached (once each)

    @property
    def remaining(self) -> float:
        return self.quantity - self.filled

    @property
    def side(self) -> str:
        return "buy" if self.is_buy else "sell"

    @property
    def alive(self) -> bool:
        return self.status in (OrderStatus.PENDING, OrderStatus.PARTIAL)

    def note(self, code: Code, reason: str) -> None:
        """Record what happened to the order and why (orders.csv's codes and reason)."""
        if reason and reason not in self.reasons:
            self.reasons.append(reason)
            if code not in self.codes:
                self.codes.append(code)

    def has(self, *codes: Code) -> bool:
        """Whether any note of the order carries one of ``codes``."""
        return any(code in self.codes for code in codes)

    def trail(self, price: float, start: bool = False) -> bool:
        """Move a trailing stop after ``price`` (a close): a sell's stop only up, a buy's only
        down, by ``trail_amount`` or ``trail_percent`` of the price, as backtrader does; the
        limit of a trailing stop-limit moves with it. True when the stop moved. ``start``
        sets the first stop from ``price``, whatever the stop was."""
        if self.trail_amount:
            distance = self.trail_amount
        elif self.trail_percent:
            distance = price * self.trail_percent
        else:
            distance = 0.0
        stop = price + distance if self.is_buy else price - distance
        current = self.stop_price
        if not start and current is not None and (
                stop >= current if self.is_buy else stop <= current):
            return False
        self.stop_price = stop
        if self.kind is OrderKind.STOP_TRAIL_LIMIT:
            self.limit_price = stop - self.limit_offset
        return True


def last_index(order: Order, dates: list[dt.date]) -> int | None:
    """The last index of ``dates`` (the run's calendar) on which ``order`` may fill; None when
    it has no end. A day order's is its first eligible day (unless a volume-capped remainder
    keeps waiting); an until-date's is the last trading day at or before that date."""
    if order.validity == "day":
        return None if order.wait_remainder else order.eligible_index
    if order.validity == "until" and order.valid_until is not None:
        return bisect.bisect_right(dates, order.valid_until) - 1
    return None


@dataclass(frozen=True)
class Fill:
    """One execution, with every fee itemised and the cash balance after it."""

    order_id: int
    date: dt.date
    symbol: str
    is_buy: bool
    quantity: float
    price: float
    reference_price: float
    value: float
    commission: float
    stamp_duty: float
    transfer_fee: float
    cash_after: float
    dividend_tax: float = 0.0  # a stock's dividends taxed by holding period, on its sale

    @property
    def fees(self) -> float:
        return self.commission + self.stamp_duty + self.transfer_fee + self.dividend_tax

    @property
    def slippage_cost(self) -> float:
        """What slippage cost the trader versus the reference price (>= 0)."""
        return abs(self.price - self.reference_price) * self.quantity


@dataclass(frozen=True)
class CorporateAction:
    """A cash dividend or a split applied to a position on its ex-date."""

    date: dt.date
    symbol: str
    kind: str            # "dividend" or "split"
    quantity_before: float
    quantity_after: float
    per_unit: float      # cash per unit (dividend) or new units per old unit (split)
    cash: float          # cash credited
    cash_after: float
