"""The Cerebro runner's analyzers: the ledger snapshot after every bar, per-bar hooks and the
fills at the close (the engine's own runner calls the same recorder directly)."""

from __future__ import annotations

from typing import Any

import backtrader as bt

from huice.engine.run.recorder import LedgerRecorder


class LedgerAnalyzer(bt.Analyzer):
    """The :class:`LedgerRecorder` of a Cerebro run, snapshotting after every bar (including
    the bars before every feed has started)."""

    params = (("benchmark", None),)

    def start(self) -> None:
        self.recorder = LedgerRecorder(self.strategy.broker, self.p.benchmark)
        self.strategy.broker.passed_day_listeners.append(self.recorder.snapshot)

    def prenext(self) -> None:
        self.recorder.snapshot()

    def nextstart(self) -> None:
        self.recorder.snapshot()

    def next(self) -> None:
        self.recorder.snapshot()

    def get_analysis(self) -> dict[str, list[tuple[Any, ...]]]:
        return {"equity": self.recorder.rows, "positions": self.recorder.position_rows}


class BarHook(bt.Analyzer):
    """Calls ``callback(recorder, stop)`` after each bar (after the ledger analyzer): how a
    paper account books a Cerebro run's days."""

    params = (("callback", None),)

    def start(self) -> None:
        self.strategy.broker.passed_day_listeners.append(self._call)

    def _call(self) -> None:
        self.p.callback(self.strategy.analyzers.ledger.recorder, self.strategy.env.runstop)

    def prenext(self) -> None:
        self._call()

    def nextstart(self) -> None:
        self._call()

    def next(self) -> None:
        self._call()


class CloseFiller(bt.Analyzer):
    """With ``execution: close``, fills the orders a backtrader strategy placed in ``next()`` at
    the same bar's close (analyzers run after the strategy's ``next``, before the ledger's)."""

    def prenext(self) -> None:
        self.strategy.broker.fill_at_close()

    def nextstart(self) -> None:
        self.strategy.broker.fill_at_close()

    def next(self) -> None:
        self.strategy.broker.fill_at_close()
