"""The only place that assembles a backtrader Cerebro: feeds, the A-share broker, the plugin
driver and the ledger analyzer; and the function that runs a backtest end to end."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import backtrader as bt
import pandas as pd
from loguru import logger

from config.errors import ConfigError
from config.schema import RunConfig
from engine.analyzers import LedgerAnalyzer
from engine.broker import AShareBroker
from engine.clock import MarketClock
from engine.context import BarContext
from engine.driver import PluginDriver
from engine.metrics import compute_metrics, contribution_by_symbol, simple_return
from engine.plugin import StrategyPlugin
from engine.results import RunResult, actions_frame, fills_frame, orders_frame, trades_frame
from engine.rules import InstrumentRules, resolve_rules
from engine.session import BacktestSession
from feeds.btfeed import calendar_feed, feed_for
from feeds.catalog import Instrument
from feeds.coverage import coverage
from feeds.csv_source import read_bars_csv
from feeds.loading import load_market
from feeds.market import MarketData

LONG_RUN_BAR_FEEDS = 50_000
EXECUTION_NOTES = {
    "open": "Orders placed after a bar's close fill at the next bar's open.",
    "close": "Orders fill at the close of the bar whose data produced them "
             "(research convention: it assumes a trade at a price already known).",
    "vwap": "Orders fill at the next bar's typical price (high + low + close) / 3, "
            "a proxy for its VWAP.",
}


def resolved_config(config: RunConfig, plugin: StrategyPlugin) -> dict[str, Any]:
    """The config as run: defaults filled in, strategy params validated."""
    resolved = config.model_dump(mode="json", by_alias=True)
    resolved["strategy"]["params"] = plugin.resolved_params()
    return resolved


def compute_run_id(resolved: Mapping[str, Any], market: MarketData) -> str:
    """A hash of the resolved config (paths left out) and of every bar used."""
    identity = json.loads(json.dumps(resolved))
    identity["data"].pop("catalog", None)
    for spec in identity["data"].get("files", {}).values():
        spec.pop("path", None)
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode())
    digest.update(market.fingerprint().encode())
    return digest.hexdigest()[:16]


def resolve_all_rules(config: RunConfig, market: MarketData) -> dict[str, InstrumentRules]:
    """Trading rules of every instrument; overrides naming instruments not in the run are errors."""
    for symbol in config.broker.instruments:
        if symbol not in market.instruments:
            raise ConfigError(f"not an instrument of this run (it uses "
                              f"{', '.join(market.symbols)})", where=f"broker.instruments[{symbol}]")
    return {symbol: resolve_rules(symbol, instrument.asset_class, instrument.board, config.broker)
            for symbol, instrument in market.instruments.items()}


def describe_traded(symbol: str, instrument: Instrument, rules: InstrumentRules) -> str:
    """One sentence of what an instrument was traded as, for the report."""
    name = (f"{symbol} ({instrument.name})" if instrument.name and instrument.name != symbol
            else symbol)
    if instrument.asset_class == "synthetic":
        return (f"{name} is a synthetic ratio instrument, traded in fractional units with no "
                "lots, limits or costs other than those configured.")
    parts = [f"{name} traded as {rules.asset_class}"
             + (f" (class inferred {instrument.class_inferred})"
                if instrument.class_inferred and rules.asset_class == instrument.asset_class
                else "")]
    if rules.asset_class == "index":
        parts = [f"{name} is a price index and not tradable: it is traded as a proxy ETF whose "
                 f"share is worth index x {rules.price_scale:g}"]
    limit = "no daily limit" if rules.price_limit == 0 else f"board {rules.board} limits"
    parts.append(f"lots of {rules.lot}, tick {rules.tick:g}, T+{rules.t_plus}, {limit}, "
                 f"commission {rules.commission_rate:.4%} (min {rules.commission_min_cny:g} CNY)"
                 + (", stamp duty on sells by trade date" if rules.stamp_duty else "")
                 + (", transfer fee by trade date" if rules.transfer_fee else ""))
    return "; ".join(parts) + "."


def streamed_symbols(market: MarketData, traded: list[str], benchmark: str | None) -> list[str]:
    """The instruments whose feeds go into Cerebro: the traded ones and the benchmark, plus
    whatever else is needed for the feeds to cover every day of the run's calendar.

    Instruments read only for signals are served to the strategy from the same validated
    arrays through ``BarContext.history``; a backtrader feed costs time on every bar, so
    they get one only when their dates are needed for the clock.
    """
    chosen = [s for s in dict.fromkeys(traded + ([benchmark] if benchmark else []))
              if s in market.instruments]
    covered = pd.DatetimeIndex([])
    for symbol in chosen:
        covered = covered.union(market.bars(symbol).index)
    for symbol in market.symbols:
        if len(covered) == len(market.calendar):
            break
        if symbol not in chosen and len(market.bars(symbol).index.difference(covered)):
            chosen.append(symbol)
            covered = covered.union(market.bars(symbol).index)
    return chosen


def calendar_covered(market: MarketData, symbols: list[str]) -> bool:
    """Whether the feeds of ``symbols`` have a bar on every day of the calendar."""
    covered = pd.DatetimeIndex([])
    for symbol in symbols:
        covered = covered.union(market.bars(symbol).index)
    return len(covered) == len(market.calendar)


def assemble_cerebro(market: MarketData, broker: AShareBroker, session: BacktestSession,
                     streamed: list[str], benchmark: str | None) -> bt.Cerebro:
    """Build the Cerebro for a run: the streamed feeds, our broker, the driver, the ledger."""
    cerebro = bt.Cerebro(stdstats=False, preload=True, runonce=True, quicknotify=True)
    for symbol in streamed:
        cerebro.adddata(feed_for(market.bars(symbol), name=symbol))
    if not calendar_covered(market, streamed):
        # a trading day on which no instrument has a bar still passes (all suspended)
        cerebro.adddata(calendar_feed(market.calendar))
    cerebro.setbroker(broker)
    cerebro.addstrategy(PluginDriver, session=session)
    cerebro.addanalyzer(LedgerAnalyzer, _name="ledger", benchmark=benchmark)
    return cerebro


@dataclass
class PreparedRun:
    """A run assembled and ready for ``cerebro.run()``."""

    config: RunConfig
    plugin: StrategyPlugin
    market: MarketData
    rules: dict[str, InstrumentRules]
    clock: MarketClock
    broker: AShareBroker
    context: BarContext
    session: BacktestSession
    cerebro: bt.Cerebro
    progress: Any = None


def prepare_run(config: RunConfig, plugin: StrategyPlugin, market: MarketData, *,
                progress: bool | None = False) -> PreparedRun:
    """Assemble everything for one run over ``market`` (backtests and paper trading alike)."""
    benchmark = config.data.benchmark
    plugin.prepare(market)
    rules = resolve_all_rules(config, market)
    clock = MarketClock(market, {symbol: r.price_scale for symbol, r in rules.items()})
    broker = AShareBroker(config.broker, rules, clock)
    context = BarContext(market, clock, broker, trade_start=config.data.trade_start)
    bar_progress = None
    if progress is None:
        progress = len(market.calendar) * len(market.symbols) > LONG_RUN_BAR_FEEDS
    if progress:
        from tqdm import tqdm
        bar_progress = tqdm(total=len(market.calendar), unit="bar", desc=config.name,
                            leave=False)
    session = BacktestSession(plugin, context, broker, progress=bar_progress)
    streamed = streamed_symbols(market, plugin.traded_symbols(), benchmark)
    cerebro = assemble_cerebro(market, broker, session, streamed, benchmark)
    logger.debug("running {} over {} bars; feeds {}", config.name, len(market.calendar),
                 ", ".join(streamed))
    return PreparedRun(config, plugin, market, rules, clock, broker, context, session, cerebro,
                       bar_progress)


def execute_run(run: PreparedRun) -> bt.Strategy:
    """Run the Cerebro; return the driver strategy (its analyzers hold the ledger)."""
    try:
        return run.cerebro.run()[0]
    finally:
        if run.progress is not None:
            run.progress.close()


def run_backtest(config: RunConfig, plugin: StrategyPlugin, *,
                 frames: Mapping[str, pd.DataFrame] | None = None,
                 instruments: Mapping[str, Instrument] | None = None,
                 market: MarketData | None = None, progress: bool | None = False,
                 reader: Callable[[Path], pd.DataFrame] = read_bars_csv) -> RunResult:
    """Run ``plugin`` over the config's data and broker; return every table and metric.

    Parameters
    ----------
    frames, instruments:
        Optional in-memory bars (and metadata) that take precedence over files.
    market:
        Already loaded market data.
    progress:
        Show a progress bar on standard error: True always, None only for long runs
        (more than ``LONG_RUN_BAR_FEEDS`` bars x instruments), False never.
    reader:
        How bar files are read (sweep workers pass a caching reader).
    """
    benchmark = config.data.benchmark
    if market is None:
        symbols = plugin.symbols() + ([benchmark] if benchmark else [])
        market = load_market(config.data, symbols, frames, instruments, reader=reader)
    for gap in data_gaps(config, plugin, market):
        logger.warning("data gap: {}", gap)
    run = prepare_run(config, plugin, market, progress=progress)
    strategy = execute_run(run)
    run.broker.cancel_all("run ended before the order could fill")
    return collect_result(run, strategy.analyzers.ledger.get_analysis())


def data_gaps(config: RunConfig, plugin: StrategyPlugin, market: MarketData) -> list[str]:
    """Traded or benchmark instruments whose bars start after or end before the run's span."""
    symbols = plugin.traded_symbols() + ([config.data.benchmark] if config.data.benchmark else [])
    return [c.warning() for c in coverage(market, symbols, config.data.start, config.data.end)
            if not c.complete]


