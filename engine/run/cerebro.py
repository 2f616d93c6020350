"""The only place that assembles a backtrader Cerebro: feeds, the A-share broker on
backtrader's contract, the strategy (the plugin driver, or a user's own ``bt.Strategy``) and
the ledger analyzers. Imported only by runs on Cerebro, so that the engine's own runner never
imports backtrader."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import backtrader as bt
import pandas as pd

from huice.engine.broker.cerebro_broker import CerebroBroker
from huice.engine.broker.rules import InstrumentRules
from huice.engine.run.analyzers import CloseFiller, LedgerAnalyzer
from huice.engine.run.driver import PluginDriver
from huice.engine.run.native import NativeStrategy
from huice.engine.run.plugin import StrategyPlugin
from huice.engine.run.session import BacktestSession
from huice.feeds.btfeed import calendar_feed, feed_for
from huice.feeds.market import MarketData


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


def assemble_cerebro(market: MarketData, broker: CerebroBroker, plugin: StrategyPlugin,
                     session: BacktestSession, benchmark: str | None,
                     rules: Mapping[str, InstrumentRules],
                     analyzers: Sequence[tuple[type, dict[str, Any]]] = ()) -> bt.Cerebro:
    """Build the Cerebro for a run: feeds, our broker, the strategy and the ledger analyzers.

    A plugin gets the driver strategy and feeds for the traded instruments and the benchmark
    (plus a clock-only feed when they leave calendar days uncovered). A backtrader strategy gets
    its own class with its params and one feed per instrument, in the order the config lists
    them, in traded prices (index proxies scaled); the broker follows their dates.
    """
    native = plugin if isinstance(plugin, NativeStrategy) else None
    # a backtrader strategy hears of its orders as under backtrader's defaults: after the bar
    # has advanced (len(self) and the data are the new bar's in notify_order)
    cerebro = bt.Cerebro(stdstats=False, preload=True, runonce=True,
                         quicknotify=native is None)
    if native is not None:
        feeds = [feed_for(market.bars(s), name=s, price_scale=rules[s].price_scale)
                 for s in native.instruments]
        for feed in feeds:
            cerebro.adddata(feed)
        broker.follow_feeds(feeds)
        cerebro.addstrategy(native.bt_class, **native.bt_params)
        if broker.execution.same_bar:
            cerebro.addanalyzer(CloseFiller, _name="close_filler")
    else:
        streamed = streamed_symbols(market, plugin.traded_symbols(), benchmark)
        for symbol in streamed:
            cerebro.adddata(feed_for(market.bars(symbol), name=symbol))
        if not calendar_covered(market, streamed):
            # a trading day on which no instrument has a bar still passes (all suspended)
            cerebro.adddata(calendar_feed(market.calendar))
        cerebro.addstrategy(PluginDriver, session=session)
    cerebro.setbroker(broker)
    cerebro.addanalyzer(LedgerAnalyzer, _name="ledger", benchmark=benchmark)
    for analyzer, kwargs in analyzers:
        cerebro.addanalyzer(analyzer, **kwargs)
    return cerebro
