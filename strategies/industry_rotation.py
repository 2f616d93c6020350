"""Industry rotation by momentum, reversal, or "long weak, short strong", with an optional
crowding filter (docs/research.md section 6; docs/strategies/industry_rotation.md).

On each rebalance day (first or last trading day of the week or month, from the exchange
calendar) the industries are ranked by their score, optionally filtered by crowding, and the
top K are held at equal or score weights, traded as index proxies or through the ETFs that
track them. Scores and crowding at day t use bars up to t only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from huice.engine.results.diagnostic import DiagnosticChart
from huice.engine.run.context import BarContext
from huice.engine.sweep.screen_sim import ScreenWeights
from huice.feeds.market import MarketData
from huice.strategies.base import Strategy, StrategyParams
from huice.strategies.crowding import SHENWAN_L1, Crowding, CrowdingParams, crowding_from_market
from huice.strategies.periods import period_key
from huice.strategies.registry import register
from huice.strategies.words import note, value


class IndustryRotationParams(StrategyParams):
    """Parameters of ``industry_rotation``."""

    universe: list[str] = Field(default_factory=lambda: list(SHENWAN_L1), min_length=2,
                                description="industry indices ranked (default: the 31 SW L1)")
    reference: str = Field("000300.SH", description="benchmark of the excess-return measure")
    ranking: Literal["momentum", "reversal", "long_weak_short_strong"] = "momentum"
    lookback_days: int = Field(20, ge=2, le=500, description="momentum/reversal window")
    short_days: int = Field(20, ge=2, le=250, description="long_weak_short_strong: short window")
    long_days: int = Field(120, ge=5, le=750, description="long_weak_short_strong: long window")
    top_k: int = Field(5, ge=1, le=31)
    weighting: Literal["equal", "score"] = "equal"
    rebalance: Literal["weekly", "monthly"] = "monthly"
    rebalance_day: Literal["first", "last"] = "last"
    crowding_filter: Literal["none", "exclude_crowded", "require_uncrowded"] = "none"
    crowding_threshold: float = Field(
        80.0, ge=0, le=100, description="exclude_crowded: drop scores at or above it; "
                                        "require_uncrowded: enter only at or below it")
    crowding: CrowdingParams = CrowdingParams()
    trade_via: dict[str, str] = Field(
        default_factory=dict, description="industry -> ETF traded for it (default: the index "
                                          "as a proxy)")

    @model_validator(mode="after")
    def _windows(self) -> IndustryRotationParams:
        if self.short_days >= self.long_days:
            raise ValueError(f"short_days {self.short_days} must be below long_days "
                             f"{self.long_days}")
        if self.top_k > len(self.universe):
            raise ValueError(f"top_k {self.top_k} exceeds the universe of {len(self.universe)}")
        return self


def scores_from_returns(trailing: Callable[[int], np.ndarray],
                        params: IndustryRotationParams) -> np.ndarray:
    """Each industry's score from ``trailing(days)``, its return over the last ``days`` bars
    (NaN where the history is too short). Higher is better."""
    if params.ranking == "momentum":
        return trailing(params.lookback_days)
    if params.ranking == "reversal":
        return -trailing(params.lookback_days)
    short, long_ = trailing(params.short_days), trailing(params.long_days)
    valid = ~np.isnan(short) & ~np.isnan(long_)
    score = np.full(len(short), np.nan)
    if valid.sum() >= 2:
        score[valid] = (pd.Series(short[valid]).rank(pct=True).to_numpy()
                        - pd.Series(long_[valid]).rank(pct=True).to_numpy())
    return score


def rank_scores(closes: np.ndarray, params: IndustryRotationParams) -> np.ndarray:
    """Each industry's score from its closes up to today (rows = days, oldest first); NaN where
    the history is too short. Higher is better."""
    def trailing_return(days: int) -> np.ndarray:
        if len(closes) <= days:
            return np.full(closes.shape[1], np.nan)
        change: np.ndarray = closes[-1] / closes[-1 - days] - 1.0
        return change

    return scores_from_returns(trailing_return, params)


def choose_weights(scores: np.ndarray, crowding: Mapping[str, float],
                   params: IndustryRotationParams) -> tuple[dict[str, float], dict[str, float]]:
    """Target weights by industry from the day's scores (universe order) and crowding levels
    (empty without a filter), and each scored industry's rank (1 = first)."""
    p = params
    ranked = sorted((-score, symbol) for score, symbol in zip(scores, p.universe)
                    if not math.isnan(score))
    ranks = {symbol: float(place) for place, (_, symbol) in enumerate(ranked, 1)}
    candidates = []
    for symbol, score in zip(p.universe, scores):
        if math.isnan(score):
            continue
        level = crowding.get(symbol, math.nan)  # NaN: not enough history to measure it yet
        if p.crowding_filter == "exclude_crowded" and level >= p.crowding_threshold:
            continue
        if p.crowding_filter == "require_uncrowded" and not level <= p.crowding_threshold:
            continue
        candidates.append((score, symbol))
    chosen = sorted(candidates, key=lambda c: (-c[0], c[1]))[: p.top_k]
    if not chosen:
        return {}, ranks
    if p.weighting == "score":
        low = min(score for score, _ in chosen)
        raw = {s: score - low + 1e-6 for score, s in chosen}
    else:
        raw = {s: 1.0 for _, s in chosen}
    total = sum(raw.values())
    return {s: value / total for s, value in raw.items()}, ranks