def run_notes(config: RunConfig, plugin: StrategyPlugin, market: MarketData,
              rules: Mapping[str, InstrumentRules]) -> list[str]:
    """What the report says about how the run was made and what it traded."""
    notes = [f"Data gap: {gap}." for gap in data_gaps(config, plugin, market)]
    notes += [EXECUTION_NOTES[config.broker.execution]]
    notes += [describe_traded(s, market.instruments[s], rules[s]) for s in plugin.traded_symbols()]
    traded = plugin.traded_symbols()
    booked = [s for s in traded if {"dividend", "split_ratio"} & set(market.bars(s).columns)]
    adjusted = [s for s in traded if s.endswith(".qfq")
                or "forward-adjusted" in market.instruments[s].source]
    if booked:
        notes.append(f"Cash dividends and splits of {', '.join(booked)} are booked on their "
                     "ex-dates from the bars' dividend and split_ratio lines (actions.csv).")
    if adjusted:
        notes.append(f"Prices of {', '.join(adjusted)} are forward-adjusted: dividends are folded "
                     "into the prices (earned as price moves, not paid in cash) and are not the "
                     "prices traded on the day.")
    if config.broker.costs == "none":
        notes.append("Costs are off (broker.costs: none): no commission, stamp duty or "
                     "transfer fee.")
    if config.broker.slippage.kind != "none":
        notes.append(f"Slippage: {config.broker.slippage.kind} {config.broker.slippage.value:g} "
                     "against the trader on every fill.")
    return notes + plugin.report_notes()


