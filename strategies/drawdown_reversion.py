"""Threshold drawdown reversion ("deviation repair"), docs/research.md section 3.

An industry index P moves against a benchmark B in cycles of relative drawdown and repair. Go
long when the relative drawdown ``W_t`` is deeper than a threshold learnt from past completed
drawdown episodes; go flat when the relative value makes a new high (``W_t == 0``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from pydantic import Field

from huice.engine.results.caution import Caution
from huice.engine.results.diagnostic import DiagnosticChart
from huice.engine.run.context import BarContext
from huice.engine.sweep.screen_sim import ScreenWeights
from huice.feeds.market import MarketData
from huice.strategies.base import Strategy, StrategyParams
from huice.strategies.registry import register
from huice.strategies.words import note


def completed_episode_depths(drawdown: np.ndarray) -> list[float]:
    """Depths (largest W) of each run of ``W > 0`` that ended with a return to a new high.

    A drawdown still open at the end is left out: it has not shown its depth yet.
    """
    depths: list[float] = []
    depth = 0.0
    inside = False
    for value in drawdown:
        if value > 0:
            inside = True
            depth = max(depth, float(value))
        elif inside:
            depths.append(depth)
            inside, depth = False, 0.0
    return depths


def effective_drawdowns(depths: list[float], share: float) -> list[float]:
    """Steps 4-6: keep the largest depths that make up ``share`` of the total, repeatedly,
    until the kept set no longer changes."""
    kept = sorted(depths, reverse=True)
    while kept:
        running = np.cumsum(kept)
        total = running[-1]
        reached = np.flatnonzero(running >= share * total)
        count = int(reached[0]) + 1 if len(reached) else len(kept)
        if count == len(kept):
            return kept
        kept = kept[:count]
    return kept


def drawdown_threshold(depths: list[float], share: float, ratio: float) -> float | None:
    """Step 7: ``theta = ratio * max(C)``; None when there is no completed episode.

    The effective set C always keeps the largest depth (steps 4-6 cut from the smallest), so
    ``max(C) == max(depths)`` whatever ``share`` is: computed as such, the same float
    (tests/strategies/test_drawdown_algorithm.py checks it against the effective set)."""
    if not depths:
        return None
    return ratio * max(depths)


def relative_drawdown(target: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``W_t = 1 - r_t / max(r_0..r_t)`` for ``r = target / reference`` normalised to r_0 = 1."""
    relative = target / reference
    relative = relative / relative[0]
    drawdown: np.ndarray = 1.0 - relative / np.maximum.accumulate(relative)
    return drawdown


def drawdown_signals(target: np.ndarray, reference: np.ndarray,
                     params: Sequence[DrawdownReversionParams]) -> np.ndarray:
    """The strategy's signal (1 long, 0 flat) after each day on which both indices have a bar,
    for every parameter set at once: ``(days, sets)``. The same arithmetic, in the same order,
    as :meth:`DrawdownReversion._update` one day at a time (tests/strategies/
    test_drawdown_vectorised.py checks them equal day by day); day t uses closes up to t only.

    The threshold only ever changes when an episode completes (the relative value regains its
    peak): it is ``ratio * the largest depth completed so far``, and the deepest completed
    depth at day t is the running maximum of W up to the last completion at or before t.
    """
    raw = target / reference
    relative = raw / raw[0]
    peak = np.maximum.accumulate(relative)
    at_peak = relative >= peak  # _update's `relative >= self._peak` (the peak is a running max)
    with np.errstate(invalid="ignore"):
        drawdown = np.where(at_peak, 0.0, 1.0 - relative / peak)
    days = len(drawdown)
    completed = np.zeros(days, dtype=bool)  # an episode ends: back at the peak after W > 0
    completed[1:] = at_peak[1:] & (drawdown[:-1] > 0)
    deepest = np.maximum.accumulate(drawdown)
    last_end = np.maximum.accumulate(np.where(completed, np.arange(days), -1))
    known = last_end >= 0
    completed_max = np.where(known, deepest[np.maximum(last_end - 1, 0)], np.nan)
    whole_window = deepest[np.flatnonzero(completed)[-1] - 1] if completed.any() else math.nan
    observations = np.arange(1, days + 1)
    signals = np.empty((days, len(params)), dtype=np.int8)
    for column, p in enumerate(params):
        if p.window == "full":
            theta = np.full(days, p.ratio * whole_window)
            ready = np.full(days, completed.any())
        else:
            theta = p.ratio * completed_max
            ready = known & (observations > p.min_history_days)
        with np.errstate(invalid="ignore"):
            enter = ready & (drawdown > theta)
        leave = drawdown == 0.0
        event = enter | leave
        last_event = np.maximum.accumulate(np.where(event, np.arange(days), -1))
        signals[:, column] = np.where(last_event >= 0, enter[np.maximum(last_event, 0)], 0)
    return signals


