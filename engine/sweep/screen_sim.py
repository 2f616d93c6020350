"""The screening simulator: every combination of a sweep in one vectorised pass, approximately.

A strategy with vectorised signals (``Strategy.screen_weights``) gives, for a batch of parameter
sets, the target weights it would order after each day's close: an array ``(days, sets, slots)``
with NaN on the days it orders nothing (the holdings then drift with prices). This module runs
all of them at once over the run's calendar:

- an order decided at day t's close executes at day t+1's open (``broker.execution: open``);
- costs are proportional at the rates in force that day: commission, stamp duty on sells and
  the transfer fee (:func:`huice.engine.broker.commission.marginal_fee_rate`), plus the
  configured slippage as a fraction of the open (ticks: ticks x tick / open);
- no lots, no commission minimum, no price limits, no T+1, no volume cap, no suspensions
  (a day without a bar keeps the last close), no cash dividends.

It is a screen, not a result: the sweep confirms the finalists with the A-share engine and the
report states how well the two agree (:mod:`huice.engine.sweep.screening`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from huice.config.schema import SlippageConfig
from huice.engine.broker.commission import marginal_fee_rate
from huice.engine.broker.rules import InstrumentRules
from huice.feeds.market import MarketData

# the metrics a screen estimates (a subset of results.csv's, the same definitions)
SCREEN_METRICS = ("total_return", "annual_return", "sharpe", "volatility", "max_drawdown",
                  "exposure", "turnover", "excess_vs_benchmark", "excess_vs_buy_and_hold")


@dataclass(frozen=True)
class ScreenWeights:
    """A strategy's vectorised decisions for a batch of parameter sets: ``weights`` (days,
    sets, slots) are the target weights ordered after each close of the market's calendar
    (NaN: no order that day), slot j of set k trading ``symbols[slots[k, j]]``."""

    symbols: list[str]
    weights: np.ndarray
    slots: np.ndarray


def without_warm_up(weights: np.ndarray, first_trading_day: int, standing: bool) -> np.ndarray:
    """``weights`` with no order before calendar day ``first_trading_day`` (``data.trade_start``:
    a run's order calls do nothing before it). ``standing``: the strategy's weights say what it
    wants to hold whenever they change, and it orders as soon as its holding differs (drawdown
    reversion), so the target standing at the end of the warm-up is ordered on its first
    trading day; otherwise (a rebalance schedule) the next scheduled order is the first."""
    if first_trading_day <= 0:
        return weights
    kept = weights.copy()
    kept[:first_trading_day] = np.nan
    if standing and first_trading_day < len(weights):
        before = weights[:first_trading_day]
        ordered = ~np.isnan(before).all(axis=2)  # (days, sets)
        last = np.where(ordered.any(axis=0), len(before) - 1 - np.argmax(ordered[::-1], axis=0),
                        -1)
        today = kept[first_trading_day]
        for column in np.flatnonzero((last >= 0) & np.isnan(today).all(axis=1)):
            today[column] = before[last[column], column]
    return kept


@dataclass(frozen=True)
class ScreenPrices:
    """Per calendar day and symbol (columns in ``symbols`` order): the open and close (a day
    without a bar keeps the last close; before the first bar 1.0, never held), and the cost of
    buying and of selling one CNY at that day's open."""

    symbols: list[str]
    opens: np.ndarray
    closes: np.ndarray
    buy_cost: np.ndarray
    sell_cost: np.ndarray


def screen_prices(market: MarketData, symbols: Sequence[str],
                  rules: Mapping[str, InstrumentRules], slippage: SlippageConfig) -> ScreenPrices:
    """The :class:`ScreenPrices` of ``symbols`` over ``market``'s calendar."""
    calendar = market.calendar
    days = calendar.date.tolist()
    opens, closes, buys, sells = [], [], [], []
    for symbol in symbols:
        bars = market.bars(symbol).reindex(calendar)
        close = bars["close"].ffill()
        open_ = bars["open"].fillna(close)
        close, open_ = close.fillna(1.0).to_numpy(float), open_.fillna(1.0).to_numpy(float)
        rule = rules[symbol]
        if slippage.kind == "percent":
            slip = np.full(len(days), slippage.value)
        elif slippage.kind == "ticks" and rule.tick:
            slip = rule.ticks_as_fraction(slippage.value, open_ * rule.price_scale)
        else:
            slip = np.zeros(len(days))
        buys.append(np.array([marginal_fee_rate(rule, True, day) for day in days]) + slip)
        sells.append(np.array([marginal_fee_rate(rule, False, day) for day in days]) + slip)
        opens.append(open_)
        closes.append(close)
    return ScreenPrices(list(symbols), np.column_stack(opens), np.column_stack(closes),
                        np.column_stack(buys), np.column_stack(sells))


def simulate(prices: ScreenPrices, weights: np.ndarray, slots: np.ndarray,
             initial: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Equity at each close ``(days, sets)``, the value invested at each close, and the value
    traded per set, for ``weights`` ``(days, sets, slots)`` whose slot j of set k is the symbol
    ``prices.symbols[slots[k, j]]``; a set's row of NaN on day t: no order after that close."""
    days, sets, _ = weights.shape
    held = np.zeros(slots.shape)          # value of each slot at the last close
    cash = np.full(sets, float(initial))
    equity = np.empty((days, sets))
    invested = np.empty((days, sets))
    traded = np.zeros(sets)
    equity[0], invested[0] = cash, 0.0
    # every set trading the same symbols (one strategy's batch): one row of prices serves all
    columns = slots[0] if (slots == slots[0]).all() else slots
    opens, closes = prices.opens[:, columns], prices.closes[:, columns]
    buy_cost, sell_cost = prices.buy_cost[:, columns], prices.sell_cost[:, columns]
    ordering_days = ~np.isnan(weights).all(axis=2)
    for day in range(1, days):
        held = held * (opens[day] / closes[day - 1])
        ordering = ordering_days[day - 1]
        if ordering.any():
            target = weights[day - 1]
            worth = cash + held.sum(axis=1)
            wanted = np.where(ordering[:, None], np.nan_to_num(target) * worth[:, None], held)
            trade = wanted - held
            cost = (np.maximum(trade, 0.0) * buy_cost[day]
                    + np.maximum(-trade, 0.0) * sell_cost[day]).sum(axis=1)
            cash = cash - trade.sum(axis=1) - cost
            traded += np.abs(trade).sum(axis=1)
            held = wanted
        held = held * (closes[day] / opens[day])
        invested[day] = held.sum(axis=1)
        equity[day] = cash + invested[day]
    return equity, invested, traded


def screen_metrics(equity: np.ndarray, invested: np.ndarray, traded: np.ndarray, *,
                   initial: float, periods_per_year: int, risk_free_rate: float,
                   benchmark_return: float, buy_and_hold_return: float) -> pd.DataFrame:
    """:data:`SCREEN_METRICS` per set (rows), by the definitions of
    :func:`huice.engine.results.metrics.compute_metrics`, column by column in numpy."""
    bars = equity.shape[0]
    total = equity[-1] / initial - 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        annual = np.where(total > -1, (1.0 + total) ** (periods_per_year / bars) - 1.0, -1.0)
        path = np.vstack([np.full(equity.shape[1], initial), equity])
        returns = path[1:] / path[:-1] - 1.0
        volatility = returns.std(axis=0, ddof=1) * math.sqrt(periods_per_year)
        excess = returns - risk_free_rate / periods_per_year
        deviation = excess.std(axis=0, ddof=1)
        # a flat curve's Sharpe is 0, as the engine's: its excess's spread is float dust
        varies = (np.ptp(returns, axis=0) > 0) & (deviation > 0)
        sharpe = np.where(varies, excess.mean(axis=0) / deviation
                          * math.sqrt(periods_per_year), 0.0)
        peaks = np.maximum.accumulate(path, axis=0)
        max_drawdown = (1.0 - path / peaks).max(axis=0)
    mean_equity = equity.mean(axis=0)
    return pd.DataFrame({
        "total_return": total, "annual_return": annual, "sharpe": sharpe,
        "volatility": volatility, "max_drawdown": max_drawdown,
        "exposure": (invested > 0).mean(axis=0),
        "turnover": np.where(mean_equity != 0, traded / mean_equity, 0.0),
        "excess_vs_benchmark": total - benchmark_return,
        "excess_vs_buy_and_hold": total - buy_and_hold_return})
