"""A finished backtest's ledger, read from its broker, analyzers and strategy records."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from huice.engine.results.tables import actions_frame, fills_frame, orders_frame, trades_frame
from huice.engine.run.result_builder import POSITION_COLUMNS, Ledger, equity_frame

if TYPE_CHECKING:
    from huice.engine.run.analyzers import LedgerRecorder
    from huice.engine.run.assembly import PreparedRun


def ledger_of(run: PreparedRun, analyzer: LedgerRecorder) -> Ledger:
    """The :class:`Ledger` of a run that has finished."""
    broker, clock, market = run.broker, run.clock, run.market
    account = broker.account
    positions = pd.DataFrame(analyzer.position_rows, columns=POSITION_COLUMNS)
    positions["date"] = positions["date"].map(lambda d: d.isoformat())
    signals = pd.DataFrame.from_dict(run.context.records, orient="index").sort_index()
    signals.index = market.calendar[signals.index.to_numpy(dtype=int)]
    signals.index.name = "date"
    return Ledger(
        equity=equity_frame(analyzer.rows), positions=positions,
        orders=orders_frame(broker.orders), fills=list(broker.fills),
        fills_table=fills_frame(broker.fills),
        trades=trades_frame(account.closed_trades, list(account.open_trades.values())),
        trade_count=len(account.closed_trades) + len(account.open_trades),
        actions=actions_frame(broker.actions), signals=signals,
        final_values={s: p.quantity * clock.last_close(s) for s, p in account.positions.items()})
