"""A finished backtest's ledger, read from its broker, analyzers and strategy records."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from huice.engine.results.ledger_frames import actions_frame, fills_frame, orders_frame, trades_frame
from huice.engine.results.result import RunSummary
from huice.engine.run.result_builder import (
    POSITION_COLUMNS,
    Ledger,
    dividends_by_symbol,
    equity_frame,
    summarise,
)

if TYPE_CHECKING:
    from huice.engine.run.assembly import PreparedRun
    from huice.engine.run.recorder import DeferredRecorder, LedgerRecorder


def records_frame(records: dict[int, dict[str, float]], calendar: pd.DatetimeIndex
                  ) -> pd.DataFrame:
    """What the strategy recorded, one row per bar index that has a record, one column per
    name (in the order names first appeared; NaN where a bar did not record it)."""
    bars = sorted(records)
    rows = [records[bar] for bar in bars]
    names = dict.fromkeys(itertools.chain.from_iterable(rows))
    columns = {name: np.array([row.get(name, np.nan) for row in rows], dtype=float)
               for name in names}
    return pd.DataFrame(columns, index=pd.DatetimeIndex(calendar[bars], name="date"))


def ledger_of(run: PreparedRun, analyzer: LedgerRecorder | DeferredRecorder) -> Ledger:
    """The :class:`Ledger` of a run that has finished (one that kept its position rows)."""
    if not analyzer.keep_positions:
        raise TypeError("a lean run keeps its equity rows only: it has no ledger tables")
    broker, clock, market = run.broker, run.clock, run.market
    account = broker.account
    positions = pd.DataFrame(analyzer.position_columns(), columns=POSITION_COLUMNS)
    equity = equity_frame(analyzer.equity_columns())
    signals = records_frame(run.context.records, market.calendar)
    return Ledger(
        equity=equity, positions=positions,
        orders=orders_frame(broker.orders), fills=list(broker.fills),
        fills_table=fills_frame(broker.fills),
        trades=trades_frame(account.closed_trades, list(account.open_trades.values())),
        trade_count=len(account.closed_trades) + len(account.open_trades),
        actions=actions_frame(broker.actions), signals=signals,
        final_values={s: p.quantity * clock.last_close(s) for s, p in account.positions.items()})


def summary_of(run: PreparedRun, recorder: LedgerRecorder | DeferredRecorder) -> RunSummary:
    """The :class:`RunSummary` of a run that has finished: metrics and equity straight from
    the broker's fills and actions, without the ledger tables (what a sweep keeps)."""
    broker, clock = run.broker, run.clock
    account = broker.account
    dividends = dividends_by_symbol((action.symbol, action.cash) for action in broker.actions)
    return summarise(
        equity_frame(recorder.equity_columns()), fills=list(broker.fills),
        trade_count=len(account.closed_trades) + len(account.open_trades),
        final_values={s: p.quantity * clock.last_close(s) for s, p in account.positions.items()},
        dividends=dividends, config=run.config, plugin=run.plugin, market=run.market)