def calendar_signals(market: MarketData,
                     params: Sequence[DrawdownReversionParams]) -> np.ndarray:
    """:func:`drawdown_signals` on ``market``'s calendar, ``(days, sets)``: each calendar day
    takes the signal of its latest day with both bars (0 before the first), as the strategy
    keeps its signal over a day on which either index has no bar."""
    first = params[0]
    joined = market.bars(first.target)[["close"]].join(
        market.bars(first.reference)[["close"]].add_suffix("_reference"), how="inner")
    signals = drawdown_signals(joined["close"].to_numpy(float),
                               joined["close_reference"].to_numpy(float), params)
    position = np.searchsorted(joined.index, market.calendar, side="right") - 1
    on_calendar: np.ndarray = np.where(position[:, None] >= 0, signals[np.maximum(position, 0)], 0)
    return on_calendar


class DrawdownReversionParams(StrategyParams):
    """Parameters of the threshold drawdown reversion strategy."""

    target: str = Field(description="industry index traded against the reference, e.g. 801080.SI")
    reference: str = Field("000300.SH", description="broad benchmark index")
    share: float = Field(0.8, gt=0, le=1, description="share of total depth kept (steps 5-6)")
    ratio: float = Field(0.8, gt=0, le=1, description="threshold = ratio * max(effective set)")
    window: Literal["expanding", "full"] = Field(
        "expanding", description="expanding: causal statistics; full: whole window (in-sample)")
    min_history_days: int = Field(
        750, ge=0, description="relative-value days observed before the first trade (expanding)")
    trade: Literal["relative", "target"] = Field(
        "target", description="relative: the synthetic ratio target/reference; target: an "
                              "instrument tracking the target")
    instrument: str | None = Field(
        None, description="what to trade when trade=target (default: the target index itself)")


