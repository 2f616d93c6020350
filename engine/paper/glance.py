"""A paper account at a glance: cost basis, unrealised, realised and today's P&L, the last booked
day and the next step's date, from the booked ledger and the broker's state.

Money is split by one identity, so the figures always add up: total P&L = equity - initial cash
= realised + unrealised, where unrealised is each position's value less its cost (average
costing, buy fees included, as the broker keeps it) and realised is the rest (sales at their
average cost, sell fees and taxes, dividends).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from huice.engine.results.account_view import AccountGlance, HeldPosition, RestingOrder
from huice.engine.results.ledger_frames import order_state

__all__ = ["account_glance", "next_session", "order_state", "resting_orders", "unprotected"]


def next_session(calendar: pd.DatetimeIndex, after: dt.date) -> dt.date | None:
    """The first trading day after ``after`` (None past the calendar's end)."""
    later = calendar[calendar > pd.Timestamp(after)]
    return later[0].date() if len(later) else None


def account_glance(equity: pd.DataFrame, positions: pd.DataFrame, broker_state: dict[str, Any],
                   initial_cash: float, calendar: pd.DatetimeIndex) -> AccountGlance:
    """The account as of its last booked day. ``equity`` has date, cash, holdings, equity (one
    row per booked day); ``positions`` the booked positions (date, symbol, quantity, price,
    value)."""
    equity = equity.sort_values("date")
    last_day = str(equity["date"].iloc[-1])
    today = float(equity["equity"].iloc[-1])
    before = float(equity["equity"].iloc[-2]) if len(equity) > 1 else initial_cash
    held = positions[positions["date"] == last_day]
    costs = {s: float(p["cost"]) for s, p in broker_state["positions"].items()}
    rows = []
    for row in held.itertuples():
        cost = round(costs.get(str(row.symbol), 0.0), 2)
        value = round(float(row.value), 2)
        quantity = float(row.quantity)
        rows.append(HeldPosition(
            symbol=str(row.symbol), quantity=round(quantity), price=float(row.price),
            value=value, cost=cost,
            average_cost=round(cost / quantity, 4) if quantity else 0.0,
            unrealised=round(value - cost, 2),
            unrealised_return=round(value / cost - 1, 6) if cost else 0.0))
    unrealised = round(sum(r.unrealised for r in rows), 2)
    total = round(today - initial_cash, 2)
    step = next_session(calendar, dt.date.fromisoformat(last_day))
    return AccountGlance(
        last_booked=last_day, next_step=step.isoformat() if step else None,
        equity=round(today, 2), cost_basis=round(sum(r.cost for r in rows), 2),
        unrealised_pnl=unrealised, realised_pnl=round(total - unrealised, 2),
        total_pnl=total, today_pnl=round(today - before, 2), positions=tuple(rows))


def resting_orders(broker_state: dict[str, Any], session: dt.date | None
                   ) -> list[RestingOrder]:
    """Every live order of the booked state, as a person checks them: its kind, prices, trail,
    one-cancels-other group, bracket parent, validity and the session it is for (``session``:
    the next trading day, for an order due on it)."""
    pending = [o for o in broker_state["pending"] if o["status"] in ("pending", "partial")]
    groups: dict[int, int] = {}
    for order in pending:
        group = order.get("oco_id", order["order_id"])
        groups[group] = groups.get(group, 0) + 1
    rows = []
    for order in pending:
        group = order.get("oco_id", order["order_id"])
        eligible = order["eligible"] or (session.isoformat() if session else None)
        if order.get("trail_amount"):
            trail = f"{order['trail_amount']:g} CNY"
        elif order.get("trail_percent"):
            trail = f"{order['trail_percent']:.2%}"
        else:
            trail = ""
        validity = order["validity"] if order["validity"] != "until" else \
            f"until {order.get('valid_until')}"
        waits = order.get("parent_id") is not None and not order.get("active", True)
        rows.append(RestingOrder(
            order_id=order["order_id"], symbol=order["symbol"],
            side="buy" if order["is_buy"] else "sell", kind=order.get("kind", "market"),
            quantity=round(order["quantity"]), filled=round(order["filled"]),
            limit_price=order.get("limit_price"), stop_price=order.get("stop_price"),
            trail=trail, oco_group=group if groups[group] > 1 else None,
            bracket_parent=order.get("parent_id"),
            waits_for_parent=waits, validity=validity,
            session=None if waits else (max(eligible, session.isoformat())
                                        if eligible and session else eligible),
            created=order["created"], tag=order["tag"]))
    return rows


def unprotected(broker_state: dict[str, Any]) -> list[str]:
    """Held symbols with no live sell order resting against them (no stop, no exit)."""
    selling = {o["symbol"] for o in broker_state["pending"]
               if not o["is_buy"] and o["status"] in ("pending", "partial")}
    return sorted(s for s, p in broker_state["positions"].items()
                  if p["quantity"] > 0 and s not in selling)
