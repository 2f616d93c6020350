"""The engine-owned runner for huice strategies (``runner: fast``).

The same clock, broker, session and ledger recorder as the Cerebro runner, driven one calendar
day at a time in a plain loop: the broker's start of day (T+1 release, corporate actions, fills
at the open), the strategy's decision after the close (and close fills), the ledger snapshot,
then any per-bar hooks (paper booking). Cerebro calls exactly these, in this order, on every
calendar day, so the outputs are byte-identical (tests/engine/test_fast_runner.py); what is
saved is backtrader's line machinery, which huice strategies never read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from huice.engine.broker.ashare import AShareBroker
from huice.engine.run.recorder import DeferredRecorder, LedgerRecorder
from huice.engine.run.session import BacktestSession

BarCallback = Callable[[LedgerRecorder, Callable[[], None]], None]


def run_fast(broker: AShareBroker, session: BacktestSession, benchmark: str | None,
             hooks: Sequence[BarCallback] = (), start_index: int = 0,
             positions: bool = True, deferred: bool = False) -> LedgerRecorder | DeferredRecorder:
    """Run the calendar days of ``broker.clock`` from ``start_index`` (a paper step whose
    earlier days are booked, their state restored on the first day run); return the ledger
    recorder (``positions=False``: equity rows only, for a sweep). ``deferred`` (a run with no
    hooks and no booked state to restore) works the rows out at the end
    (:class:`DeferredRecorder`, the same rows)."""
    broker.clock.index = start_index - 1
    days = len(broker.clock.dates)
    if deferred and not hooks:
        recorder = DeferredRecorder(broker, benchmark, start_index, positions)
        start_day, snapshot = broker.start_day, recorder.snapshot
        # the session's step is the plugin's decision alone unless it fills at the close or
        # shows progress: then the plugin is called straight
        decide = session.step if session.fill_at_close or session.progress is not None \
            else partial(session.plugin.on_bar, session.context)
        for _ in range(start_index, days):
            start_day()
            decide()
            snapshot()
        return recorder
    ledger = LedgerRecorder(broker, benchmark, positions)
    stopped = []

    def stop() -> None:
        stopped.append(True)

    for _ in range(start_index, days):
        broker.start_day()
        session.step()
        ledger.snapshot()
        for hook in hooks:
            hook(ledger, stop)
        if stopped:
            break
    return ledger
