"""The trading rules of every instrument of a run, from its data and the config's broker
block (docs/broker.md)."""

from __future__ import annotations

from huice.config.errors import ConfigError
from huice.config.schema import RunConfig
from huice.engine.broker.rules import InstrumentRules, resolve_rules
from huice.feeds.market import MarketData


def resolve_all_rules(config: RunConfig, market: MarketData) -> dict[str, InstrumentRules]:
    """Trading rules of every instrument; overrides naming instruments not in the run are errors."""
    for symbol in config.broker.instruments:
        if symbol not in market.instruments:
            raise ConfigError(f"not an instrument of this run (it uses "
                              f"{', '.join(market.symbols)})", where=f"broker.instruments[{symbol}]")
    return {symbol: resolve_rules(symbol, instrument.asset_class, instrument.board, config.broker)
            for symbol, instrument in market.instruments.items()}
