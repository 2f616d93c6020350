"""Turn target weights into lot-rounded orders under the A-share rules.

Deciding (weights) is the strategy's job; executing (orders, costs, fills) is the broker's. This
layer sits between them and is shared by every portfolio strategy: sells come before buys,
quantities are rounded to lots, sells respect T+1, buys are scaled to the cash available after
fees, and trades smaller than a minimum value are skipped to avoid churn.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

from huice.engine.broker.commission import compute_fees, marginal_fee_rate
from huice.engine.broker.rules import InstrumentRules

WEIGHT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class PlannedOrder:
    """An order the rebalancer wants placed."""

    symbol: str
    is_buy: bool
    quantity: float


class WeightError(ValueError):
    """Target weights a strategy produced are not valid (negative, or summing above 1)."""


def check_weights(weights: Mapping[str, float]) -> None:
    """Long-only targets: each weight in [0, 1] and their sum at most 1."""
    for symbol, weight in weights.items():
        if not (0.0 <= weight <= 1.0 + WEIGHT_TOLERANCE) or math.isnan(weight):
            raise WeightError(f"weight of {symbol} is {weight}; weights must be in [0, 1]")
    total = sum(weights.values())
    if total > 1.0 + WEIGHT_TOLERANCE:
        raise WeightError(f"weights sum to {total:.6f}; they may not exceed 1")


def plan_rebalance(weights: Mapping[str, float], *, quantities: Mapping[str, float],
                   sellable: Mapping[str, float], prices: Mapping[str, float], cash: float,
                   rules: Mapping[str, InstrumentRules], day: dt.date,
                   min_trade_value_cny: float = 0.0) -> list[PlannedOrder]:
    """Orders that move the book towards ``weights`` of equity, sells first.

    Parameters
    ----------
    weights:
        Target fraction of equity per symbol; symbols held but not named are sold.
    quantities, sellable:
        Units held, and units sellable today (T+1).
    prices:
        Traded price used to size the orders (the latest close).
    cash:
        Cash available now.
    min_trade_value_cny:
        Skip adjustments worth less than this (a full exit is never skipped).

    Raises
    ------
    WeightError
        If the weights are negative or sum above 1.
    """
    check_weights(weights)
    symbols = sorted(set(weights) | {s for s, q in quantities.items() if q > 0})
    equity = cash + sum(quantities.get(s, 0.0) * prices[s] for s in symbols if s in prices)
    sells: list[PlannedOrder] = []
    buys: list[tuple[str, float]] = []
    proceeds = 0.0
    for symbol in symbols:
        price = prices.get(symbol, math.nan)
        if not price or math.isnan(price):
            continue
        held = quantities.get(symbol, 0.0)
        target_value = weights.get(symbol, 0.0) * equity
        delta_value = target_value - held * price
        if delta_value < 0:
            full_exit = weights.get(symbol, 0.0) == 0.0
            if not full_exit and -delta_value < min_trade_value_cny:
                continue
            quantity = held if full_exit else rules[symbol].whole_lots(-delta_value / price)
            quantity = min(quantity, sellable.get(symbol, 0.0))
            if quantity > 0:
                sells.append(PlannedOrder(symbol, False, quantity))
                value = quantity * price
                proceeds += value - compute_fees(rules[symbol], False, value, day).total
        elif delta_value > 0 and delta_value >= max(min_trade_value_cny, 0.0):
            buys.append((symbol, delta_value))
    available = cash + proceeds
    wanted = sum(value * (1 + marginal_fee_rate(rules[s], True, day)) for s, value in buys)
    scale = min(1.0, available / wanted) if wanted > 0 else 1.0
    planned_buys: list[PlannedOrder] = []
    for symbol, value in buys:
        quantity = rules[symbol].whole_lots(value * scale / prices[symbol])
        if quantity > 0:
            planned_buys.append(PlannedOrder(symbol, True, quantity))
    return sells + planned_buys
