"""The industry crowding factor: per industry and day, a 0-100 score of how crowded trading in
it is, from rolling-window percentiles of its turnover, its share of the market's turnover,
its realised volatility and its excess return.

For each measure, today's value is ranked against the same industry's values over the last
``percentile_days`` days (a time-series percentile, 0-100: the share of those days whose value
was at or below today's). The score is the weighted mean of the measures' percentiles. Every
value at day t uses bars up to t only. The bundled data has no fund-flow measure for the
industries, so none is used, and the monitor's report says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import Field

from huice.feeds.market import MarketData
from huice.strategies.base import StrategyParams

MEASURES = ("turnover", "turnover_share", "volatility", "excess_return")
SHENWAN_L1 = ["801010.SI", "801030.SI", "801040.SI", "801050.SI", "801080.SI", "801110.SI",
              "801120.SI", "801130.SI", "801140.SI", "801150.SI", "801160.SI", "801170.SI",
              "801180.SI", "801200.SI", "801210.SI", "801230.SI", "801710.SI", "801720.SI",
              "801730.SI", "801740.SI", "801750.SI", "801760.SI", "801770.SI", "801780.SI",
              "801790.SI", "801880.SI", "801890.SI", "801950.SI", "801960.SI", "801970.SI",
              "801980.SI"]


class CrowdingParams(StrategyParams):
    """How crowding is measured (defaults follow the research: a month of trading, ranked
    against about a year)."""

    measure_days: int = Field(30, ge=2, le=250, description="window of each measure")
    percentile_days: int = Field(250, ge=20, le=2500,
                                 description="history each measure is ranked against")
    weights: dict[str, float] = Field(
        default_factory=lambda: dict.fromkeys(MEASURES, 0.25),
        description="weight of each measure's percentile in the score (turnover, "
                    "turnover_share, volatility, excess_return)")


@dataclass(frozen=True)
class Crowding:
    """Each measure, its percentile and the score: DataFrames indexed by date, one column per
    industry."""

    measures: dict[str, pd.DataFrame]
    percentiles: dict[str, pd.DataFrame]
    score: pd.DataFrame

    def long(self) -> pd.DataFrame:
        """One row per day and industry: measures, percentiles, score (for crowding.csv)."""
        parts = {name: frame.stack(future_stack=True) for name, frame in self.measures.items()}
        parts.update({f"{name}_pct": frame.stack(future_stack=True)
                      for name, frame in self.percentiles.items()})
        parts["score"] = self.score.stack(future_stack=True)
        table = pd.DataFrame(parts)
        table.index.names = ["date", "symbol"]
        return table.dropna(subset=["score"]).reset_index()


# a window may miss a fifth of its days (days without a bar or without turnover) and still count
MIN_COVERAGE = 0.8


def min_count(days: int) -> int:
    """Values a window of ``days`` needs (at least 80% of them)."""
    return int(np.ceil(MIN_COVERAGE * days))


def rolling_percentile(values: pd.DataFrame, days: int) -> pd.DataFrame:
    """Per column, 100 x the share of the values in the last ``days`` days (today included)
    that are at or below today's, among those present; NaN when today's is missing or fewer
    than :func:`min_count` values are present."""
    array = values.to_numpy(dtype=float)
    result = np.full(array.shape, np.nan)
    if len(array) >= days:
        windows = np.lib.stride_tricks.sliding_window_view(array, days, axis=0)
        today = array[days - 1:]
        with np.errstate(invalid="ignore"):
            at_or_below = (windows <= today[:, :, None]).sum(axis=2)
        present = (~np.isnan(windows)).sum(axis=2)
        usable = (present >= min_count(days)) & ~np.isnan(today)
        with np.errstate(invalid="ignore", divide="ignore"):
            result[days - 1:] = np.where(usable, 100.0 * at_or_below / present, np.nan)
    return pd.DataFrame(result, index=values.index, columns=values.columns)


def compute_crowding(closes: pd.DataFrame, amounts: pd.DataFrame, benchmark: pd.Series,
                     params: CrowdingParams) -> Crowding:
    """The crowding of every industry (columns of ``closes`` / ``amounts``, on one calendar;
    NaN where an industry has no bar) against ``benchmark`` closes."""
    window = params.measure_days
    share = amounts.div(amounts.sum(axis=1, min_count=1), axis=0)
    returns = np.log(closes / closes.shift())
    bench = benchmark.reindex(closes.index)
    least = min_count(window)
    measures = {
        "turnover": amounts.rolling(window, min_periods=least).mean(),
        "turnover_share": share.rolling(window, min_periods=least).mean(),
        "volatility": returns.rolling(window, min_periods=least).std() * np.sqrt(252),
        "excess_return": (closes / closes.shift(window) - 1).sub(
            bench / bench.shift(window) - 1, axis=0),
    }
    weights = {m: w for m, w in params.weights.items() if w}
    percentiles = {m: rolling_percentile(measures[m], params.percentile_days) for m in weights}
    total = sum(weights.values())
    score = sum(percentiles[m] * (w / total) for m, w in weights.items())
    return Crowding(measures, percentiles, score)


def crowding_from_market(market: MarketData, symbols: list[str], benchmark: str,
                         params: CrowdingParams) -> Crowding:
    """:func:`compute_crowding` over ``symbols`` of a :class:`~huice.feeds.market.MarketData`."""
    calendar = market.calendar
    closes = pd.DataFrame({s: market.bars(s)["close"] for s in symbols}).reindex(calendar)
    amounts = pd.DataFrame({s: market.bars(s)["amount"] for s in symbols}).reindex(calendar)
    return compute_crowding(closes, amounts, market.bars(benchmark)["close"], params)


def quintile_table(crowding: Crowding, closes: pd.DataFrame, benchmark: pd.Series,
                   horizons: Mapping[str, int], start: str, end: str) -> pd.DataFrame:
    """Mean forward excess return (industry minus benchmark, over the next h trading days) by
    crowding quintile (cross-sectional, per day: Q1 least crowded), with t-statistics from
    non-overlapping dates (every h-th day) so that overlapping windows do not inflate them."""
    rows = []
    score = crowding.score.loc[start:end]
    for label, days in horizons.items():
        forward = (closes.shift(-days) / closes - 1).sub(
            benchmark.reindex(closes.index).shift(-days) / benchmark.reindex(closes.index) - 1,
            axis=0).loc[score.index]
        quintile = score.rank(axis=1, pct=True).mul(5).apply(np.ceil).clip(1, 5)
        for q in range(1, 6):
            daily = forward.where(quintile == q).mean(axis=1).dropna()
            sample = daily.iloc[::days]
            t_stat = sample.mean() / (sample.std(ddof=1) / np.sqrt(len(sample)))
            rows.append({"horizon": label, "quintile": f"Q{q}", "mean_excess": daily.mean(),
                         "days": len(daily), "mean_excess_sampled": sample.mean(),
                         "t_stat": t_stat, "independent_dates": len(sample)})
    return pd.DataFrame(rows)
