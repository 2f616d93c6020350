"""Orders and fills as the broker records them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum


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
    LIMIT = "limit"            # at the limit or better
    STOP = "stop"              # a market order once the price reaches the stop
    STOP_LIMIT = "stop_limit"  # a limit order once the price reaches the stop


VALIDITIES = ("day", "gtc", "until")


@dataclass(eq=False)
class Order:
    """A buy or sell of ``quantity`` units of ``symbol``.

    ``eligible_index`` is the first calendar index on which it may fill (the next bar for
    open/vwap execution, the same bar for close execution). ``validity`` is ``day`` (its first
    eligible day only), ``gtc`` (until filled or cancelled) or ``until`` (through
    ``valid_until``, inclusive).
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
    wait_remainder: bool = False    # a volume-capped remainder that keeps waiting
    cancel_remainder: bool = False  # a volume-capped remainder that is cancelled
    closed: dt.date | None = None
    kind: OrderKind = OrderKind.MARKET
    limit_price: float | None = None
    stop_price: float | None = None
    valid_until: dt.date | None = None
    triggered: bool = False         # a stop or stop-limit whose stop price has been reached

    @property
    def remaining(self) -> float:
        return self.quantity - self.filled

    @property
    def side(self) -> str:
        return "buy" if self.is_buy else "sell"

    def note(self, reason: str) -> None:
        """Record why something happened to the order (shown in orders.csv)."""
        if reason and reason not in self.reasons:
            self.reasons.append(reason)


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

    @property
    def fees(self) -> float:
        return self.commission + self.stamp_duty + self.transfer_fee

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
