"""What a run says about itself: the resolved config, its id, the trading rules of each
instrument, and the report's notes on how it was made and what it traded."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from huice.config.errors import ConfigError
from huice.config.schema import RunConfig
from huice.engine.broker.rules import InstrumentRules, resolve_rules
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


def resolved_config(config: RunConfig, plugin: StrategyPlugin) -> dict[str, Any]:
    """The config as run: defaults filled in, strategy params validated."""
    resolved = config.model_dump(mode="json", by_alias=True)
    resolved["strategy"]["params"] = plugin.resolved_params()
    if not resolved["strategy"]["instruments"]:
        del resolved["strategy"]["instruments"]  # only backtrader strategies list them
    resolved.pop("runner", None)  # how a run is driven does not change what it produces
    return resolved


def compute_run_id(resolved: Mapping[str, Any], market: MarketData) -> str:
    """A hash of the resolved config (paths left out) and of every bar used."""
    identity = json.loads(json.dumps(resolved))
    identity["data"].pop("catalog", None)
    for spec in identity["data"].get("files", {}).values():
        spec.pop("path", None)
    identity.get("report", {}).pop("language", None)  # how the page is worded, not what ran
    paper = identity.get("paper") or {}
    for key in ("state", "log_file"):  # where an account lives is not what it trades
        paper.pop(key, None)
    if isinstance(paper.get("source"), dict):
        paper["source"].pop("path", None)
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
