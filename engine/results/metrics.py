"""Performance metrics of a run (docs/research.md section 7). Returns are fractions."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from huice.engine.broker.orders import Fill


@dataclass(frozen=True)
class Fees:
    """Fees and taxes paid over the run, by kind (CNY, rounded to the cent)."""

    commission: float
    stamp_duty: float
    transfer_fee: float
    total: float
    dividend_tax: float = 0.0  # stocks' dividends taxed by holding period, at their sale


@dataclass(frozen=True)
class Metrics:
    """The figures of ``metrics.json`` (docs/research.md section 7). Returns are fractions; a figure
    that is undefined (no benchmark) is NaN here and null in the JSON."""

    total_return: float
    annual_return: float
    buy_and_hold_return: float
    benchmark_return: float
    excess_vs_buy_and_hold: float  # total return minus the traded instruments' buy-and-hold
    excess_vs_benchmark: float    # total return minus the benchmark's return
    max_drawdown: float
    longest_drawdown_days: int
    sharpe: float
    volatility: float
    trades: int
    fills: int
    turnover: float
    fees: Fees
    slippage_cost: float
    exposure: float
    initial_cash: float
    final_equity: float
    start: str | None
    end: str | None
    bars: int
    contribution: Mapping[str, float] = field(default_factory=dict)
    dividends: float = 0.0
    run_id: str = ""
    strategy: str = ""
    execution: str = ""
    data_findings: Mapping[str, int] = field(default_factory=dict)  # the data gate's, by kind

    def to_dict(self) -> dict[str, Any]:
        """Plain types, as written to ``metrics.json`` (fees and contribution nested)."""
        values = asdict(self)
        values["contribution"] = dict(self.contribution)
        values["data_findings"] = dict(self.data_findings)
        return values

    def to_series(self) -> pd.Series:
        """One flat row: fees as ``fees_<kind>``, contributions as ``contribution_<symbol>``."""
        flat: dict[str, Any] = {}
        for key, value in self.to_dict().items():
            if key == "fees":
                flat.update({f"fees_{kind}": amount for kind, amount in value.items()})
            elif key == "contribution":
                flat.update({f"contribution_{symbol}": share for symbol, share in value.items()})
            elif key == "data_findings":
                flat.update({f"data_findings_{kind}": count for kind, count in value.items()})
            else:
                flat[key] = value
        return pd.Series(flat, dtype=object)

    def __getitem__(self, key: str) -> Any:
        """``metrics["sharpe"]`` reads like the JSON file (same as ``metrics.sharpe``)."""
        return self.to_dict()[key] if key in ("fees", "contribution") else getattr(self, key)


def max_drawdown(equity: Sequence[float] | np.ndarray) -> float:
    """Largest fall from a running peak, as a positive fraction (0 if never below a peak)."""
    values = np.asarray(equity, dtype=float)
    if len(values) == 0:
        return 0.0
    peaks = np.maximum.accumulate(values)
    return float(np.max(1.0 - values / peaks))


def longest_drawdown_days(equity: Sequence[float] | np.ndarray) -> int:
    """Most consecutive bars on which equity stood below its previous peak (an unfinished
    drawdown counts up to the last bar)."""
    values = np.asarray(equity, dtype=float)
    if len(values) and not np.isnan(values).any():
        # below the running peak of the bars before; the longest run of such bars
        earlier_peak = np.concatenate([[-math.inf], np.maximum.accumulate(values)[:-1]])
        edges = np.flatnonzero(np.diff(np.concatenate([[0], values < earlier_peak, [0]])))
        return int((edges[1::2] - edges[::2]).max()) if len(edges) else 0
    longest = current = 0  # NaN in the curve: a NaN bar resets the peak, bar by bar
    peak = -math.inf
    for value in values:
        if value < peak:
            current += 1
            longest = max(longest, current)
        else:
            current = 0
            peak = value
    return longest


def period_returns(equity: Sequence[float], initial: float) -> np.ndarray:
    """Bar-to-bar returns, the first measured from the initial cash."""
    values = np.concatenate([[initial], np.asarray(equity, dtype=float)])
    returns: np.ndarray = values[1:] / values[:-1] - 1.0
    return returns


def annual_return(total: float, bars: int, periods_per_year: int) -> float:
    """A total return over ``bars`` bars as a yearly rate (-1 once everything is lost)."""
    return (1.0 + total) ** (periods_per_year / bars) - 1.0 if bars and total > -1 else -1.0


def sharpe_ratio(returns: np.ndarray, periods_per_year: int, risk_free_rate: float) -> float:
    """Annualised Sharpe ratio of bar returns (0 when they do not vary)."""
    if len(returns) < 2 or np.ptp(returns) == 0:  # a flat curve (its excess's spread would
        return 0.0                                    # be float dust, not 0, with a rate)
    excess = returns - risk_free_rate / periods_per_year
    deviation = float(np.std(excess, ddof=1))
    if deviation == 0 or math.isnan(deviation):
        return 0.0
    return float(np.mean(excess) / deviation * math.sqrt(periods_per_year))


def simple_return(series: pd.Series) -> float:
    """Last valid value over first valid value, minus one (NaN when empty)."""
    values = series.dropna()
    if values.empty:
        return math.nan
    return float(values.iloc[-1] / values.iloc[0] - 1.0)


def holding_value(bars: pd.DataFrame) -> pd.Series:
    """What one unit bought at the first close is worth at each close, dividends included:
    the units held (splits change them, fractions kept) times the close, plus the cash
    dividends received so far, credited on their ex-dates and not reinvested, as the broker
    credits a position's dividends (docs/broker.md, "Dividends and splits")."""
    close = bars["close"].to_numpy(dtype=float)
    kept = ~np.isnan(close)
    index = bars.index[kept] if not kept.all() else bars.index
    close = close[kept]
    if not len(close):
        return pd.Series(close, index=index, name="close")
    split = (np.nan_to_num(bars["split_ratio"].to_numpy(dtype=float)[kept], nan=1.0)
             if "split_ratio" in bars else np.ones(len(close)))
    dividend = (np.nan_to_num(bars["dividend"].to_numpy(dtype=float)[kept], nan=0.0)
                if "dividend" in bars else np.zeros(len(close)))
    split[0], dividend[0] = 1.0, 0.0  # bought after the first bar's ex-date
    units = np.cumprod(split)
    held_before = np.concatenate(([1.0], units[:-1]))  # units at the previous close
    cash = np.cumsum(held_before * dividend)
    return pd.Series(units * close + cash, index=index, name=None)


