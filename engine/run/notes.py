"""The report's notes on how a run was made and what it traded: execution, each instrument's
rules, data gaps, dividends, costs and slippage."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Mapping

from huice.config.schema import RunConfig
from huice.engine.broker.rules import InstrumentRules
from huice.engine.results.labels import NOTES, config_value, say
from huice.engine.run.data_gate import finding_notes
from huice.engine.run.plugin import StrategyPlugin
from huice.feeds.catalog import Instrument
from huice.feeds.coverage import Coverage, coverage, span_edges
from huice.feeds.market import MarketData


def _note(key: str, language: str, **values: object) -> str:
    return say(NOTES, key, language, **values)


def describe_traded(symbol: str, instrument: Instrument, rules: InstrumentRules,
                    language: str = "en") -> str:
    """One sentence of what an instrument was traded as, for the report."""
    shown = instrument.display_name(language)
    name = _note("named", language, symbol=symbol, name=shown) if shown not in ("", symbol) \
        else symbol
    if instrument.asset_class == "synthetic":
        return _note("synthetic", language, name=name)
    lots = (_note("lots_minimum", language, minimum=rules.min_quantity, lot=rules.lot)
            if rules.min_quantity > rules.lot else _note("lots", language, lot=rules.lot))
    common = dict(
        name=name, lots=lots, tick=f"{rules.tick:g}", t_plus=rules.t_plus,
        limit=(_note("no_limit", language) if rules.price_limit == 0
               else _note("board_limits", language,
                           board=config_value("board", rules.board, language))),
        commission=f"{rules.commission_rate:.4%}", minimum=f"{rules.commission_min_cny:g}",
        stamp=_note("stamp", language) if rules.stamp_duty else "",
        transfer=_note("transfer", language) if rules.transfer_fee else "")
    if rules.asset_class == "index":
        return _note("index_proxy", language, scale=f"{rules.price_scale:g}", **common)
    inferred = (_note("inferred", language, how=instrument.class_inferred)
                if instrument.class_inferred and rules.asset_class == instrument.asset_class
                else "")
    return _note("traded_as", language,
                 asset_class=config_value("asset_class", rules.asset_class, language),
                 inferred=inferred,
                 **common)


def span_note(market: MarketData, start: dt.date | None, end: dt.date | None,
              language: str = "en") -> str | None:
    """A sentence when the run is shorter than data.start .. data.end asked (None otherwise)."""
    edges = span_edges(market, start, end)
    if not edges:
        return None
    parts = [_note(f"span_{edge.side}", language, day=edge.day, asked=edge.asked,
                   reason=_note(f"span_{edge.reason}", language, calendar_end=edge.calendar_end))
             for edge in edges]
    return _note("span_gap", language, edges=_note("coverage_and", language).join(parts))


def coverage_note(gap: Coverage, language: str = "en") -> str:
    """One sentence naming an instrument, what its data covers and what it misses."""
    missing = []
    if gap.first > gap.span_start:
        missing.append(_note("coverage_starts", language, first=gap.first, day=gap.span_start))
    if gap.last < gap.span_end:
        missing.append(_note("coverage_ends", language, last=gap.last, day=gap.span_end))
    return _note("coverage_gap", language, symbol=gap.symbol, first=gap.first, last=gap.last,
                 missing=_note("coverage_and", language).join(missing))


def data_gaps(config: RunConfig, plugin: StrategyPlugin, market: MarketData,
              language: str = "en") -> list[str]:
    """Traded or benchmark instruments whose bars start after or end before the run's span."""
    symbols = plugin.traded_symbols() + ([config.data.benchmark] if config.data.benchmark else [])
    start, end = config.data.start, config.data.end
    span = span_note(market, start, end, language)
    gaps = [c for c in coverage(market, symbols, start, end) if not c.complete]
    return ([span] if span else []) + [coverage_note(c, language) for c in gaps]


def run_notes(config: RunConfig, plugin: StrategyPlugin, market: MarketData,
              rules: Mapping[str, InstrumentRules], language: str = "en") -> list[str]:
    """What the report says about how the run was made and what it traded, in ``language``
    (the strategy's own notes are its own words)."""
    notes = [_note("data_gap", language, gap=gap)
             for gap in data_gaps(config, plugin, market, language)]
    notes += finding_notes(market, config.data.quality, language)
    notes += [_note(f"execution_{config.broker.execution}", language)]
    notes += [describe_traded(s, market.instruments[s], rules[s], language)
              for s in plugin.traded_symbols()]
    traded = plugin.traded_symbols()
    booked = [s for s in traded if {"dividend", "split_ratio"} & set(market.bars(s).columns)]
    adjusted = [s for s in traded if s.endswith(".qfq")
                or "forward-adjusted" in market.instruments[s].source]
    if booked:
        notes.append(_note("dividends_booked", language, symbols=", ".join(booked)))
    if adjusted:
        notes.append(_note("forward_adjusted", language, symbols=", ".join(adjusted)))
    if config.broker.costs == "none":
        notes.append(_note("costs_off", language))
    if config.broker.slippage.kind != "none":
        notes.append(_note("slippage", language,
                           kind=config_value("slippage", config.broker.slippage.kind, language),
                           value=f"{config.broker.slippage.value:g}"))
    return notes + strategy_notes(plugin, language)


def strategy_notes(plugin: StrategyPlugin, language: str) -> list[str]:
    """The strategy's own notes, in ``language`` when its ``report_notes`` takes a
    ``language`` argument (the bundled strategies do; a plugin without one keeps its words)."""
    report: Callable[..., list[str]] = plugin.report_notes
    accepts = "language" in inspect.signature(report).parameters
    return report(language=language) if accepts else report()
