"""The report's notes on how a run was made and what it traded: execution, each instrument's
rules, data gaps, dividends, costs and slippage."""

from __future__ import annotations

from collections.abc import Mapping

from huice.config.schema import RunConfig
from huice.engine.broker.rules import InstrumentRules
from huice.engine.run.plugin import StrategyPlugin
from huice.feeds.catalog import Instrument
from huice.feeds.coverage import coverage, span_note
from huice.feeds.market import MarketData

EXECUTION_NOTES = {
    "open": "Orders placed after a bar's close fill at the next bar's open.",
    "close": "Orders fill at the close of the bar whose data produced them "
             "(research convention: it assumes a trade at a price already known).",
    "vwap": "Orders fill at the next bar's typical price (high + low + close) / 3, "
            "a proxy for its VWAP.",
}


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
    parts.append(f"{rules.describe_lots()}, tick {rules.tick:g}, T+{rules.t_plus}, {limit}, "
                 f"commission {rules.commission_rate:.4%} (min {rules.commission_min_cny:g} CNY)"
                 + (", stamp duty on sells by trade date" if rules.stamp_duty else "")
                 + (", transfer fee by trade date" if rules.transfer_fee else ""))
    return "; ".join(parts) + "."


def data_gaps(config: RunConfig, plugin: StrategyPlugin, market: MarketData) -> list[str]:
    """Traded or benchmark instruments whose bars start after or end before the run's span."""
    symbols = plugin.traded_symbols() + ([config.data.benchmark] if config.data.benchmark else [])
    span = span_note(market, config.data.start, config.data.end)
    return ([span] if span else []) + [
        c.warning() for c in coverage(market, symbols, config.data.start, config.data.end)
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
                     "ex-dates from the bars' dividend and split_ratio lines (actions.csv); "
                     "buy-and-hold counts them the same way (cash dividends credited on the "
                     "ex-date, not reinvested) and round trips (trades.csv) include them.")
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
