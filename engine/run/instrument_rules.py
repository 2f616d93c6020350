"""The trading rules of every instrument of a run, from its data and the config's broker
block (docs/broker.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd

from huice.config.errors import ConfigError
from huice.config.schema import RunConfig
from huice.engine.broker.rules import InstrumentRules, resolve_rules
from huice.feeds.catalog import Instrument
from huice.feeds.market import MarketData

# a newly listed stock trades without a price limit for its first five trading days on the
# boards under the registration system: STAR from its opening, ChiNext for listings from its
# reform, the main boards for listings from 2023-04-10 (docs/broker.md, "New listings")
NO_LIMIT_DAYS = 5
REGISTRATION_FROM = {"star": dt.date(2019, 7, 22), "chinext": dt.date(2020, 8, 24),
                     "main": dt.date(2023, 4, 10)}


def listing_rules(rules: InstrumentRules, instrument: Instrument,
                  calendar: pd.DatetimeIndex | None) -> InstrumentRules:
    """``rules`` with a new listing's days without a price limit (``no_limit_through``): a
    stock listed on a registration-system board from its start date, for its first
    ``NO_LIMIT_DAYS`` trading days on ``calendar`` (the listing day counts)."""
    listed = instrument.listed
    start = REGISTRATION_FROM.get(rules.board)
    if (rules.asset_class != "stock" or listed is None or start is None or listed < start
            or calendar is None or rules.price_limit is not None):
        return rules
    days = calendar[calendar >= pd.Timestamp(listed)]
    if len(days) < NO_LIMIT_DAYS:
        return rules
    return replace(rules, no_limit_through=days[NO_LIMIT_DAYS - 1].date())


def instrument_rules(symbol: str, instrument: Instrument, config: RunConfig,
                     calendar: pd.DatetimeIndex | None) -> InstrumentRules:
    """One instrument's rules: its class and board, the config's overrides, a new listing's
    first days. The broker, the data gate, the paper gate and the tickets all use these."""
    rules = resolve_rules(symbol, instrument.asset_class, instrument.board, config.broker)
    return listing_rules(rules, instrument, calendar)


def resolve_all_rules(config: RunConfig, market: MarketData) -> dict[str, InstrumentRules]:
    """Trading rules of every instrument; overrides naming instruments not in the run are errors."""
    for symbol in config.broker.instruments:
        if symbol not in market.instruments:
            raise ConfigError(f"not an instrument of this run (it uses "
                              f"{', '.join(market.symbols)})", where=f"broker.instruments[{symbol}]")
    calendar = market.exchange_calendar if market.exchange_calendar is not None \
        else market.calendar
    return {symbol: instrument_rules(symbol, instrument, config, calendar)
            for symbol, instrument in market.instruments.items()}