def collect_result(run: PreparedRun, ledger: dict[str, list[tuple]]) -> RunResult:
    """Tables, metrics and report notes of a finished run."""
    config, plugin, market, broker, rules = run.config, run.plugin, run.market, run.broker, run.rules
    context, clock = run.context, run.clock
    benchmark = config.data.benchmark
    equity = pd.DataFrame(ledger["equity"], columns=["date", "cash", "holdings", "equity",
                                                     "benchmark"])
    equity["date"] = pd.to_datetime(equity["date"])
    equity = equity.set_index("date")
    if benchmark:
        first = equity["benchmark"].dropna()
        base = first.iloc[0] if len(first) else math.nan
        equity["benchmark"] = config.broker.initial_cash * equity["benchmark"] / base
    positions = pd.DataFrame(ledger["positions"],
                             columns=["date", "symbol", "quantity", "price", "value"])
    positions["date"] = positions["date"].map(lambda d: d.isoformat())
    signals = pd.DataFrame.from_dict(context.records, orient="index").sort_index()
    signals.index = market.calendar[signals.index.to_numpy(dtype=int)]
    signals.index.name = "date"

    traded = plugin.traded_symbols()
    buy_and_hold = [simple_return(market.bars(s)["close"]) for s in traded]
    buy_and_hold_return = float(sum(buy_and_hold) / len(buy_and_hold)) if traded else math.nan
    benchmark_return = simple_return(market.bars(benchmark)["close"]) if benchmark else math.nan
    account = broker.account
    metrics = compute_metrics(equity, initial_cash=config.broker.initial_cash, fills=broker.fills,
                              trades=len(account.closed_trades) + len(account.open_trades),
                              buy_and_hold_return=buy_and_hold_return,
                              benchmark_return=benchmark_return,
                              periods_per_year=config.report.periods_per_year,
                              risk_free_rate=config.report.risk_free_rate)
    final_values = {s: p.quantity * clock.last_close(s) for s, p in account.positions.items()}
    dividends = {}
    for action in broker.actions:
        dividends[action.symbol] = dividends.get(action.symbol, 0.0) + action.cash
    metrics["contribution"] = contribution_by_symbol(broker.fills, final_values,
                                                     config.broker.initial_cash, dividends)
    metrics["dividends"] = round(sum(dividends.values()), 2)
    resolved = resolved_config(config, plugin)
    run_id = compute_run_id(resolved, market)
    metrics["run_id"] = run_id
    metrics["strategy"] = plugin.name
    metrics["execution"] = config.broker.execution

    notes = run_notes(config, plugin, market, rules)
    prices = {s: market.bars(s)["close"] for s in dict.fromkeys(traded + ([benchmark] if benchmark else []))}
    return RunResult(run_id=run_id, resolved_config=resolved, strategy_name=plugin.name,
                     equity=equity, positions=positions, orders=orders_frame(broker.orders),
                     fills=fills_frame(broker.fills),
                     trades=trades_frame(account.closed_trades, list(account.open_trades.values())),
                     signals=signals, metrics=metrics, notes=notes,
                     diagnostic_chart=plugin.diagnostic_chart, prices=prices,
                     fill_objects=list(broker.fills), actions=actions_frame(broker.actions))
