"""Run an example with a recording subclass of its strategy, for the vectorised-equals-event-
driven tests."""

from __future__ import annotations

from typing import Any

import huice
from huice.engine.run.assembly import market_of, run_backtest
from huice.feeds.market import MarketData
from tests.conftest import EXAMPLES


def recorded_run(example: str, changes: dict[str, Any], recording: type) -> tuple[Any, MarketData]:
    """The example ``example`` with ``changes`` to its strategy params, run on the fast runner
    by ``recording`` (a subclass of its strategy that notes its decisions): the strategy
    object after the run, and the run's market."""
    config = huice.load_config(EXAMPLES / f"{example}.yaml", overrides={
        f"strategy.params.{key}": value for key, value in changes.items()})
    plugin = recording(huice.build_strategy(config).params)
    run_backtest(config, plugin, runner="fast")
    return plugin, market_of(config, plugin)
