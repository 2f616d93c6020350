"""A broker's state as JSON types, to continue a paper account after a restart."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable
from typing import Any

from huice.engine.broker.account import Account, Position, Trade
from huice.engine.broker.orders import Order, OrderKind, OrderStatus
from huice.engine.broker.refusals import Code, legacy_code


def export_account(account: Account, next_id: int, pending: list[Order],
                   day_at: Callable[[int], dt.date | None]) -> dict[str, Any]:
    """Everything needed to continue after today's close; ``day_at`` names the trading day of
    a run index (one past the run's last day: the exchange calendar's next day)."""
    return {
        "cash": account.cash,
        "next_id": next_id,
        "positions": {s: {"quantity": p.quantity, "bought_today": p.bought_today,
                          "cost": p.cost} for s, p in sorted(account.positions.items())},
        "open_trades": {s: {"opened": t.opened.isoformat(), "bought_quantity": t.bought_quantity,
                            "buy_value": t.buy_value, "sell_value": t.sell_value,
                            "fees": t.fees, **({"dividends": t.dividends} if t.dividends else {})}
                        for s, t in sorted(account.open_trades.items())},
        "pending": [_export_order(o, day_at) for o in pending if o.alive],
    }


def _export_order(order: Order, day_at: Callable[[int], dt.date | None]) -> dict[str, Any]:
    eligible = day_at(order.eligible_index)
    data = {"order_id": order.order_id, "created": order.created.isoformat(),
            "symbol": order.symbol, "is_buy": order.is_buy, "quantity": order.quantity,
            "eligible": eligible.isoformat() if eligible is not None else None,
            "validity": order.validity, "tag": order.tag, "filled": order.filled,
            "status": order.status.value, "reasons": list(order.reasons),
            "wait_remainder": order.wait_remainder}
    if order.kind is not OrderKind.MARKET:  # market orders keep the original, shorter record
        data.update(kind=order.kind.value, limit_price=order.limit_price,
                    stop_price=order.stop_price, triggered=order.triggered)
    if order.valid_until is not None:
        data["valid_until"] = order.valid_until.isoformat()
    if order.codes:
        data["codes"] = [code.value for code in order.codes]
    # what only some orders have is saved only for them (older accounts' records stay as they are)
    optional: dict[str, tuple[Any, Any]] = {"backtrader_timing": (order.backtrader_timing, False),
                "active": (order.active, True), "parent_id": (order.parent_id, None),
                "oco_id": (order.oco_id, order.order_id), "trail_amount": (order.trail_amount, None),
                "trail_percent": (order.trail_percent, None),
                "limit_offset": (order.limit_offset, 0.0),
                "unreached": (order.unreached, [])}
    data.update({key: value for key, (value, default) in optional.items()
                 if value != default and not (key == "oco_id" and value is None)})
    return data


def same_state(simulated: dict[str, Any], booked: dict[str, Any],
               dates: list[dt.date]) -> bool:
    """Whether a broker state simulated up to a paper account's watermark is the booked one
    (:func:`export_account`'s output both): the same cash, positions, open trades and pending
    orders. An order booked on the newest day knew no next day (``eligible`` None); it is due
    on the trading day after its creation, which the simulation names."""
    def normalised(state: dict[str, Any]) -> dict[str, Any]:
        pending = []
        for order in state["pending"]:
            if order["eligible"] is None:
                at = bisect.bisect_right(dates, dt.date.fromisoformat(order["created"]))
                order = {**order, "eligible": dates[at].isoformat() if at < len(dates) else None}
            pending.append(order)
        return {**state, "pending": pending}
    return normalised(simulated) == normalised(booked)


def restore_account(account: Account, state: dict[str, Any],
                    dates: list[dt.date]) -> tuple[int, list[Order]]:
    """Load :func:`export_account`'s output into ``account``; return (next id, pending)."""
    account.cash = state["cash"]
    account.positions = {s: Position(**p) for s, p in state["positions"].items()}
    account.open_trades = {s: Trade(symbol=s, opened=dt.date.fromisoformat(t["opened"]),
                                    bought_quantity=t["bought_quantity"],
                                    buy_value=t["buy_value"], sell_value=t["sell_value"],
                                    fees=t["fees"], dividends=t.get("dividends", 0.0))
                           for s, t in state["open_trades"].items()}
    account.closed_trades = []
    pending = []
    for data in state["pending"]:
        created = dt.date.fromisoformat(data["created"])
        if data["eligible"] is None:  # due on the bar after its creation day
            eligible = bisect.bisect_right(dates, created)
        else:
            eligible = bisect.bisect_left(dates, dt.date.fromisoformat(data["eligible"]))
        until = data.get("valid_until")
        reasons = list(data["reasons"])
        codes = [Code(c) for c in data["codes"]] if "codes" in data else \
            list(dict.fromkeys(legacy_code(r) for r in reasons))
        pending.append(Order(
            order_id=data["order_id"], created=created, symbol=data["symbol"],
            is_buy=data["is_buy"], quantity=data["quantity"], eligible_index=eligible,
            validity=data["validity"], tag=data["tag"], filled=data["filled"],
            status=OrderStatus(data["status"]), reasons=reasons, codes=codes,
            wait_remainder=data["wait_remainder"],
            kind=OrderKind(data.get("kind", "market")), limit_price=data.get("limit_price"),
            stop_price=data.get("stop_price"), triggered=data.get("triggered", False),
            valid_until=dt.date.fromisoformat(until) if until else None,
            backtrader_timing=data.get("backtrader_timing", False),
            active=data.get("active", True), parent_id=data.get("parent_id"),
            oco_id=data.get("oco_id", data["order_id"]), trail_amount=data.get("trail_amount"),
            trail_percent=data.get("trail_percent"), limit_offset=data.get("limit_offset", 0.0),
            unreached=list(data.get("unreached", []))))
    return state["next_id"], pending