@register("drawdown_reversion")
class DrawdownReversion(Strategy):
    """Buy deep relative drawdowns of an index against a benchmark; exit when fully repaired."""

    description = ("Threshold drawdown reversion: long an industry index when its drawdown "
                   "relative to CSI 300 is deeper than a learnt threshold, flat at a new high")
    Params = DrawdownReversionParams
    diagnostic_chart = DiagnosticChart(title="Relative drawdown W_t and threshold",
                                       lines=("drawdown", "threshold"), shade="holding",
                                       ylabel="relative drawdown", percent=True,
                                       title_zh="相对回撤 W_t 与阈值", ylabel_zh="相对回撤",
                                       names_zh={"drawdown": "相对回撤", "threshold": "阈值",
                                                 "holding": "持有"})
    params: DrawdownReversionParams
    # its screen weights change when the signal does, and it orders whenever its holding
    # differs from the signal: after a warm-up (data.trade_start) it orders the standing one
    screen_standing_targets = True

    def __init__(self, params: DrawdownReversionParams | None = None) -> None:
        super().__init__(params)
        self._base = math.nan
        self._peak = 0.0
        self._episode_depth = 0.0
        self._in_episode = False
        self._depths: list[float] = []
        self._observations = 0
        self._theta: float | None = None
        self._signal = 0
        self._relative = math.nan
        self._full_window_info = ""
        self._market: MarketData | None = None
        self._by_day: list[int] | None = None  # a sweep run's signals, see on_bar
        self._waiting = False  # whether an order it placed may still be pending (sweep runs)

    # -- plugin interface --------------------------------------------------------------------
    @property
    def causal(self) -> bool:
        return self.params.window == "expanding"

    @functools.cached_property
    def traded_symbol(self) -> str:
        """What it trades: the ratio, or the instrument tracking the target (its params do
        not change after it is built, so worked out once)."""
        p = self.params
        if p.trade == "relative":
            return f"{p.target}/{p.reference}"
        return p.instrument or p.target

    def symbols(self) -> list[str]:
        return list(dict.fromkeys([self.params.target, self.params.reference, self.traded_symbol]))

    def traded_symbols(self) -> list[str]:
        return [self.traded_symbol]

    def prepare(self, market: MarketData) -> None:
        self._market, self._by_day, self._waiting = market, None, False
        if self.params.window != "full":
            return
        # In-sample by design (docs/research.md section 3, published-tracking mode): the statistics
        # use the whole window, including days after each decision.
        joined = market.bars(self.params.target)[["close"]].join(
            market.bars(self.params.reference)[["close"]].add_suffix("_reference"), how="inner")
        drawdown = relative_drawdown(joined["close"].to_numpy(),
                                     joined["close_reference"].to_numpy())
        depths = completed_episode_depths(drawdown)
        self._theta = drawdown_threshold(depths, self.params.share, self.params.ratio)
        effective = effective_drawdowns(depths, self.params.share)
        self._full_window_info = (
            f"{len(depths)} completed episodes, effective set of {len(effective)}, "
            f"theta = {self._theta:.6f}" if self._theta is not None else "no completed episode")

    def on_bar(self, ctx: BarContext) -> None:
        by_day = self._by_day
        if by_day is None and not ctx.recording and self._market is not None:
            # a sweep's run records nothing and exports no state: its signal is read from the
            # vectorised pass over the whole market (the same arithmetic, day t from closes
            # up to t only: tests/strategies/test_drawdown_vectorised.py), as backtrader's
            # runonce mode computes indicators before next() reads them
            by_day = self._by_day = calendar_signals(self._market, [self.params])[:, 0].tolist()
        if by_day is not None:
            self._signal = by_day[ctx.bar_index]
            if (ctx.position(self.traded_symbol) > 0) == (self._signal == 1) and not self._waiting:
                return  # nothing to do, and no order of its own waiting (it places them all)
            self._trade(ctx)
            self._waiting = bool(ctx.pending_orders(self.traded_symbol))
            return
        p = self.params
        if ctx.has_bar(p.target) and ctx.has_bar(p.reference):
            self._update(ctx.latest(p.target) / ctx.latest(p.reference))
        holding = self._trade(ctx)
        if not ctx.recording:
            return
        drawdown = 1.0 - self._relative / self._peak if self._observations else math.nan
        ctx.record(relative=self._relative if self._observations else math.nan,
                   drawdown=drawdown,
                   threshold=self._theta if self._theta is not None else math.nan,
                   signal=self._signal, holding=1 if holding else 0)

    def _trade(self, ctx: BarContext) -> bool:
        """Order towards the signal unless an order is already waiting; whether it holds."""
        traded = self.traded_symbol
        holding = ctx.position(traded) > 0
        if holding != (self._signal == 1) and not ctx.pending_orders(traded):
            if holding:
                ctx.order_target_weights({}, tag="exit: relative value at a new high")
            else:
                ctx.order_target_weights({traded: 1.0}, tag="enter: W above threshold")
        return holding

    # -- the algorithm, one observation at a time -------------------------------------------
    def _update(self, raw_relative: float) -> None:
        p = self.params
        if self._observations == 0:
            self._base = raw_relative
        relative = raw_relative / self._base
        self._observations += 1
        self._relative = relative
        if relative >= self._peak:
            if self._in_episode:
                self._depths.append(self._episode_depth)
                self._in_episode, self._episode_depth = False, 0.0
                if p.window == "expanding":
                    self._theta = drawdown_threshold(self._depths, p.share, p.ratio)
            self._peak = relative
            drawdown = 0.0
        else:
            drawdown = 1.0 - relative / self._peak
            self._in_episode = True
            self._episode_depth = max(self._episode_depth, drawdown)
        ready = self._theta is not None and (
            p.window == "full" or self._observations > p.min_history_days)
        if ready and self._theta is not None and drawdown > self._theta:
            self._signal = 1
        elif drawdown == 0.0:
            self._signal = 0

    @classmethod
    def screen_weights(cls, market: MarketData,
                       params: Sequence[DrawdownReversionParams]) -> ScreenWeights:
        """Vectorised target weights for a sweep's screen (see
        :mod:`huice.engine.sweep.screen_sim`): every parameter set of one target, reference
        and traded instrument at once. After each day's close the strategy holds the traded
        instrument while its signal is 1; an order is placed on the days the signal changes."""
        on_calendar = calendar_signals(market, params)
        changed = np.vstack([on_calendar[:1] != 0, on_calendar[1:] != on_calendar[:-1]])
        weights = np.where(changed, on_calendar, np.nan)[:, :, None]
        return ScreenWeights(symbols=[cls(params[0]).traded_symbol], weights=weights,
                             slots=np.zeros((len(params), 1), dtype=np.int64))

    def report_notes(self, language: str = "en") -> list[str]:
        p = self.params
        notes = [note("drawdown_reversion", "relative", language, target=p.target,
                      reference=p.reference, share=f"{p.share:g}", ratio=f"{p.ratio:g}")]
        if p.window == "full":
            notes.append(Caution(note("drawdown_reversion", "in_sample", language,
                                      window=self._full_window_info)))
        else:
            notes.append(note("drawdown_reversion", "causal", language,
                              days=p.min_history_days))
        return notes

    def get_state(self) -> dict[str, Any]:
        return {"base": self._base, "peak": self._peak, "episode_depth": self._episode_depth,
                "in_episode": self._in_episode, "depths": list(self._depths),
                "observations": self._observations, "theta": self._theta,
                "signal": self._signal, "relative": self._relative}

    def set_state(self, state: dict[str, Any]) -> None:
        self._base = state["base"]
        self._peak = state["peak"]
        self._episode_depth = state["episode_depth"]
        self._in_episode = state["in_episode"]
        self._depths = list(state["depths"])
        self._observations = state["observations"]
        self._theta = state["theta"]
        self._signal = state["signal"]
        self._relative = state["relative"]
