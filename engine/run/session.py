"""One run in progress: the plugin, its context and the broker, called once per bar."""

from __future__ import annotations

import datetime as dt
from typing import Any

from huice.engine.broker.ashare import AShareBroker
from huice.engine.run.context import BarContext
from huice.engine.run.plugin import StrategyPlugin


class BacktestSession:
    """Hands each closed bar to the plugin, then fills at the close when configured."""

    def __init__(self, plugin: StrategyPlugin, context: BarContext, broker: AShareBroker,
                 progress: Any = None) -> None:
        self.plugin = plugin
        self.context = context
        self.broker = broker
        self.fill_at_close = broker.execution.same_bar
        self.progress = progress

    def on_bar(self, bar_time: float) -> None:
        """Hand the bar backtrader is at (its float datetime) to the plugin."""
        clock = self.broker.clock
        if bar_time != clock.bt_times[clock.index]:
            raise RuntimeError(f"clock out of step: runner at {dt.date.fromordinal(int(bar_time))}, "
                               f"broker at {clock.day}")
        self.step()

    def step(self) -> None:
        """Hand the broker's current day to the plugin (the engine's own loop, which moves
        the clock itself), then fill at the close when configured."""
        self.plugin.on_bar(self.context)
        if self.fill_at_close:
            self.broker.fill_at_close()
        if self.progress is not None:
            self.progress.update(1)
