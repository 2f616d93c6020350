"""The one backtrader Strategy of every run: it hands each bar to the strategy plugin."""

from __future__ import annotations

import backtrader as bt


class PluginDriver(bt.Strategy):
    """Calls ``session.on_bar()`` on every calendar day, including days before every feed
    has started (backtrader's ``prenext``)."""

    params = (("session", None),)

    def prenext(self) -> None:
        self.p.session.on_bar(self.datetime[0])

    def nextstart(self) -> None:
        self.p.session.on_bar(self.datetime[0])

    def next(self) -> None:
        self.p.session.on_bar(self.datetime[0])
