"""One run assembled and run end to end, on either runner: the market, the rules, the clock, the
broker, the session and the ledger. Backtests, sweeps and paper accounts all come through here.
A run on Cerebro takes its Cerebro from :mod:`huice.engine.run.cerebro`, imported only then."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from loguru import logger

from huice.config.errors import ConfigError
from huice.config.schema import RunConfig
from huice.engine.broker.ashare import AShareBroker
from huice.engine.broker.clock import MarketClock
from huice.engine.broker.rules import InstrumentRules
from huice.engine.broker.state import same_state
from huice.engine.results.result import RunResult, RunSummary
from huice.engine.run.context import BarContext
from huice.engine.run.data_gate import gate_market
from huice.engine.run.fast import BarCallback, run_fast
from huice.engine.run.instrument_rules import resolve_all_rules
from huice.engine.run.kinds import is_backtrader_plugin
from huice.engine.run.ledger import ledger_of, summary_of
from huice.engine.run.notes import data_gaps
from huice.engine.run.plugin import StrategyPlugin
from huice.engine.run.recorder import DeferredRecorder, LedgerRecorder
from huice.engine.run.result_builder import build_result
from huice.engine.run.session import BacktestSession
from huice.feeds.catalog import Instrument
from huice.feeds.csv_source import read_bars
from huice.feeds.errors import DataError
from huice.feeds.loading import explain_benchmark, load_market
from huice.feeds.market import MarketData

if TYPE_CHECKING:
    import backtrader as bt

LONG_RUN_BAR_FEEDS = 50_000


@dataclass(frozen=True)
class Resume:
    """Continue a paper account whose days up to ``after`` are booked: the run simulates them
    like any backtest, and on the first day after ``after`` the booked broker and strategy state
    replace the simulated ones, once (the ledger is the account's truth)."""

    after: dt.date
    broker_state: dict[str, Any]
    strategy_state: dict[str, Any]


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
    cerebro: bt.Cerebro | None
    progress: Any = None
    resume: Resume | None = None
    strategies: list[bt.Strategy] = field(default_factory=list)
    runner: str = "cerebro"
    hooks: list[BarCallback] = field(default_factory=list)
    start_index: int = 0  # the fast runner's first day (a paper step skips booked days)
    lean: bool = False  # a sweep's run: no per-bar position rows or signal records
    replaced_state: bool = False  # a paper step loaded the booked state (resume_booked_state)

    def stopped_early(self) -> bool:
        """Whether Cerebro was asked to stop before the last day (a paper step's stop)."""
        return bool(self.cerebro is not None and getattr(self.cerebro, "_event_stop", False))

    def on_each_bar(self, callback: BarCallback) -> None:
        """Call ``callback(recorder, stop)`` after each bar's ledger snapshot (either runner)."""
        if self.cerebro is not None:
            from huice.engine.run.analyzers import BarHook

            self.cerebro.addanalyzer(BarHook, callback=callback)
        else:
            self.hooks.append(callback)


def choose_runner(config: RunConfig, plugin: StrategyPlugin, runner: str | None,
                  analyzers: Sequence[Any] = ()) -> str:
    """``runner`` if given, else the config's, else cerebro; fast only for huice strategies."""
    chosen = runner or config.runner or "cerebro"
    if chosen == "fast" and is_backtrader_plugin(plugin):
        raise ConfigError("runner fast drives huice strategies; a backtrader strategy runs on "
                          "Cerebro (runner: cerebro)", where="runner")
    if chosen == "fast" and analyzers:
        raise ConfigError("backtrader analyzers need runner: cerebro", where="runner")
    return chosen


def prepare_run(config: RunConfig, plugin: StrategyPlugin, market: MarketData, *,
                progress: bool | None = False, resume: Resume | None = None,
                analyzers: Sequence[tuple[type, dict[str, Any]]] = (),
                runner: str | None = None) -> PreparedRun:
    """Assemble everything for one run over ``market`` (backtests and paper trading alike).

    ``resume`` continues a paper account (see :class:`Resume`); ``analyzers`` are extra
    backtrader analyzers, as (class, keyword arguments) pairs; ``runner`` overrides the
    config's (``cerebro`` or ``fast``, see :mod:`huice.engine.run.fast`).
    """
    runner = choose_runner(config, plugin, runner, analyzers)
    benchmark = config.data.benchmark
    plugin.prepare(market)
    rules = resolve_all_rules(config, market)
    clock = MarketClock(market, {symbol: r.price_scale for symbol, r in rules.items()})
    on_cerebro = None  # the broker on backtrader's contract, for a run on Cerebro only
    if runner == "cerebro":
        from huice.engine.broker.cerebro_broker import CerebroBroker

        on_cerebro = CerebroBroker(config.broker, rules, clock)
        broker: AShareBroker = on_cerebro
    else:
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
    cerebro = None
    if on_cerebro is not None:
        from huice.engine.run.cerebro import assemble_cerebro

        cerebro = assemble_cerebro(market, on_cerebro, plugin, session, benchmark, rules,
                                   analyzers)
    logger.debug("running {} ({}) over {} bars with the {} runner", config.name, plugin.name,
                 len(market.calendar), runner)
    run = PreparedRun(config, plugin, market, rules, clock, broker, context, session, cerebro,
                      bar_progress, resume, runner=runner)
    if resume is not None:
        clock.call_on_first_day_after(resume.after, lambda: resume_booked_state(run))
    return run


def resume_booked_state(run: PreparedRun) -> None:
    """The first day after a paper account's watermark: continue from the booked state.

    A backtrader strategy's booked days were simulated again (its state lives in Python
    objects): when the simulation reached exactly the booked broker state, as it does for any
    account booked by huice from the same bars, nothing is replaced, so the strategy's
    positions, orders and notifications are those of one backtest. Otherwise (an account that
    followed the broker's own fills) the booked state replaces the simulated one and the
    strategy's view is rebuilt from it, with a warning. A huice strategy's step starts here,
    so the booked broker and strategy state are loaded."""
    resume = run.resume
    assert resume is not None
    broker = run.broker
    if is_backtrader_plugin(run.plugin):
        if same_state(broker.export_state(), resume.broker_state, broker.clock.dates):
            return
        logger.warning("the booked account differs from the simulated one at {} (followed "
                       "fills?): the booked state replaces it, and the backtrader strategy's "
                       "positions and orders are rebuilt from it", resume.after)
    broker.restore_state(resume.broker_state)
    run.plugin.set_state(resume.strategy_state)
    run.replaced_state = True


def execute_run(run: PreparedRun) -> LedgerRecorder | DeferredRecorder:
    """Run it (Cerebro, or the engine's own loop); return the ledger recorder (on the
    engine's loop, without hooks or a booked state:
    :class:`~huice.engine.run.recorder.DeferredRecorder`)."""
    try:
        if run.cerebro is None:
            return run_fast(run.broker, run.session, run.config.data.benchmark, run.hooks,
                            run.start_index, positions=not run.lean,
                            deferred=run.resume is None and not run.hooks)
        run.strategies = run.cerebro.run()
        recorder: LedgerRecorder = run.strategies[0].analyzers.ledger.recorder
        if is_backtrader_plugin(run.plugin) and not run.stopped_early():
            # the trading days after the strategy's feeds end are the run's days too
            run.broker.pass_days_until(len(run.clock.dates) - 1)
        return recorder
    finally:
        if run.progress is not None:
            run.progress.close()


def market_of(config: RunConfig, plugin: StrategyPlugin,
              frames: Mapping[str, pd.DataFrame] | None = None,
              instruments: Mapping[str, Instrument] | None = None,
              reader: Callable[[Path], pd.DataFrame] = read_bars) -> MarketData:
    """The bars a run of ``plugin`` needs (its symbols and the benchmark), loaded, validated
    and windowed by ``config.data``; data gaps are logged as warnings."""
    benchmark = config.data.benchmark
    symbols = plugin.symbols() + ([benchmark] if benchmark else [])
    try:
        market = load_market(config.data, symbols, frames, instruments, reader=reader)
    except DataError as exc:
        if benchmark and getattr(exc, "symbol", None) == benchmark \
                and benchmark not in plugin.symbols():
            explain_benchmark(exc, config.data)
        raise
    log_data_gaps(config, plugin, market)
    return gate_market(config, market)


def log_data_gaps(config: RunConfig, plugin: StrategyPlugin, market: MarketData) -> None:
    """Warn of each day an instrument of the run has no bar inside its life."""
    for gap in data_gaps(config, plugin, market):
        logger.warning("data gap: {}", gap)


def run_summary(config: RunConfig, plugin: StrategyPlugin, market: MarketData, *,
                runner: str | None = None) -> RunSummary:
    """Run ``plugin`` over ``market`` (see :func:`market_of`) and keep only its id, metrics
    and equity curve: what a sweep keeps. The same run as :func:`run_backtest` (the metrics
    are equal, tests/engine/test_sweep_lean.py); it skips the ledger tables, the per-bar
    position rows and the strategy's signal records."""
    run = prepare_run(config, plugin, gate_market(config, market), runner=runner)
    run.lean = True
    run.context.keep_records = False
    recorder = execute_run(run)
    run.broker.cancel_all("run ended before the order could fill")
    return summary_of(run, recorder)


def run_backtest(config: RunConfig, plugin: StrategyPlugin, *,
                 frames: Mapping[str, pd.DataFrame] | None = None,
                 instruments: Mapping[str, Instrument] | None = None,
                 market: MarketData | None = None, progress: bool | None = False,
                 reader: Callable[[Path], pd.DataFrame] = read_bars,
                 analyzers: Sequence[tuple[type, dict[str, Any]]] = (),
                 runner: str | None = None) -> RunResult:
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
    analyzers:
        Extra backtrader analyzers (class, kwargs); their ``get_analysis()`` is in
        ``result.analyzers`` under their ``_name``.
    runner:
        ``cerebro`` or ``fast`` (default: the config's, else cerebro); the same outputs.
    """
    if market is None:
        market = market_of(config, plugin, frames, instruments, reader)
    else:
        log_data_gaps(config, plugin, market)
        market = gate_market(config, market)
    run = prepare_run(config, plugin, market, progress=progress, analyzers=analyzers,
                      runner=runner)
    recorder = execute_run(run)
    run.broker.cancel_all("run ended before the order could fill")
    result = build_result(ledger_of(run, recorder), config=config, plugin=plugin,
                          market=market, rules=run.rules)
    if run.strategies:
        analyzed = run.strategies[0].analyzers
        result.analyzers = {name: analyzed.getbyname(name).get_analysis()
                            for name in analyzed.getnames()
                            if name not in ("ledger", "close_filler")}
    return result
