"""The trading rules of every instrument of a run, from its data and the config's broker
block (docs/broker.md)."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import replace
from pathlib import Path

import pandas as pd

from huice.config.errors import ConfigError
from huice.config.schema import RunConfig
from huice.engine.broker.rules import InstrumentRules, resolve_rules
from huice.feeds.catalog import Instrument
from huice.feeds.errors import DataError
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


def read_st_history(path: Path) -> dict[str, tuple[tuple[dt.date, dt.date | None], ...]]:
    """The file's periods (read once per content: keyed by its size and modification time)."""
    stat = path.stat() if path.is_file() else None
    return _st_history(path, stat.st_size if stat else -1, stat.st_mtime_ns if stat else -1)


@functools.lru_cache(maxsize=8)
def _st_history(path: Path, size: int, mtime: int
                ) -> dict[str, tuple[tuple[dt.date, dt.date | None], ...]]:
    """``symbol,from,to`` rows (``to`` empty: still under risk warning) by symbol.

    Raises
    ------
    DataError
        Naming the file and line of a row that is not a symbol with dates in order.
    """
    if not path.is_file():
        raise DataError("broker.st_history: file not found", source=path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if not {"symbol", "from", "to"} <= set(frame.columns):
        raise DataError(f"needs columns symbol, from, to (it has {', '.join(frame.columns)})",
                        source=path, line=1, where="columns")
    periods: dict[str, list[tuple[dt.date, dt.date | None]]] = {}
    for position, values in enumerate(frame.to_dict("records")):
        try:
            start = dt.date.fromisoformat(values["from"].strip())
            end = dt.date.fromisoformat(values["to"].strip()) if values["to"].strip() else None
        except ValueError as exc:
            raise DataError(f"from/to must be dates (YYYY-MM-DD): {exc}", source=path,
                            line=position + 2, where="from") from exc
        if end is not None and end < start:
            raise DataError(f"to {end} is before from {start}", source=path, line=position + 2,
                            where="to")
        periods.setdefault(values["symbol"].strip(), []).append((start, end))
    return {symbol: tuple(sorted(p)) for symbol, p in periods.items()}


def instrument_rules(symbol: str, instrument: Instrument, config: RunConfig,
                     calendar: pd.DatetimeIndex | None) -> InstrumentRules:
    """One instrument's rules: its class and board, the config's overrides, a new listing's
    first days, its dated risk warnings (``broker.st_history``). The broker, the data gate,
    the paper gate and the tickets all use these."""
    rules = resolve_rules(symbol, instrument.asset_class, instrument.board, config.broker)
    if config.broker.st_history is not None and rules.asset_class == "stock":
        periods = read_st_history(config.broker.st_history).get(symbol, ())
        if periods:
            rules = replace(rules, st_periods=periods)
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