def buy_and_hold_return(bars: pd.DataFrame) -> float:
    """The total return of holding one instrument over ``bars`` (see :func:`holding_value`)."""
    return simple_return(holding_value(bars))


def compute_metrics(equity: pd.DataFrame, *, initial_cash: float, fills: Iterable[Fill],
                    trades: int, buy_and_hold_return: float, benchmark_return: float,
                    periods_per_year: int, risk_free_rate: float,
                    **identity: Any) -> Metrics:
    """The metrics of ``metrics.json`` from the equity frame (one row per bar) and the fills;
    ``identity`` sets contribution, dividends, run_id, strategy and execution."""
    fills = list(fills)
    values = equity["equity"].to_numpy(dtype=float)
    bars = len(values)
    total = float(values[-1] / initial_cash - 1.0) if bars else 0.0
    returns = period_returns(values, initial_cash)
    annual = annual_return(total, bars, periods_per_year)
    volatility = (float(np.std(returns, ddof=1)) * math.sqrt(periods_per_year)
                  if bars > 1 else 0.0)
    traded_value = sum(f.value for f in fills)
    mean_equity = float(np.mean(values)) if bars else initial_cash
    commission = sum(f.commission for f in fills)
    stamp_duty = sum(f.stamp_duty for f in fills)
    transfer_fee = sum(f.transfer_fee for f in fills)
    dividend_tax = sum(f.dividend_tax for f in fills)
    invested = equity["holdings"].to_numpy(dtype=float) > 0
    drawdown_path = np.concatenate([[initial_cash], values])
    return Metrics(
        total_return=total,
        annual_return=annual,
        buy_and_hold_return=buy_and_hold_return,
        benchmark_return=benchmark_return,
        excess_vs_buy_and_hold=total - buy_and_hold_return,
        excess_vs_benchmark=total - benchmark_return,
        max_drawdown=max_drawdown(drawdown_path),
        longest_drawdown_days=longest_drawdown_days(drawdown_path),
        sharpe=sharpe_ratio(returns, periods_per_year, risk_free_rate),
        volatility=volatility,
        trades=trades,
        fills=len(fills),
        turnover=traded_value / mean_equity if mean_equity else 0.0,
        fees=Fees(commission=round(commission, 2), stamp_duty=round(stamp_duty, 2),
                  transfer_fee=round(transfer_fee, 2),
                  total=round(commission + stamp_duty + transfer_fee + dividend_tax, 2),
                  dividend_tax=round(dividend_tax, 2)),
        slippage_cost=sum(f.slippage_cost for f in fills),
        exposure=float(np.mean(invested)) if bars else 0.0,
        initial_cash=initial_cash,
        final_equity=float(values[-1]) if bars else initial_cash,
        start=str(equity.index[0].date()) if bars else None,
        end=str(equity.index[-1].date()) if bars else None,
        bars=bars,
        **identity)


def contribution_by_symbol(fills: Iterable[Fill], final_values: dict[str, float],
                           initial_cash: float,
                           dividends: dict[str, float] | None = None) -> dict[str, float]:
    """Each instrument's profit after its fees (sales - purchases - fees + dividends + value
    still held), as a fraction of the initial cash. They add up to the total return."""
    profit: dict[str, float] = dict(dividends or {})
    for fill in fills:
        flow = -fill.value if fill.is_buy else fill.value
        profit[fill.symbol] = profit.get(fill.symbol, 0.0) + flow - fill.fees
    for symbol, value in final_values.items():
        profit[symbol] = profit.get(symbol, 0.0) + value
    return {symbol: profit[symbol] / initial_cash for symbol in sorted(profit)}
