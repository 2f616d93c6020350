"""Barbell: a high-dividend defensive leg and a small-cap leg held together (docs/research.md section 5).

Target weights per leg (default CSI Dividend 000922 and CSI 1000 000852 at 50/50), rebalanced on a
calendar (first or last trading day of each week, month or quarter) and/or when a leg drifts more
than a band from its target. Two optional, causal overlays scale total exposure: volume timing
(cut exposure while market turnover is weak) and volatility targeting.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from huice.engine.results.diagnostic import DiagnosticChart
from huice.engine.results.labels import joined
from huice.engine.run.context import BarContext
from huice.strategies.base import Strategy, StrategyParams
from huice.strategies.moments import mean_of, sample_std
from huice.strategies.periods import period_key
from huice.strategies.registry import register
from huice.strategies.words import note, value

WEIGHT_PREFIX = "weight "


class Leg(StrategyParams):
    """One end of the barbell."""

    symbol: str
    weight: float = Field(gt=0, le=1)


class VolumeTiming(StrategyParams):
    """Cut total exposure to ``exposure`` while turnover is weak: the mean ``amount`` of
    ``index`` over ``short_days`` below its ``long_days`` mean by more than ``threshold``."""

    enabled: bool = False
    index: str = "000300.SH"
    short_days: int = Field(20, ge=1)
    long_days: int = Field(120, ge=2)
    threshold: float = Field(0.1, ge=0, lt=1, description="fractional shortfall, 0.1 = 10%")
    exposure: float = Field(0.5, ge=0, le=1)

    @model_validator(mode="after")
    def _windows(self) -> VolumeTiming:
        if self.short_days >= self.long_days:
            raise ValueError(f"short_days ({self.short_days}) must be below long_days "
                             f"({self.long_days})")
        return self


class VolatilityTarget(StrategyParams):
    """Scale exposure to ``target`` annualised volatility of the target mix over
    ``lookback_days``, capped at ``max_exposure``."""

    enabled: bool = False
    target: float = Field(0.15, gt=0, le=2)
    lookback_days: int = Field(60, ge=5)
    max_exposure: float = Field(1.0, gt=0, le=1)
    periods_per_year: int = Field(252, ge=1)


class BarbellParams(StrategyParams):
    """Parameters of the barbell strategy."""

    legs: list[Leg] = Field(default_factory=lambda: [Leg(symbol="000922.CSI", weight=0.5),
                                                     Leg(symbol="000852.SH", weight=0.5)])
    rebalance: Literal["weekly", "monthly", "quarterly", "none"] = "monthly"
    rebalance_day: Literal["first", "last"] = Field(
        "first", description="first or last trading day of the period (from the exchange calendar)")
    drift_band: float | None = Field(
        None, gt=0, lt=1, description="rebalance when a leg's weight is this far from its target "
                                      "(fraction: 0.05 = 5 percentage points)")
    min_trade_value_cny: float = Field(0.0, ge=0)
    volume_timing: VolumeTiming = VolumeTiming()
    volatility_target: VolatilityTarget = VolatilityTarget()

    @model_validator(mode="after")
    def _legs(self) -> BarbellParams:
        symbols = [leg.symbol for leg in self.legs]
        if not symbols:
            raise ValueError("at least one leg is needed")
        if len(set(symbols)) != len(symbols):
            raise ValueError(f"a symbol appears in two legs: {symbols}")
        total = sum(leg.weight for leg in self.legs)
        if total > 1 + 1e-9:
            raise ValueError(f"leg weights sum to {total:g}; at most 1 is allowed")
        return self


@register("barbell")
class Barbell(Strategy):
    """Dividend + small-cap legs at target weights, calendar and drift-band rebalancing."""

    description = ("Barbell: CSI Dividend + small cap at target weights, calendar and drift-band "
                   "rebalancing, optional volume-timing and volatility-target overlays")
    Params = BarbellParams
    diagnostic_chart = DiagnosticChart(title="Leg weights (share of equity) and rebalances",
                                       lines=("exposure",), stacked_prefix=WEIGHT_PREFIX,
                                       markers="rebalance", ylabel="weight", percent=True,
                                       title_zh="各腿权重（占权益）与再平衡", ylabel_zh="权重",
                                       names_zh={"exposure": "总仓位", "rebalance": "再平衡"})
    params: BarbellParams

    def __init__(self, params: BarbellParams | None = None) -> None:
        super().__init__(params)
        self._last_period: tuple[int, int] | None = None
        self._weak_turnover = False
        self._started = False

    def symbols(self) -> list[str]:
        extra = [self.params.volume_timing.index] if self.params.volume_timing.enabled else []
        return list(dict.fromkeys([leg.symbol for leg in self.params.legs] + extra))

    def traded_symbols(self) -> list[str]:
        return [leg.symbol for leg in self.params.legs]

    # -- overlays ----------------------------------------------------------------------------
    def _turnover_is_weak(self, ctx: BarContext) -> bool:
        timing = self.params.volume_timing
        amount = ctx.history(timing.index, "amount")
        if len(amount) < timing.long_days or np.isnan(amount[-timing.long_days:]).any():
            return False
        short = mean_of(amount[-timing.short_days:])
        long = mean_of(amount[-timing.long_days:])
        return short < long * (1.0 - timing.threshold)

    def _volatility_exposure(self, ctx: BarContext) -> float:
        target = self.params.volatility_target
        needed = target.lookback_days + 1
        mix = None
        for leg in self.params.legs:
            closes = ctx.history(leg.symbol)
            if len(closes) < needed:
                return target.max_exposure
            window = closes[-needed:]
            returns = window[1:] / window[:-1] - 1.0
            mix = returns * leg.weight if mix is None else mix + returns * leg.weight
        if mix is None:
            return target.max_exposure
        volatility = sample_std(mix) * math.sqrt(target.periods_per_year)
        if volatility <= 0:
            return target.max_exposure
        return min(target.max_exposure, target.target / volatility)

    def exposure(self, ctx: BarContext) -> float:
        """Total equity exposure from the overlays (1 with both off)."""
        exposure = 1.0
        if self.params.volume_timing.enabled:
            self._weak_turnover = self._turnover_is_weak(ctx)
            if self._weak_turnover:
                exposure *= self.params.volume_timing.exposure
        if self.params.volatility_target.enabled:
            exposure *= self._volatility_exposure(ctx)
        return min(exposure, 1.0)

    # -- decisions ---------------------------------------------------------------------------
    def _calendar_due(self, ctx: BarContext) -> bool:
        p = self.params
        if p.rebalance == "none":
            return False
        today = ctx.today
        if p.rebalance_day == "first":
            key = period_key(today, p.rebalance)
            due = key != self._last_period
            self._last_period = key
            return due
        following = ctx.next_trading_day()
        return following is None or period_key(following, p.rebalance) != period_key(
            today, p.rebalance)

    def on_bar(self, ctx: BarContext) -> None:
        p = self.params
        if not all(ctx.has_bar(leg.symbol) or len(ctx.history(leg.symbol)) for leg in p.legs):
            return  # a leg has not started yet
        was_weak = self._weak_turnover
        exposure = self.exposure(ctx)
        targets = {leg.symbol: leg.weight * exposure for leg in p.legs}
        weights = ctx.weights()
        drift = max(abs(weights.get(s, 0.0) - w) for s, w in targets.items())
        calendar_due = self._calendar_due(ctx)
        reason = None
        if not self._started:
            reason = "initial allocation"
        elif calendar_due:
            reason = f"{p.rebalance} rebalance"
        elif p.drift_band is not None and drift > p.drift_band:
            reason = f"drift {drift:.2%} above the {p.drift_band:.0%} band"
        elif self._weak_turnover != was_weak:
            reason = "turnover weak" if self._weak_turnover else "turnover recovered"
        rebalanced = reason is not None and not ctx.pending_orders()
        if rebalanced and reason is not None:
            ctx.order_target_weights(targets, tag=reason,
                                     min_trade_value_cny=p.min_trade_value_cny)
            self._started = True
        ctx.record(exposure=exposure, rebalance=1.0 if rebalanced else 0.0, drift=drift,
                   **{f"{WEIGHT_PREFIX}{s}": weights.get(s, 0.0) for s in targets})

    def report_notes(self, language: str = "en") -> list[str]:
        p = self.params
        legs = joined([f"{leg.symbol} {leg.weight:.0%}" for leg in p.legs], language)
        band = f"{p.drift_band:.0%}" if p.drift_band else ""
        if p.rebalance == "none":
            drift = note("barbell", "drift_only", language, band=band) if band else ""
            notes = [note("barbell", "legs_no_calendar", language, legs=legs, drift=drift)]
        else:
            drift = note("barbell", "drift", language, band=band) if band else ""
            notes = [note("barbell", "legs", language, legs=legs,
                          rebalance=value("rebalance", p.rebalance, language),
                          day=value("rebalance_day", p.rebalance_day, language), drift=drift)]
        if p.volume_timing.enabled:
            t = p.volume_timing
            notes.append(note("barbell", "volume_timing", language, exposure=f"{t.exposure:.0%}",
                              short=t.short_days, index=t.index,
                              threshold=f"{t.threshold:.0%}", long=t.long_days))
        if p.volatility_target.enabled:
            v = p.volatility_target
            notes.append(note("barbell", "volatility_target", language, target=f"{v.target:.0%}",
                              days=v.lookback_days, max_exposure=f"{v.max_exposure:.0%}"))
        return notes

    def get_state(self) -> dict[str, Any]:
        return {"last_period": list(self._last_period) if self._last_period else None,
                "weak_turnover": self._weak_turnover, "started": self._started}

    def set_state(self, state: dict[str, Any]) -> None:
        self._last_period = tuple(state["last_period"]) if state["last_period"] else None
        self._weak_turnover = state["weak_turnover"]
        self._started = state["started"]
