"""The tear sheet's figures: returns, risk, risk-adjusted ratios, trading and costs, yearly
and monthly returns, drawdown periods, rolling Sharpe and volatility.

Definitions (daily returns r from the equity curve, the first from the initial cash; benchmark
returns b from the benchmark curve; P periods a year, 252 by default; risk-free rate 0 unless
``report.risk_free_rate``):

- Sortino = mean(r) x P / (sqrt(mean(min(r, 0)^2)) x sqrt(P));
- Calmar = annual return / max drawdown;
- beta = cov(r, b) / var(b); alpha = (1 + mean(r - beta x b))^P - 1;
- tracking error = std(r - b) x sqrt(P); information ratio = mean(r - b) / std(r - b) x sqrt(P);
- daily / monthly win rate = share of days / calendar months with a positive return;
- profit factor = gains of winning round trips / losses of losing ones; payoff = mean win /
  mean loss;
- win rate in the market = days with a positive return / days with a non-zero return (a flat
  day out of the market is neither a win nor a loss; quantstats' win rate);
- skew and kurtosis of daily returns, bias-corrected sample estimates (kurtosis in excess of the
  normal's 3);
- daily VaR (95%) = the 5th percentile of daily returns (linear interpolation); CVaR = the mean
  of the worst k daily returns, k = floor((n - 1) x 0.05) + 1; tail ratio = |95th percentile| /
  |5th percentile|;
- best / worst day and calendar month;
- MTD and YTD: the last close over the last close of the previous calendar month / year (the
  initial cash when the run began inside it); trailing 1, 3 and 5 years: the last close over the
  close of the last bar at least that many calendar years before it, the 3- and 5-year figures
  annualised; undefined when the run is shorter;
- rolling beta over a window: beta of that window's daily returns.

tests/engine/test_tearsheet.py checks them against empyrical-reloaded (and scipy for skew and
kurtosis, the functions quantstats calls).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from huice.engine.results.metrics import period_returns


@dataclass(frozen=True)
class DrawdownPeriod:
    """A fall from a peak and, if it happened, the recovery to that peak."""

    start: pd.Timestamp      # the peak before the fall
    trough: pd.Timestamp
    recovery: pd.Timestamp | None
    depth: float             # fraction below the peak at the trough
    days: int                # trading days from the peak to the recovery (or the last day)
    days_to_trough: int      # trading days from the peak to the trough


def daily_returns(equity: pd.Series, initial: float) -> pd.Series:
    """Bar returns, the first measured from the initial cash (metrics.json's, as a Series)."""
    return pd.Series(period_returns(equity.to_numpy(dtype=float), initial), index=equity.index)


def benchmark_returns(benchmark: pd.Series, initial: float) -> pd.Series:
    """The benchmark curve's bar returns (scaled to the initial cash at its first value)."""
    curve = benchmark.ffill()
    return daily_returns(curve, initial).fillna(0.0)


def drawdown_periods(equity: pd.Series, initial: float, top: int = 10) -> list[DrawdownPeriod]:
    """The deepest ``top`` drawdown periods, deepest first."""
    values = np.concatenate([[initial], equity.to_numpy(dtype=float)])
    dates = [equity.index[0] - pd.Timedelta(days=1), *equity.index]
    periods: list[tuple[int, int, int | None]] = []
    peak_index, trough_index, inside = 0, 0, False
    for index in range(1, len(values)):
        if values[index] >= values[peak_index]:
            if inside:
                periods.append((peak_index, trough_index, index))
                inside = False
            peak_index = trough_index = index
        else:
            inside = True
            if values[index] < values[trough_index]:
                trough_index = index
    if inside:
        periods.append((peak_index, trough_index, None))
    found = [DrawdownPeriod(dates[p], dates[t], dates[r] if r is not None else None,
                            1.0 - values[t] / values[p],
                            (r if r is not None else len(values) - 1) - p, t - p)
             for p, t, r in periods]
    return sorted(found, key=lambda d: -d.depth)[:top]


def sortino(returns: pd.Series, periods: int) -> float:
    """Annualised mean return over downside deviation (NaN when no day lost)."""
    downside = math.sqrt(float(np.mean(np.minimum(returns.to_numpy(), 0.0) ** 2)))
    if downside == 0:
        return math.nan
    return float(returns.mean()) * periods / (downside * math.sqrt(periods))


def alpha_beta(returns: pd.Series, benchmark: pd.Series, periods: int) -> tuple[float, float]:
    """(alpha, beta): alpha annualised, beta = cov(r, b) / var(b); NaN with under two bars."""
    if len(returns) < 2:
        return math.nan, math.nan
    variance = float(np.var(benchmark.to_numpy(), ddof=1))
    if not variance:
        return math.nan, math.nan
    beta = float(np.cov(returns.to_numpy(), benchmark.to_numpy(), ddof=1)[0, 1]) / variance
    alpha = (1.0 + float(np.mean(returns.to_numpy() - beta * benchmark.to_numpy()))) ** periods - 1
    return alpha, beta


def active(returns: pd.Series, benchmark: pd.Series, periods: int) -> tuple[float, float]:
    """(tracking error, information ratio), both annualised."""
    difference = returns - benchmark
    deviation = float(np.std(difference.to_numpy(), ddof=1)) if len(difference) > 1 else 0.0
    if not deviation:
        return math.nan, math.nan
    return deviation * math.sqrt(periods), float(difference.mean()) / deviation * math.sqrt(periods)


def calendar_returns(equity: pd.Series, initial: float, rule: str) -> pd.Series:
    """Compounded returns per calendar period (``YE`` years, ``ME`` months)."""
    curve = pd.concat([pd.Series([initial], index=[equity.index[0] - pd.Timedelta(days=1)]),
                       equity])
    ends = curve.resample(rule).last().dropna()
    starts = ends.shift(1)
    starts.iloc[0] = initial
    return (ends / starts - 1.0).iloc[(1 if ends.index[0] < equity.index[0] else 0):]


def yearly_table(equity: pd.DataFrame, initial: float) -> pd.DataFrame:
    """Year, strategy, benchmark and excess returns."""
    strategy = calendar_returns(equity["equity"], initial, "YE")
    table = pd.DataFrame({"year": strategy.index.year, "strategy": strategy.to_numpy()})
    if equity["benchmark"].notna().any():
        bench = calendar_returns(equity["benchmark"].ffill().bfill(), initial, "YE")
        table["benchmark"] = bench.reindex(strategy.index).to_numpy()
        table["excess"] = table["strategy"] - table["benchmark"]
    return table


def monthly_table(months: pd.Series) -> pd.DataFrame:
    """Years x months (1..12) of monthly returns (``calendar_returns(..., "ME")``)."""
    table = pd.DataFrame({"year": months.index.year, "month": months.index.month,
                          "value": months.to_numpy()})
    return table.pivot(index="year", columns="month", values="value").reindex(
        columns=range(1, 13))


def rolling_ratios(returns: pd.Series, periods: int, window: int) -> pd.DataFrame:
    """Rolling annualised Sharpe and volatility over ``window`` bars."""
    mean = returns.rolling(window).mean()
    deviation = returns.rolling(window).std()
    return pd.DataFrame({"sharpe": mean / deviation * math.sqrt(periods),
                         "volatility": deviation * math.sqrt(periods)})


def rolling_beta(returns: pd.Series, benchmark: pd.Series, window: int) -> pd.Series:
    """Beta of the strategy's daily returns to the benchmark's over each ``window`` bars."""
    covariance = returns.rolling(window).cov(benchmark)
    variance = benchmark.rolling(window).var()
    return covariance / variance.where(variance > 0)


def distribution_figures(returns: pd.Series, months: pd.Series) -> dict[str, float]:
    """Shape and tails of the daily returns; best and worst day and month."""
    values = returns.to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return dict.fromkeys(("skew", "kurtosis", "var_95", "cvar_95", "tail_ratio", "best_day",
                              "worst_day", "best_month", "worst_month"), math.nan)
    ordered = np.sort(values)
    worst = int((len(ordered) - 1) * 0.05) + 1
    low, high = np.percentile(values, 5), np.percentile(values, 95)
    return {"skew": float(pd.Series(values).skew()),
            "kurtosis": float(pd.Series(values).kurt()),
            "var_95": float(low), "cvar_95": float(ordered[:worst].mean()),
            "tail_ratio": float(abs(high) / abs(low)) if low else math.nan,
            "best_day": float(ordered[-1]), "worst_day": float(ordered[0]),
            "best_month": float(months.max()) if len(months) else math.nan,
            "worst_month": float(months.min()) if len(months) else math.nan}


def period_to_date(equity: pd.Series, initial: float, period: str) -> float:
    """Return since the last close of the previous calendar month (``M``) or year (``Y``)."""
    last = equity.index[-1]
    if period == "M":
        before = equity[(equity.index.year < last.year)
                        | ((equity.index.year == last.year) & (equity.index.month < last.month))]
    else:
        before = equity[equity.index.year < last.year]
    base = float(before.iloc[-1]) if len(before) else initial
    return float(equity.iloc[-1]) / base - 1.0


def trailing_return(equity: pd.Series, years: int) -> float:
    """Return over the last ``years`` calendar years (annualised beyond one); NaN when the run
    holds no bar that far back."""
    last = equity.index[-1]
    anchor = equity[equity.index <= last - pd.DateOffset(years=years)]
    if anchor.empty:
        return math.nan
    growth = float(equity.iloc[-1]) / float(anchor.iloc[-1])
    return growth ** (1.0 / years) - 1.0 if years > 1 else growth - 1.0


def period_figures(equity: pd.Series, initial: float) -> dict[str, float]:
    """MTD, YTD and trailing 1-, 3- and 5-year returns at the last bar."""
    return {"mtd": period_to_date(equity, initial, "M"),
            "ytd": period_to_date(equity, initial, "Y"),
            "trailing_1y": trailing_return(equity, 1),
            "trailing_3y": trailing_return(equity, 3),
            "trailing_5y": trailing_return(equity, 5)}


def trade_statistics(trades: pd.DataFrame) -> dict[str, float]:
    """Win rate, profit factor and payoff of closed round trips."""
    finished = trades["closed"].notna() & ~trades["closed"].astype(str).isin(["", "NaT"])
    closed = trades[finished]["pnl"].astype(float)
    wins, losses = closed[closed > 0], closed[closed < 0]
    return {"trade_win_rate": len(wins) / len(closed) if len(closed) else math.nan,
            "profit_factor": wins.sum() / -losses.sum() if len(losses) else math.nan,
            "payoff": wins.mean() / -losses.mean() if len(wins) and len(losses) else math.nan}


def tear_sheet_figures(returns: pd.Series, bench: pd.Series | None, months: pd.Series,
                       trades: pd.DataFrame, periods: int) -> dict[str, float]:
    """Every figure of the tear sheet that metrics.json does not already hold, from the daily
    returns, the benchmark's (None without one) and the monthly returns."""
    figures: dict[str, float] = {"sortino": sortino(returns, periods)}
    if bench is not None:
        figures["alpha"], figures["beta"] = alpha_beta(returns, bench, periods)
        figures["tracking_error"], figures["information_ratio"] = active(returns, bench, periods)
    else:
        figures.update(alpha=math.nan, beta=math.nan, tracking_error=math.nan,
                       information_ratio=math.nan)
    figures["daily_win_rate"] = float((returns > 0).mean())
    moved = int((returns != 0).sum())
    figures["win_rate_in_market"] = float((returns > 0).sum()) / moved if moved else math.nan
    figures["monthly_win_rate"] = float((months > 0).mean()) if len(months) else math.nan
    figures.update(distribution_figures(returns, months))
    figures.update(trade_statistics(trades))
    return figures


@dataclass(frozen=True)
class TearSheet:
    """Everything the report shows about a run's returns, computed once."""

    figures: dict[str, Any]             # metrics.json's figures, flattened, plus the above
    returns: pd.Series                  # daily strategy returns
    benchmark: pd.Series | None         # daily benchmark returns (None without a benchmark)
    drawdowns: list[DrawdownPeriod] = field(default_factory=list)
    yearly: pd.DataFrame = field(default_factory=pd.DataFrame)
    monthly: pd.DataFrame = field(default_factory=pd.DataFrame)
    monthly_excess: pd.DataFrame | None = None


def build_tear_sheet(metrics: dict[str, Any], equity: pd.DataFrame, trades: pd.DataFrame,
                     periods: int) -> TearSheet:
    """The tear sheet of a run from its metrics (``Metrics.to_dict()``), equity and trades."""
    initial = float(metrics["initial_cash"])
    figures = {key: value for key, value in metrics.items() if key not in ("fees",
                                                                           "contribution")}
    figures.update({f"fees.{kind}": value for kind, value in metrics["fees"].items()})
    figures["contribution"] = dict(metrics.get("contribution") or {})
    figures["fees_share"] = metrics["fees"]["total"] / initial if initial else math.nan
    if equity.empty:
        return TearSheet(figures, pd.Series(dtype=float), None)
    has_benchmark = bool(equity["benchmark"].notna().any())
    returns = daily_returns(equity["equity"], initial)
    bench = benchmark_returns(equity["benchmark"], initial) if has_benchmark else None
    months = calendar_returns(equity["equity"], initial, "ME")
    figures.update(tear_sheet_figures(returns, bench, months, trades, periods))
    figures.update(period_figures(equity["equity"], initial))
    annual, deepest = metrics["annual_return"], metrics["max_drawdown"]
    figures["calmar"] = annual / deepest if deepest else math.nan
    drawdowns = drawdown_periods(equity["equity"], initial)
    if drawdowns:
        worst = drawdowns[0]
        recovered = worst.recovery.date().isoformat() if worst.recovery is not None else "-"
        figures["max_drawdown_dates"] = (f"{worst.start.date()} / {worst.trough.date()} / "
                                         f"{recovered}")
    monthly = monthly_table(months)
    excess = None
    if has_benchmark:
        benchmark_months = calendar_returns(equity["benchmark"].ffill().bfill(), initial, "ME")
        excess = monthly - monthly_table(benchmark_months)
    return TearSheet(figures, returns, bench, drawdowns, yearly_table(equity, initial), monthly,
                     excess)
