"""The one place a run's result is built, for backtests, paper accounts and sweeps alike.

A :class:`Ledger` is what a run booked (from the broker and analyzers of a backtest, or from a
paper account's state database); :func:`build_result` turns it into tables, typed metrics and
report notes the same way for every source.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

import pandas as pd

from huice.config.schema import RunConfig
from huice.engine.broker.orders import Fill
from huice.engine.broker.rules import InstrumentRules
from huice.engine.results.ledger_frames import whole_units
from huice.engine.results.metrics import (
    compute_metrics,
    contribution_by_symbol,
    holding_value,
    simple_return,
)
from huice.engine.results.result import RunResult, RunSummary
from huice.engine.run.identity import compute_run_id, resolved_config
from huice.engine.run.notes import run_notes
from huice.engine.run.plugin import StrategyPlugin
from huice.engine.run.recorder import EquityColumns
from huice.feeds import quality
from huice.feeds.market import MarketData

DATE_DTYPE = "datetime64[ns]"  # every day in a result's tables and indexes, pandas' usual unit
# the columns of each ledger table that hold a day ("" where it has none yet: NaT)
DATE_COLUMNS = {"positions": ("date",), "orders": ("created", "closed"), "fills": ("date",),
                "trades": ("opened", "closed"), "actions": ("date",)}
POSITION_COLUMNS = ["date", "symbol", "quantity", "price", "value"]


@dataclass
class Ledger:
    """What a run booked, bar by bar.

    ``equity`` is indexed by date with the benchmark's raw close; ``positions`` has ISO dates;
    ``final_values`` is each held position's value at the last close.
    """

    equity: pd.DataFrame
    positions: pd.DataFrame
    orders: pd.DataFrame
    fills: list[Fill]
    fills_table: pd.DataFrame
    trades: pd.DataFrame
    trade_count: int
    actions: pd.DataFrame
    signals: pd.DataFrame
    final_values: dict[str, float] = field(default_factory=dict)


def equity_frame(rows: pd.DataFrame | EquityColumns) -> pd.DataFrame:
    """Equity rows (date, cash, holdings, equity, benchmark close) indexed by date: a
    recorder's columns, or a paper store's table."""
    if isinstance(rows, EquityColumns):
        index = pd.DatetimeIndex(rows.days.astype(DATE_DTYPE), name="date")
        return pd.DataFrame({"cash": rows.cash, "holdings": rows.holdings,
                             "equity": rows.equity, "benchmark": rows.benchmark},
                            index=index).sort_index()
    frame = rows.copy()
    frame["date"] = pd.to_datetime(frame["date"]).astype(DATE_DTYPE)
    return frame.set_index("date").sort_index()


def _all_text(values: pd.Series) -> bool:
    """Whether every cell is a str: a string column without a missing value (checked at
    once), or an object column whose cells all are."""
    if isinstance(values.dtype, pd.StringDtype):
        return not values.isna().any()
    return values.dtype == object and all(isinstance(v, str) for v in values)


def as_dates(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """``columns`` of ISO day strings as datetime64 (an empty string becomes NaT), so that a
    notebook can resample, plot and compare them without a conversion; the CSV files still
    read ``2020-01-02`` (pandas writes a datetime at midnight as its day)."""
    for column in columns:
        values = frame[column]
        if _all_text(values):
            # ISO days as the ledger writes them: one numpy conversion, not a parse per cell
            texts = values.to_numpy(dtype=object, copy=True)
            texts[texts == ""] = "NaT"
            days = texts.astype("datetime64[D]")
            frame[column] = pd.Series(days.astype(DATE_DTYPE), index=frame.index)
        else:
            frame[column] = (pd.to_datetime(values.replace("", None), format="%Y-%m-%d")
                             .astype(DATE_DTYPE))
    return frame


def dividends_by_symbol(credits: Iterable[tuple[str, float]]) -> dict[str, float]:
    """Cash credited by corporate actions, as (symbol, cash) pairs in booking order, summed
    per symbol."""
    dividends: dict[str, float] = {}
    for symbol, cash in credits:
        dividends[symbol] = dividends.get(symbol, 0.0) + float(cash)
    return dividends


def held_value(market: MarketData, symbol: str) -> pd.Series:
    """What one unit of ``symbol`` bought at the first close is worth at each close, dividends
    included (:func:`holding_value`), computed once per market."""
    return market.derived(("holding_value", symbol),
                          partial(holding_value, market.bars(symbol)))


def _held_return(market: MarketData, symbol: str) -> float:
    return simple_return(held_value(market, symbol))


def reference_returns(market: MarketData, traded: Sequence[str],
                      benchmark: str | None) -> tuple[float, float]:
    """What a run is measured against: the mean buy-and-hold return of the traded instruments
    (dividends included) and the benchmark's return (NaN without one), computed once per
    market."""
    holds = [market.derived(("buy_and_hold_return", s), partial(_held_return, market, s))
             for s in traded]
    bench = (market.derived(("simple_return", benchmark),
                            partial(simple_return, market.bars(benchmark)["close"]))
             if benchmark else math.nan)
    return (float(sum(holds) / len(holds)) if holds else math.nan), bench


def summarise(equity: pd.DataFrame, *, fills: Sequence[Fill], trade_count: int,
              final_values: Mapping[str, float], dividends: Mapping[str, float],
              config: RunConfig, plugin: StrategyPlugin, market: MarketData) -> RunSummary:
    """A run's id, resolved config, metrics and equity (benchmark scaled to the initial cash)
    from what it booked: all a sweep keeps of a run, and the head of every full result."""
    benchmark = config.data.benchmark
    initial = config.broker.initial_cash
    equity = equity.copy()
    if benchmark:
        first = equity["benchmark"].dropna()
        base = first.iloc[0] if len(first) else math.nan
        equity["benchmark"] = initial * equity["benchmark"] / base
    hold_return, bench_return = reference_returns(market, plugin.traded_symbols(), benchmark)
    resolved = resolved_config(config, plugin)
    run_id = compute_run_id(resolved, market)
    metrics = compute_metrics(
        equity, initial_cash=initial, fills=fills, trades=trade_count,
        buy_and_hold_return=hold_return, benchmark_return=bench_return,
        periods_per_year=config.report.periods_per_year,
        risk_free_rate=config.report.risk_free_rate,
        contribution=contribution_by_symbol(fills, dict(final_values), initial, dict(dividends)),
        dividends=round(sum(dividends.values()), 2), run_id=run_id, strategy=plugin.name,
        execution=config.broker.execution,
        data_findings=quality.counts(market.findings or ()))
    return RunSummary(run_id=run_id, resolved_config=resolved, config=config, metrics=metrics,
                      equity=equity)


def build_result(ledger: Ledger, *, config: RunConfig, plugin: StrategyPlugin,
                 market: MarketData, rules: Mapping[str, InstrumentRules],
                 leading_notes: Sequence[str] = ()) -> RunResult:
    """Tables, metrics and report notes of a run from its ledger."""
    benchmark = config.data.benchmark
    summary = summarise(ledger.equity, fills=ledger.fills, trade_count=ledger.trade_count,
                        final_values=ledger.final_values,
                        dividends=dividends_by_symbol(zip(ledger.actions["symbol"],
                                                          ledger.actions["cash"])), config=config,
                        plugin=plugin, market=market)
    run_id, resolved, metrics, equity = (summary.run_id, summary.resolved_config,
                                         summary.metrics, summary.equity)
    traded = plugin.traded_symbols()
    notes = list(leading_notes) + run_notes(config, plugin, market, rules,
                                            config.report.language)
    shown = dict.fromkeys(traded + ([benchmark] if benchmark else []))
    def table(frame: pd.DataFrame, name: str, quantities: tuple[str, ...]) -> pd.DataFrame:
        return as_dates(whole_units(frame.copy(), quantities), DATE_COLUMNS[name])

    return RunResult(run_id=run_id, resolved_config=resolved, config=config,
                     strategy_name=plugin.name,
                     equity=equity, positions=table(ledger.positions, "positions", ("quantity",)),
                     orders=table(ledger.orders, "orders", ("quantity", "filled")),
                     fills=table(ledger.fills_table, "fills", ("quantity",)),
                     trades=table(ledger.trades, "trades", ("quantity",)),
                     signals=ledger.signals.set_axis(
                         ledger.signals.index.astype(DATE_DTYPE), axis=0),
                     metrics=metrics, notes=notes, diagnostic_chart=plugin.diagnostic_chart,
                     prices={s: held_value(market, s) if s in traded
                             else market.bars(s)["close"] for s in shown},
                     fill_objects=list(ledger.fills),
                     actions=table(ledger.actions, "actions",
                                   ("quantity_before", "quantity_after")),
                     names={s: (i.name, i.name_zh) for s, i in market.instruments.items()})
