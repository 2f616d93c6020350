"""One run in progress: the plugin, its context and the broker, called once per bar."""

from __future__ import annotations

import datetime as dt

from engine.broker import AShareBroker
from engine.context import BarContext
from engine.plugin import StrategyPlugin


class BacktestSession:
    """Hands each closed bar to the plugin, then fills at the close when configured."""

    def __init__(self, plugin: StrategyPlugin, context: BarContext, broker: AShareBroker,
                 progress=None) -> None:
        self.plugin = plugin
        self.context = context
        self.broker = broker
        self.fill_at_close = broker.config.execution == "close"
        self.progress = progress

    def on_bar(self) -> None:
        self.plugin.on_bar(self.context)
        if self.fill_at_close:
            self.broker.fill_at_close()
        if self.progress is not None:
            self.progress.update(1)

    def check_clock(self, bar_date: dt.date) -> None:
        """Fail loudly if backtrader's clock and the broker's calendar ever disagree."""
        if bar_date != self.broker.clock.day:
            raise RuntimeError(f"clock out of step: backtrader at {bar_date}, "
                               f"broker at {self.broker.clock.day}")