def crowding_rows(crowding: Crowding, universe: Sequence[str]) -> list[list[float]]:
    """Each calendar day's crowding scores as plain floats in ``universe`` order (read once
    a day: a list is far cheaper to index than a pandas row)."""
    rows: list[list[float]] = crowding.score[list(universe)].to_numpy(float).tolist()
    return rows


def rebalance_days(market: MarketData, params: IndustryRotationParams) -> np.ndarray:
    """Whether each day of ``market``'s calendar is a rebalance day: the first trading day of
    its week or month, or the last (the next exchange trading day is in another period; the
    exchange calendar is published in advance)."""
    days = market.calendar.date.tolist()
    keys = [period_key(day, params.rebalance) for day in days]
    if params.rebalance_day == "first":
        return np.array([i == 0 or keys[i] != keys[i - 1] for i in range(len(days))])
    exchange = market.exchange_calendar if market.exchange_calendar is not None \
        else market.calendar
    following = exchange.searchsorted(market.calendar, side="right")
    return np.array([at >= len(exchange) or period_key(exchange[at].date(), params.rebalance)
                     != key for at, key in zip(following, keys)])


@register("industry_rotation")
class IndustryRotation(Strategy):
    """Hold the top K industries by momentum, reversal or long-weak-short-strong."""

    description = ("Industry rotation: top K Shenwan industries by momentum, reversal or "
                   "long-weak-short-strong, optional crowding filter, weekly/monthly")
    Params = IndustryRotationParams
    params: IndustryRotationParams
    diagnostic_chart = (
        DiagnosticChart("Weights by industry", stacked_prefix="weight_", ylabel="weight",
                        percent=True, markers="rebalanced", title_zh="各行业权重",
                        ylabel_zh="权重", names_zh={"rebalanced": "再平衡"}),
        DiagnosticChart("Crowding of what is held (mean score, 0-100)",
                        lines=("crowding_held", "crowding_market"), ylabel="score",
                        title_zh="持仓行业的拥挤度（平均分，0-100）", ylabel_zh="分数",
                        names_zh={"crowding_held": "持仓拥挤度", "crowding_market": "全市场拥挤度"}),
        DiagnosticChart("Rank of each industry at each rebalance (1 = first)",
                        heatmap_prefix="rank_", ylabel="rank",
                        title_zh="每次再平衡时各行业的排名（1 = 第一）", ylabel_zh="排名"),
    )

    def __init__(self, params: IndustryRotationParams | None = None) -> None:
        super().__init__(params)
        self._crowding: Crowding | None = None
        self._crowding_rows: list[list[float]] = []
        self._last_period: tuple[int, int] | None = None
        self._ranks: dict[str, float] = {}  # today's ranking, on rebalance days

    def symbols(self) -> list[str]:
        p = self.params
        return list(dict.fromkeys([*p.universe, p.reference, *p.trade_via.values()]))

    def traded_symbols(self) -> list[str]:
        return [self.params.trade_via.get(s, s) for s in self.params.universe]

    def prepare(self, market: MarketData) -> None:
        """Crowding of the whole run at once: every value uses bars up to its own day."""
        p = self.params
        if p.crowding_filter != "none":
            self._crowding = crowding_from_market(market, p.universe, p.reference, p.crowding)
            self._crowding_rows = crowding_rows(self._crowding, p.universe)

    def _due(self, ctx: BarContext) -> bool:
        p = self.params
        if p.rebalance_day == "first":
            key = period_key(ctx.today, p.rebalance)
            due, self._last_period = key != self._last_period, key
            return due
        following = ctx.next_trading_day()
        return following is None or period_key(following, p.rebalance) != period_key(
            ctx.today, p.rebalance)

    def _crowding_today(self, ctx: BarContext) -> dict[str, float]:
        if self._crowding is None:
            return {}
        return dict(zip(self.params.universe, self._crowding_rows[ctx.bar_index]))

    def choose(self, ctx: BarContext) -> dict[str, float]:
        """Today's target weights by industry (an empty dict: stay in cash)."""
        p = self.params
        depth = max(p.lookback_days, p.long_days) + 1
        closes = np.column_stack([self._tail(ctx.history(s), depth) for s in p.universe])
        weights, self._ranks = choose_weights(rank_scores(closes, p),
                                              self._crowding_today(ctx), p)
        return weights

    @classmethod
    def screen_weights(cls, market: MarketData,
                       params: Sequence[IndustryRotationParams]) -> ScreenWeights:
        """Vectorised target weights for a sweep's screen (see
        :mod:`huice.engine.sweep.screen_sim`): every parameter set of one universe at once.
        Trailing returns come from whole arrays of each industry's own bars (day t reads
        bars up to t), rebalance days from the calendar; the ranking and the choice are the
        strategy's own (:func:`choose_weights`). NaN rows: days without a rebalance."""
        universe = params[0].universe
        calendar = market.calendar
        closes = {s: market.bars(s)["close"].to_numpy(float) for s in universe}
        latest = {s: np.maximum.accumulate(market.bar_positions(s)) for s in universe}
        returns: dict[int, np.ndarray] = {}

        def trailing(days: int) -> np.ndarray:  # (calendar days, universe)
            if days not in returns:
                columns = []
                for s in universe:
                    at = latest[s]
                    enough = at >= days
                    value = np.full(len(calendar), np.nan)
                    value[enough] = closes[s][at[enough]] / closes[s][at[enough] - days] - 1.0
                    columns.append(value)
                returns[days] = np.column_stack(columns)
            return returns[days]

        crowdings: dict[str, list[list[float]]] = {}
        weights = np.full((len(calendar), len(params), len(universe)), np.nan)
        for column, p in enumerate(params):
            rows: list[list[float]] = []
            if p.crowding_filter != "none":
                key = p.crowding.model_dump_json()
                if key not in crowdings:
                    crowdings[key] = crowding_rows(crowding_from_market(
                        market, list(universe), p.reference, p.crowding), universe)
                rows = crowdings[key]
            for day in np.flatnonzero(rebalance_days(market, p)):
                def on_day(days: int, day: int = int(day)) -> np.ndarray:
                    return np.asarray(trailing(days)[day], dtype=float)

                scores = scores_from_returns(on_day, p)
                levels = dict(zip(universe, rows[day])) if rows else {}
                chosen, _ = choose_weights(scores, levels, p)
                weights[day, column] = [chosen.get(s, 0.0) for s in universe]
        symbols = [params[0].trade_via.get(s, s) for s in universe]
        return ScreenWeights(symbols=symbols, weights=weights,
                             slots=np.tile(np.arange(len(universe)), (len(params), 1)))

    @staticmethod
    def _tail(values: np.ndarray, depth: int) -> np.ndarray:
        padded = np.full(depth, np.nan)
        tail = values[-depth:]
        padded[depth - len(tail):] = tail
        return padded

    def on_bar(self, ctx: BarContext) -> None:
        p = self.params
        rebalanced = 0
        if self._due(ctx):
            targets = self.choose(ctx)
            ctx.order_target_weights({p.trade_via.get(s, s): w for s, w in targets.items()},
                                     tag=f"rebalance: {p.ranking}")
            rebalanced = 1
        weights = ctx.weights()
        crowding = self._crowding_today(ctx)
        held = [s for s in p.universe if weights.get(p.trade_via.get(s, s), 0) > 0]
        values = [crowding[s] for s in held if not math.isnan(crowding.get(s, math.nan))]
        market = [v for v in crowding.values() if not math.isnan(v)]
        ctx.record(rebalanced=rebalanced,
                   crowding_held=float(np.mean(values)) if values else math.nan,
                   crowding_market=float(np.mean(market)) if market else math.nan,
                   **{f"weight_{s}": weights.get(p.trade_via.get(s, s), 0.0)
                      for s in p.universe})
        if rebalanced:  # the ranking (before the crowding filter); other days leave it blank
            ctx.record(**{f"rank_{s}": self._ranks.get(s, math.nan) for s in p.universe})

    def report_notes(self, language: str = "en") -> list[str]:
        p = self.params
        measure = (note("industry_rotation", "measure_return", language, days=p.lookback_days)
                   if p.ranking != "long_weak_short_strong" else
                   note("industry_rotation", "measure_rank_gap", language, short=p.short_days,
                        long=p.long_days))
        notes = [note("industry_rotation", "ranking", language,
                      ranking=value("ranking", p.ranking, language), measure=measure,
                      top_k=p.top_k, universe=len(p.universe),
                      weighting=value("weighting", p.weighting, language),
                      rebalance=value("rebalance", p.rebalance, language),
                      day=value("rebalance_day", p.rebalance_day, language))]
        if p.crowding_filter != "none":
            notes.append(note("industry_rotation", "crowding", language,
                              filter=value("crowding_filter", p.crowding_filter, language),
                              threshold=f"{p.crowding_threshold:g}",
                              measure_days=p.crowding.measure_days,
                              percentile_days=p.crowding.percentile_days))
        return notes

    def get_state(self) -> dict[str, Any]:
        return {"last_period": list(self._last_period) if self._last_period else None}

    def set_state(self, state: dict[str, Any]) -> None:
        value = state.get("last_period")
        self._last_period = tuple(value) if value else None
