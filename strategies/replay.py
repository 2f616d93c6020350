"""Replay decisions made elsewhere: a list of dated orders, or dated target weights.

Both are also how scripted test scenarios are written. A row dated on a non-trading day is acted
on at the first bar on or after its date.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import Field, ValidationInfo, field_validator

from huice.engine.run.context import BarContext
from huice.feeds.schedules import read_orders, read_target_weights
from huice.strategies.base import Strategy, StrategyParams
from huice.strategies.registry import register


def _resolve(path: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir")
    return path if path.is_absolute() or base is None else Path(base) / path


class OrdersParams(StrategyParams):
    """Parameters of the ``orders`` replay strategy."""

    path: Path = Field(description="CSV with columns date,symbol,side,quantity (optional: "
                                   "limit, stop, valid)")

    _resolve_path = field_validator("path")(_resolve)


class TargetWeightsParams(StrategyParams):
    """Parameters of the ``target_weights`` replay strategy."""

    path: Path = Field(description="CSV with columns date,symbol,weight")
    min_trade_value_cny: float = Field(0.0, ge=0, description="skip smaller adjustments")

    _resolve_path = field_validator("path")(_resolve)


@register("orders")
class ReplayOrders(Strategy):
    """Submit the orders of a CSV on their dates."""

    description = "Replay a CSV of dated orders (date, symbol, side, quantity)"
    Params = OrdersParams
    params: OrdersParams

    def __init__(self, params: OrdersParams | None = None) -> None:
        super().__init__(params)
        self._orders = read_orders(self.params.path)
        self._sent = 0

    def symbols(self) -> list[str]:
        return list(dict.fromkeys(o.symbol for o in self._orders))

    def on_bar(self, ctx: BarContext) -> None:
        today = pd.Timestamp(ctx.today)
        while self._sent < len(self._orders) and self._orders[self._sent].date <= today:
            order = self._orders[self._sent]
            valid = order.valid
            if valid not in (None, "day", "gtc"):
                valid = pd.Timestamp(valid).date()
            placed = (ctx.buy if order.is_buy else ctx.sell)(
                order.symbol, order.quantity, tag=f"row {self._sent + 1}", limit=order.limit,
                stop=order.stop, valid=valid)
            if placed is not None:
                ctx.record(**{f"order_{order.symbol}": placed.order_id})
            self._sent += 1

    def get_state(self) -> dict[str, Any]:
        return {"sent": self._sent}

    def set_state(self, state: dict[str, Any]) -> None:
        self._sent = int(state["sent"])


@register("target_weights")
class ReplayTargetWeights(Strategy):
    """Rebalance to the weights of a CSV on their dates."""

    description = "Replay a CSV of dated target weights (date, symbol, weight)"
    Params = TargetWeightsParams
    params: TargetWeightsParams

    def __init__(self, params: TargetWeightsParams | None = None) -> None:
        super().__init__(params)
        self._targets = list(read_target_weights(self.params.path).items())
        self._done = 0

    def symbols(self) -> list[str]:
        return list(dict.fromkeys(s for _, weights in self._targets for s in weights))

    def on_bar(self, ctx: BarContext) -> None:
        today = pd.Timestamp(ctx.today)
        latest = None
        while self._done < len(self._targets) and self._targets[self._done][0] <= today:
            latest = self._targets[self._done][1]
            self._done += 1
        if latest is not None:
            ctx.order_target_weights(latest, min_trade_value_cny=self.params.min_trade_value_cny,
                                     tag="target weights")
            ctx.record(**{f"target_{s}": w for s, w in latest.items()})

    def get_state(self) -> dict[str, Any]:
        return {"done": self._done}

    def set_state(self, state: dict[str, Any]) -> None:
        self._done = int(state["done"])
