"""ETF creation/redemption flow rotation (docs/research.md section 4).

An ETF's shares outstanding change only through primary-market creation and redemption, so
``(shares_t - shares_{t-1}) * nav_t`` (the close when there is no NAV) is money entering or
leaving the index it tracks. Rank ETFs, or the indices they track (summing every ETF on the
same index and trading its most liquid ETF), by net flow over a lookback, usually scaled by AUM,
and rotate into the leaders (``follow``) or the laggards (``contrarian``).

Jumps in shares that are not flows (fund merges such as 510310 on 2024-09-20, splits) are set to
zero: dates listed in ``exclude_dates``, and automatically any day on which shares change by more
than ``max_daily_share_change``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from huice.config.errors import ConfigError
from huice.engine.results.diagnostic import DiagnosticChart
from huice.engine.run.context import BarContext
from huice.engine.sweep.screen_sim import ScreenWeights
from huice.feeds.market import MarketData
from huice.strategies.base import Strategy, StrategyParams
from huice.strategies.periods import period_key
from huice.strategies.registry import register
from huice.strategies.words import note, value

FLOW_PREFIX = "flow "
WEIGHT_PREFIX = "weight "


class EtfFlowParams(StrategyParams):
    """Parameters of the ETF flow rotation."""

    universe: list[str] = Field(min_length=1, description="ETF symbols whose bars carry shares")
    formula: Literal["shares", "aum"] = Field(
        "shares", description="shares: (s_t - s_t-1) * nav_t; aum: aum_t - aum_t-1 * (1 + r_t)")
    lookback_days: int = Field(20, ge=1, description="trading days of flow summed")
    scale: Literal["aum", "none"] = Field("aum", description="divide by the mean AUM of the window")
    aggregate: Literal["etf", "index"] = Field(
        "index", description="rank ETFs, or the indices they track (trading the most liquid ETF)")
    direction: Literal["follow", "contrarian"] = "follow"
    top_k: int = Field(1, ge=1)
    weighting: Literal["equal", "flow"] = "equal"
    rebalance: Literal["weekly", "monthly", "every_n_days"] = "monthly"
    rebalance_days: int = Field(20, ge=1, description="for every_n_days")
    min_avg_turnover_cny: float = Field(0.0, ge=0, description="liquidity filter: mean daily "
                                                                "amount over the lookback")
    cash_buffer: float = Field(0.0, ge=0, lt=1, description="share of equity kept in cash")
    exclude_dates: dict[str, list[dt.date]] = Field(
        default_factory=dict, description="per ETF, days whose share change is not a flow")
    max_daily_share_change: float = Field(
        0.3, gt=0, description="a larger one-day change in shares is treated as not a flow")
    min_coverage: float = Field(0.8, gt=0, le=1, description="share of the lookback with "
                                                             "shares data needed to rank")
    min_trade_value_cny: float = Field(0.0, ge=0)
    tracks: dict[str, str] = Field(default_factory=dict,
                                   description="ETF -> tracked index (default: the catalog)")
    trade_via: dict[str, str] = Field(
        default_factory=dict, description="index -> the ETF to trade it with (default: its most "
                                          "liquid ETF in the universe)")
    flow_price: Literal["auto", "nav", "vwap", "close"] = Field(
        "auto", description="price of a share in the flow: auto = nav if present, else the "
                            "day's VWAP (amount / volume, a traded price), else the close")

    @model_validator(mode="after")
    def _unique(self) -> EtfFlowParams:
        if len(set(self.universe)) != len(self.universe):
            raise ValueError("an ETF is listed twice in universe")
        return self


def daily_flows(shares: pd.Series, price: pd.Series, formula: str,
                excluded: set[pd.Timestamp], max_change: float) -> tuple[pd.Series, pd.Series]:
    """Net flow of each day in CNY by ``formula``, and a mask of days treated as not a flow.

    Both formulas give the same number when ``price`` is both NAV and the return series:
    ``aum_t - aum_{t-1} (1 + r_t) = s_t p_t - s_{t-1} p_{t-1} p_t / p_{t-1} = (s_t - s_{t-1}) p_t``.
    """
    previous = shares.shift()
    if formula == "aum":
        aum = shares * price
        flow = aum - aum.shift() * (1.0 + price.pct_change())
    else:
        flow = (shares - previous) * price
    jump = (shares / previous - 1.0).abs() > max_change
    not_flow = jump | shares.index.isin(list(excluded))
    flow = flow.where(~not_flow, 0.0)
    return flow, not_flow


def flow_price(bars: pd.DataFrame, choice: str) -> pd.Series:
    """The price of one share in the flow formula."""
    has_nav = "nav" in bars.columns and bars["nav"].notna().any()
    has_vwap = bars["amount"].notna().any() and bars["volume"].notna().any()
    if choice == "nav" or (choice == "auto" and has_nav):
        return bars["nav"]
    if choice == "vwap" or (choice == "auto" and has_vwap):
        vwap = bars["amount"] / bars["volume"].where(bars["volume"] > 0)
        return vwap.fillna(bars["close"])
    return bars["close"]


@register("etf_flow")
class EtfFlowRotation(Strategy):
    """Rotate into the ETFs (or indices) with the largest recent creation flows."""

    description = ("ETF flow rotation: rank ETFs or their indices by creation/redemption flow "
                   "from shares outstanding; hold the top K")
    Params = EtfFlowParams
    diagnostic_chart = (
        DiagnosticChart(title="Flow factor (net flow over the lookback / mean AUM)",
                        line_prefix=FLOW_PREFIX, markers="rebalance", ylabel="flow / AUM",
                        percent=True, title_zh="资金流因子（回看期净申赎 / 平均规模）",
                        ylabel_zh="净申赎 / 规模", names_zh={"rebalance": "再平衡"}),
        DiagnosticChart(title="Holdings (share of equity)", stacked_prefix=WEIGHT_PREFIX,
                        ylabel="weight", percent=True, title_zh="持仓（占权益）",
                        ylabel_zh="权重"),
    )
    params: EtfFlowParams

    def __init__(self, params: EtfFlowParams | None = None) -> None:
        super().__init__(params)
        self._last_period: tuple[int, int] | None = None
        self._bars_since = 0
        self._started = False
        self._factor: np.ndarray | None = None
        self._coverage: np.ndarray | None = None
        self._liquidity: dict[str, tuple[list[str], np.ndarray]] = {}
        self._groups: dict[str, list[str]] = {}
        self._excluded_days = 0

    def symbols(self) -> list[str]:
        return list(self.params.universe)

    def traded_symbols(self) -> list[str]:
        """The ETFs it may hold: each group's ``trade_via`` choice, or all its members."""
        if not self._groups:
            return list(self.params.universe)
        traded = []
        for group, members in self._groups.items():
            choice = self.params.trade_via.get(group)
            traded += [choice] if choice in members else members
        return traded

    # -- the factor, computed once with causal rolling windows -------------------------------
    def prepare(self, market: MarketData) -> None:
        p = self.params
        calendar = market.calendar
        flows, aums, coverage = {}, {}, {}
        self._groups = self._group_members(market)
        for symbol in p.universe:
            bars = market.bars(symbol)
            if "shares" not in bars.columns or bars["shares"].isna().all():
                if p.aggregate == "etf":
                    raise ConfigError(f"{symbol} has no shares line: flows need shares "
                                      "outstanding (see data/README.md for the ETFs that have "
                                      "it)", where="strategy.params.universe")
                continue  # traded for its index, contributes no flow
            price = flow_price(bars, p.flow_price)
            excluded = {pd.Timestamp(d) for d in p.exclude_dates.get(symbol, [])}
            flow, not_flow = daily_flows(bars["shares"], price, p.formula, excluded,
                                         p.max_daily_share_change)
            self._excluded_days += int(not_flow.sum())
            flows[symbol] = flow.reindex(calendar)
            aums[symbol] = (bars["shares"] * price).reindex(calendar).ffill()
            coverage[symbol] = flow.notna().reindex(calendar, fill_value=False)
        for group, members in self._groups.items():
            if not any(m in flows for m in members):
                raise ConfigError(f"no ETF of {group} ({', '.join(members)}) has shares data",
                                  where="strategy.params.universe")
        flows = pd.DataFrame(flows).fillna(0.0)
        aums = pd.DataFrame(aums)
        window = p.lookback_days
        covered = pd.DataFrame(coverage).astype(float).rolling(window, min_periods=1).mean()
        mean_aum = aums.rolling(window, min_periods=1).mean()
        summed = flows.rolling(window, min_periods=1).sum()
        liquidity = pd.DataFrame({s: market.bars(s)["amount"].reindex(calendar)
                                  for s in p.universe}).rolling(window, min_periods=1).mean()
        factor, group_coverage, group_liquidity = {}, {}, {}
        for group, members in self._groups.items():
            with_flows = [m for m in members if m in flows]
            total = summed[with_flows].sum(axis=1)
            if p.scale == "aum":
                total = total / mean_aum[with_flows].sum(axis=1, min_count=1)
            factor[group] = total
            group_coverage[group] = covered[with_flows].max(axis=1)
            group_liquidity[group] = liquidity[members]
        # numpy arrays (day x group): on_bar reads one row per bar, without pandas indexing
        self._group_names = list(self._groups)
        self._factor = pd.DataFrame(factor)[self._group_names].to_numpy(dtype=float)
        self._coverage = pd.DataFrame(group_coverage)[self._group_names].to_numpy(dtype=float)
        self._liquidity = {g: (list(frame.columns), frame.to_numpy(dtype=float))
                           for g, frame in group_liquidity.items()}
        self._flow_labels = [f"{FLOW_PREFIX}{g}" for g in self._group_names]
        self._weight_labels = {s: f"{WEIGHT_PREFIX}{s}" for s in p.universe}

    def _group_members(self, market: MarketData) -> dict[str, list[str]]:
        p = self.params
        if p.aggregate == "etf":
            return {symbol: [symbol] for symbol in p.universe}
        groups: dict[str, list[str]] = {}
        for symbol in p.universe:
            index = p.tracks.get(symbol) or market.instruments[symbol].tracks or symbol
            groups.setdefault(index, []).append(symbol)
        return groups

    # -- decisions ---------------------------------------------------------------------------
    def _due(self, today: dt.date) -> bool:
        p = self.params
        self._bars_since += 1
        if p.rebalance == "every_n_days":
            due = not self._started or self._bars_since >= p.rebalance_days
        else:
            key = period_key(today, "weekly" if p.rebalance == "weekly" else "monthly")
            due = key != self._last_period
            self._last_period = key
        return due

    def targets(self, ctx: BarContext) -> dict[str, float] | None:
        """Target weights from today's factor, or None when nothing can be ranked yet."""
        return self.targets_on(ctx.bar_index, ctx.started)

    def _prepared(self) -> tuple[np.ndarray, np.ndarray]:
        """The factor and its coverage, computed by :meth:`prepare`."""
        if self._factor is None or self._coverage is None:
            raise RuntimeError("prepare() computes the flow factor before the first bar")
        return self._factor, self._coverage

    def targets_on(self, row: int, started: Callable[[str], bool]) -> dict[str, float] | None:
        """Target weights from the factor of calendar day ``row`` (``started(symbol)``: whether
        the ETF has had a bar by then), or None when nothing can be ranked yet."""
        p = self.params
        candidates = []
        factor, coverage = self._prepared()
        for column, (group, members) in enumerate(self._groups.items()):
            value = factor[row, column]
            if not np.isfinite(value) or coverage[row, column] < p.min_coverage:
                continue
            names, values = self._liquidity[group]
            liquidity = dict(zip(names, values[row]))
            tradable = [s for s in members if started(s)]
            if group in p.trade_via:
                tradable = [s for s in tradable if s == p.trade_via[group]]
            if not tradable:
                continue
            best = max(tradable, key=lambda s: (np.nan_to_num(liquidity[s], nan=-1.0), s))
            if np.nan_to_num(liquidity[best], nan=0.0) < p.min_avg_turnover_cny:
                continue
            candidates.append((value, group, best))
        if not candidates:
            return None
        candidates.sort(key=lambda c: (-c[0] if p.direction == "follow" else c[0], c[1]))
        chosen = candidates[: p.top_k]
        invest = 1.0 - p.cash_buffer
        if p.weighting == "flow" and sum(abs(c[0]) for c in chosen) > 0:
            total = sum(abs(c[0]) for c in chosen)
            return {symbol: invest * abs(value) / total for value, _, symbol in chosen}
        return {symbol: invest / len(chosen) for _, _, symbol in chosen}

    @classmethod
    def screen_weights(cls, market: MarketData,
                       params: Sequence[EtfFlowParams]) -> ScreenWeights:
        """Target weights for a sweep's screen (see :mod:`huice.engine.sweep.screen_sim`), one
        parameter set of one universe after another: the factor over whole arrays
        (:meth:`prepare`), the rebalance schedule and the choice the strategy's own
        (:meth:`targets_on`), assuming every order filled before the next rebalance (the
        event-driven strategy waits while an order is pending). NaN rows: no order."""
        universe = list(params[0].universe)
        calendar = market.calendar
        first_bar = {}
        for s in universe:
            has_bar = market.bar_positions(s) >= 0
            first_bar[s] = int(np.argmax(has_bar)) if has_bar.any() else len(calendar)
        weights = np.full((len(calendar), len(params), len(universe)), np.nan)
        for column, p in enumerate(params):
            strategy = cls(p)
            strategy.prepare(market)
            for row, day in enumerate(calendar.date):
                if not strategy._due(day):
                    continue
                def started(symbol: str, row: int = row) -> bool:
                    return bool(first_bar[symbol] <= row)

                chosen = strategy.targets_on(row, started)
                if chosen is not None:
                    strategy._started, strategy._bars_since = True, 0
                    weights[row, column] = [chosen.get(s, 0.0) for s in universe]
        return ScreenWeights(symbols=universe, weights=weights,
                             slots=np.tile(np.arange(len(universe)), (len(params), 1)))

    def on_bar(self, ctx: BarContext) -> None:
        due = self._due(ctx.today)
        rebalanced = False
        if due and not ctx.pending_orders():
            targets = self.targets(ctx)
            if targets is not None:
                ctx.order_target_weights(targets, tag="flow rotation",
                                         min_trade_value_cny=self.params.min_trade_value_cny)
                self._started, self._bars_since, rebalanced = True, 0, True
        weights = ctx.weights()
        values = dict(zip(self._flow_labels, self._prepared()[0][ctx.bar_index].tolist()))
        values.update({label: weights.get(s, 0.0) for s, label in self._weight_labels.items()})
        ctx.record(rebalance=1.0 if rebalanced else 0.0, **values)

    def report_notes(self, language: str = "en") -> list[str]:
        p = self.params
        def say(key: str, **values: object) -> str:
            return note("etf_flow", key, language, **values)

        groups = say("group_separator").join(say("group", group=g, members=", ".join(m))
                                             for g, m in self._groups.items())
        every = (say("every_n_days", n=p.rebalance_days) if p.rebalance == "every_n_days"
                 else value("rebalance", p.rebalance, language))
        return [
            say("rotation", formula=say(f"formula_{p.formula}"), lookback=p.lookback_days,
                scale=say(f"scale_{p.scale}"), direction=value("direction", p.direction, language),
                top_k=p.top_k, aggregate=value("aggregate", p.aggregate, language),
                weighting=value("weighting", p.weighting, language), every=every,
                buffer=f"{p.cash_buffer:.0%}"),
            say("groups", groups=groups),
            say("excluded", days=self._excluded_days, limit=f"{p.max_daily_share_change:.0%}"),
        ]

    def get_state(self) -> dict[str, Any]:
        return {"last_period": list(self._last_period) if self._last_period else None,
                "bars_since": self._bars_since, "started": self._started}

    def set_state(self, state: dict[str, Any]) -> None:
        self._last_period = tuple(state["last_period"]) if state["last_period"] else None
        self._bars_since = state["bars_since"]
        self._started = state["started"]
