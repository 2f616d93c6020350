"""ETF premium Z-score (docs/research.md section 8; docs/strategies/premium_zscore.md).

The premium of a fund's traded close over its unit NAV, premium = close / NAV - 1
(:mod:`huice.feeds.nav`: the NAV's early ex-date corrected), has a rolling mean and standard
deviation over ``window`` days; Z = (premium - mean) / std. A fund whose Z falls to
``entry_z`` or below (an unusually deep discount) is bought and held ``hold_days`` trading days;
one whose Z reaches ``exit_z`` (an unusually rich premium) is sold, or never bought. Liquid
funds only: the mean amount of the last ``liquidity_days`` at least ``min_amount_cny``.

Causal by construction: a decision on day t reads the premium of t - ``lag`` (one day for a
domestic fund, whose NAV of day T is published on T's evening, after the close a decision is
made at; two for a cross-border fund, whose NAV is priced at the overseas close and published a
day later), so that also the next bar, which tells a NAV's early ex-date, is known.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from huice.engine.results.diagnostic import DiagnosticChart
from huice.engine.run.context import BarContext
from huice.feeds.market import MarketData
from huice.feeds.nav import BUNDLED_NAV, decision_lag, nav_of, premium
from huice.strategies.base import Strategy, StrategyParams
from huice.strategies.registry import register
from huice.strategies.words import note

DEFAULT_UNIVERSE = ["510300.SH", "510500.SH", "159915.SZ", "159919.SZ", "518880.SH",
                    "159934.SZ", "513100.SH", "513050.SH", "159920.SZ"]


class PremiumParams(StrategyParams):
    """The premium Z-score model's parameters."""

    universe: list[str] = Field(default_factory=lambda: list(DEFAULT_UNIVERSE), min_length=1)
    window: int = Field(60, ge=10, description="days of premium in the rolling mean and std")
    entry_z: float = Field(-2.0, lt=0, description="buy at a Z this low or lower (a discount)")
    exit_z: float = Field(2.0, gt=0, description="sell, or do not buy, at a Z this high")
    hold_days: int = Field(3, ge=1, description="trading days a bought fund is held")
    max_positions: int = Field(3, ge=1, description="funds held at once, equal weights")
    min_amount_cny: float = Field(20_000_000.0, ge=0,
                                  description="mean daily amount over liquidity_days at least")
    liquidity_days: int = Field(20, ge=1)
    nav_folder: Path | None = Field(None, description="folder of <symbol>.csv.gz NAV files "
                                                      "(default: the bundled data/nav)")

    @model_validator(mode="after")
    def _distinct(self) -> PremiumParams:
        if len(set(self.universe)) != len(self.universe):
            raise ValueError("universe lists a fund twice")
        return self


@register("premium_zscore")
class PremiumZScore(Strategy):
    """Buy ETFs at an unusually deep discount to NAV (Z <= entry_z), hold a few days; sell or
    avoid those at an unusually rich premium (Z >= exit_z)."""

    description = "ETF premium over NAV: buy a deep discount (Z <= -2), hold N days"
    Params = PremiumParams
    diagnostic_chart = DiagnosticChart(
        title="Premium Z-score as each decision saw it", title_zh="各决策日所见的溢价率 Z 值",
        line_prefix="Z ", ylabel="Z", ylabel_zh="Z 值")
    params: PremiumParams

    def __init__(self, params: StrategyParams | None = None) -> None:
        super().__init__(params)
        self._z: dict[str, np.ndarray] = {}
        self._premium: dict[str, np.ndarray] = {}
        self._liquid: dict[str, np.ndarray] = {}
        self._held_since: dict[str, int] = {}

    def symbols(self) -> list[str]:
        return list(self.params.universe)

    def prepare(self, market: MarketData) -> None:
        """The premium each day's decision sees, and its Z, for every fund (causal: each value
        uses bars up to its day and NAVs published by it)."""
        p = self.params
        calendar = market.exchange_calendar if market.exchange_calendar is not None \
            else market.calendar
        for symbol in p.universe:
            bars = market.bars(symbol)
            nav = nav_of(bars, symbol, p.nav_folder or BUNDLED_NAV)
            lag = decision_lag(market.instruments[symbol].asset_class, market.nav_lag_days)
            seen = premium(bars, nav, calendar).shift(lag)
            mean = seen.rolling(p.window, min_periods=p.window).mean()
            std = seen.rolling(p.window, min_periods=p.window).std(ddof=1)
            z = ((seen - mean) / std).where(std > 0)
            amount = bars["amount"] if "amount" in bars else pd.Series(np.nan, bars.index)
            liquid = amount.rolling(p.liquidity_days, min_periods=p.liquidity_days).mean() \
                >= p.min_amount_cny
            self._z[symbol] = z.reindex(market.calendar).to_numpy(dtype=float)
            self._premium[symbol] = seen.reindex(market.calendar).to_numpy(dtype=float)
            self._liquid[symbol] = liquid.reindex(market.calendar, fill_value=False) \
                .to_numpy(dtype=bool)

    def get_state(self) -> dict[str, Any]:
        return {"held_since": dict(self._held_since)}

    def set_state(self, state: dict[str, Any]) -> None:
        self._held_since = {s: int(i) for s, i in state.get("held_since", {}).items()}

    def on_bar(self, ctx: BarContext) -> None:
        p = self.params
        today = ctx.bar_index
        z = {s: self._z[s][today] for s in p.universe}
        if ctx.recording:
            ctx.record(**{f"Z {s}": z[s] for s in p.universe},
                       **{f"premium {s}": self._premium[s][today] for s in p.universe})
        held = {s for s in p.universe if ctx.position(s) > 0}
        self._held_since = {s: i for s, i in self._held_since.items() if s in held}
        for symbol in held - set(self._held_since):
            self._held_since[symbol] = today  # bought (filled) before today's decision
        keep = [s for s in held if today - self._held_since[s] < p.hold_days
                and not z[s] >= p.exit_z]
        candidates = sorted((z[s], s) for s in p.universe if s not in held
                            and ctx.has_bar(s) and self._liquid[s][today]
                            and np.isfinite(z[s]) and z[s] <= p.entry_z)
        chosen = keep + [s for _, s in candidates][:max(p.max_positions - len(keep), 0)]
        if set(chosen) == held or ctx.pending_orders():
            return
        weight = 1.0 / p.max_positions
        ctx.order_target_weights(dict.fromkeys(chosen, weight), tag="premium z-score")

    def report_notes(self, language: str = "en") -> list[str]:
        p = self.params
        return [note("premium_zscore", "rule", language, window=p.window,
                     entry=f"{p.entry_z:g}", exit=f"{p.exit_z:g}", hold=p.hold_days,
                     positions=p.max_positions)]
