"""What a paper account's report and ``paper-status`` show of it, as typed values: the glance
(cost basis and P&L per position), the resting orders as a person checks them, and the live
account against the paper one after a reconciliation. Built by :mod:`huice.engine.paper`;
read by the report and the CLI."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class HeldPosition:
    """One position on the last booked day, at average cost (buy fees included)."""

    symbol: str
    quantity: int
    price: float
    value: float
    cost: float
    average_cost: float
    unrealised: float
    unrealised_return: float


@dataclass(frozen=True)
class AccountGlance:
    """The account as of its last booked day. Total P&L = equity - initial cash = realised +
    unrealised."""

    last_booked: str
    next_step: str | None  # the next trading day (None past the calendar's end)
    equity: float
    cost_basis: float
    unrealised_pnl: float
    realised_pnl: float
    total_pnl: float
    today_pnl: float
    positions: tuple[HeldPosition, ...] = ()

    def totals(self) -> dict[str, Any]:
        """The headline figures, one table row."""
        return {key: getattr(self, key) for key in (
            "last_booked", "next_step", "equity", "cost_basis", "unrealised_pnl",
            "realised_pnl", "today_pnl", "total_pnl")}


@dataclass(frozen=True)
class RestingOrder:
    """A live order of the booked state: its kind, prices, trail, one-cancels-other group,
    bracket parent, validity and the session it is for."""

    order_id: int
    symbol: str
    side: str
    kind: str
    quantity: int
    filled: int
    limit_price: float | None
    stop_price: float | None
    trail: str                 # "0.05 CNY", "2.00%" or ""
    oco_group: int | None      # shared with the other orders it cancels
    bracket_parent: int | None
    waits_for_parent: bool     # a bracket child not yet active
    validity: str
    session: str | None
    created: str
    tag: str


@dataclass(frozen=True)
class Drift:
    """The broker's account less the paper's, through a reconciled day."""

    through: str
    cash: float
    positions: dict[str, int] = field(default_factory=dict)  # code -> units


@dataclass(frozen=True)
class LiveVsPaper:
    """The reconciled groups, the statement's cash flows and the latest drift."""

    reconciled: tuple[dict[str, Any], ...]   # rows of the reconciled table
    cash_flows: tuple[dict[str, Any], ...]   # transfers, dividends, interest
    drift: Drift


def as_plain(value: Any) -> Any:
    """A typed view as plain dicts and lists (what ``paper-status --json`` prints)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {item.name: as_plain(getattr(value, item.name))
                for item in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [as_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: as_plain(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class PaperStatus:
    """A paper account now (``paper-status``): its last booked day (None: nothing booked yet,
    ``message`` says so), cash, equity, positions with their cost basis, the P&L split, the
    next step's date, its orders and fills, the days accepted on purpose and, once reconciled,
    the drift from the broker's account and the broker's cash."""

    last_bar: str | None
    message: str = ""
    next_step: str | None = None
    bars_processed: int = 0
    cash: float = 0.0
    holdings: float = 0.0
    equity: float = 0.0
    cost_basis: float = 0.0
    unrealised_pnl: float = 0.0
    realised_pnl: float = 0.0
    total_pnl: float = 0.0
    today_pnl: float = 0.0
    positions: tuple[HeldPosition, ...] = ()
    bought_today_t_plus_1: dict[str, float] = field(default_factory=dict)  # not sellable today
    open_orders: tuple[dict[str, Any], ...] = ()      # rows of the orders table
    resting: tuple[RestingOrder, ...] = ()
    unprotected: tuple[str, ...] = ()                 # held with no sell order resting
    last_day_orders: tuple[dict[str, Any], ...] = ()  # rows of the orders table, with state
    last_day_fills: tuple[dict[str, Any], ...] = ()   # rows of the fills table
    accepted: tuple[dict[str, str], ...] = ()         # symbol, date, as
    drift: Drift | None = None
    broker_cash: float | None = None  # the paper's cash plus the drift

    def to_dict(self) -> dict[str, Any]:
        """Plain dicts and lists (``paper-status --json``)."""
        plain: dict[str, Any] = as_plain(self)
        return plain
