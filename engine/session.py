"""One run in progress: the plugin, its context and the broker, called once per bar."""

from __future__ import annotations

import datetime as dt

import backtrader as bt

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
        self.resume_after: dt.date | None = None
        self._strategy_state: dict | None = None

    def resume(self, after: dt.date, broker_state: dict, strategy_state: dict) -> None:
        """Continue a paper account: days up to ``after`` are replayed silently (their results
        are in the ledger already); both states are restored on the first day after it."""
        self.resume_after = after
        self._strategy_state = strategy_state
        self.broker.restore_before_next_bar(after, broker_state)

    @property
    def replaying(self) -> bool:
        """True on days already processed by an earlier paper run."""
        return self.resume_after is not None and self.broker.clock.day <= self.resume_after

    def on_bar(self, bar_time: float) -> None:
        """Hand the bar backtrader is at (its float datetime) to the plugin."""
        clock = self.broker.clock
        if bar_time != clock.bt_times[clock.index]:
            raise RuntimeError(f"clock out of step: backtrader at {bt.num2date(bar_time)}, "
                               f"broker at {clock.day}")
        if self.replaying:
            if self.progress is not None:
                self.progress.update(1)
            return
        if self._strategy_state is not None:
            self.plugin.set_state(self._strategy_state)
            self._strategy_state = None
        self.plugin.on_bar(self.context)
        if self.fill_at_close:
            self.broker.fill_at_close()
        if self.progress is not None:
            self.progress.update(1)
