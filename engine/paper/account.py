"""A paper account read from its state database: the status now, and the same result (and
report) as a backtest, built by the one result builder from the booked ledger."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import pandas as pd

from huice.config.errors import HuiceError
from huice.config.overrides import with_overrides
from huice.engine.broker.account import Trade
from huice.engine.broker.orders import Fill
from huice.engine.paper.glance import (
    account_glance,
    next_session,
    order_state,
    resting_orders,
    unprotected,
)
from huice.engine.paper.store import PaperStore
from huice.engine.results.account_view import Drift, LiveVsPaper, PaperStatus
from huice.engine.results.labels import NOTES, text
from huice.engine.results.ledger_frames import trades_frame
from huice.engine.results.result import RunResult
from huice.engine.run.instrument_rules import resolve_all_rules
from huice.engine.run.result_builder import Ledger, build_result, equity_frame
from huice.feeds.loading import load_market

if TYPE_CHECKING:
    from huice.engine.paper.trader import PaperTrader


def status(store: PaperStore, initial_cash: float, calendar: pd.DatetimeIndex) -> PaperStatus:
    """The account as of the watermark: cash, equity, positions with their cost basis and
    unrealised P&L, realised and today's P&L, the next step's date, open orders (a partly
    filled one says so), the last day's fills and the days accepted on purpose."""
    watermark = store.watermark
    if watermark is None:
        return PaperStatus(last_bar=None, message="no bar processed yet")
    equity = store.table("equity")
    last = equity.set_index("date").loc[watermark.isoformat()]
    orders = store.table("orders")
    orders["state"] = [order_state(r.status, r.filled, r.quantity) for r in orders.itertuples()]
    fills = store.table("fills")
    broker_state, _ = store.states()
    glance = account_glance(equity, store.table("positions"), broker_state, initial_cash,
                            calendar)
    last_day = orders[orders["created"] == watermark.isoformat()]
    live = live_vs_paper(store)
    return PaperStatus(
        last_bar=watermark.isoformat(), next_step=glance.next_step,
        bars_processed=len(equity), cash=float(last["cash"]),
        holdings=float(last["holdings"]), equity=float(last["equity"]),
        cost_basis=glance.cost_basis, unrealised_pnl=glance.unrealised_pnl,
        realised_pnl=glance.realised_pnl, total_pnl=glance.total_pnl,
        today_pnl=glance.today_pnl, positions=glance.positions,
        bought_today_t_plus_1={s: p["bought_today"] for s, p in broker_state["positions"].items()
                               if p["bought_today"]},
        open_orders=tuple(orders[orders["status"].isin(["pending", "partial"])]
                          .to_dict("records")),
        resting=tuple(resting_orders(broker_state, next_session(calendar, watermark))),
        unprotected=tuple(unprotected(broker_state)),
        last_day_orders=tuple(last_day.to_dict("records")),
        last_day_fills=tuple(fills[fills["date"] == watermark.isoformat()].to_dict("records")),
        accepted=tuple({"symbol": s, "date": d.isoformat(), "as": k}
                       for s, d, k in sorted(store.accepted())),
        drift=live.drift if live else None,
        # the broker's cash as the last reconciliation left it: the paper's plus the drift
        broker_cash=round(float(last["cash"]) + live.drift.cash, 2) if live else None)


def stored_ledger(store: PaperStore, watermark: dt.date) -> Ledger:
    """The booked ledger of a paper account, as a backtest's would be."""
    equity = equity_frame(store.table("equity").rename(columns={"benchmark_close": "benchmark"}))
    fills = store.table("fills")
    fill_objects = [Fill(r.order_id, dt.date.fromisoformat(r.date), r.symbol, r.side == "buy",
                         r.quantity, r.price, r.reference_price, r.value, r.commission,
                         r.stamp_duty, r.transfer_fee, r.cash_after, r.dividend_tax)
                    for r in fills.itertuples()]
    closed = store.table("trades")
    broker_state, _ = store.states()
    still_open = [Trade(symbol=s, opened=dt.date.fromisoformat(t["opened"]),
                        bought_quantity=t["bought_quantity"], buy_value=t["buy_value"],
                        sell_value=t["sell_value"], fees=t["fees"],
                        dividends=t.get("dividends", 0.0))
                  for s, t in broker_state["open_trades"].items()]
    trades = pd.concat([closed, trades_frame([], still_open)], ignore_index=True) \
        if still_open else closed
    positions = store.table("positions")
    rows = store.table("signals")
    signals = pd.DataFrame([json.loads(j) for j in rows["json"]],
                           index=pd.DatetimeIndex(pd.to_datetime(rows["date"]), name="date"))
    last = positions[positions["date"] == watermark.isoformat()]
    return Ledger(equity=equity, positions=positions,
                  orders=store.table("orders").sort_values("order_id").reset_index(drop=True),
                  fills=fill_objects, fills_table=fills, trades=trades, trade_count=len(trades),
                  actions=store.table("actions"), signals=signals,
                  final_values=dict(zip(last["symbol"], last["value"])))


def paper_result(trader: PaperTrader) -> RunResult:
    """The paper ledger as a :class:`RunResult`, for the same report as a backtest."""
    store = trader.store
    watermark = store.watermark
    if watermark is None:
        raise HuiceError("no bar has been processed yet: nothing to report", source=store.path)
    read = trader.poll()
    config = with_overrides(trader.config, {"data.end": watermark})
    market = load_market(config.data, trader.symbols,
                         frames={s: read.frames[s] for s in trader.base_symbols},
                         instruments=trader.instruments)
    ledger = stored_ledger(store, watermark)
    first = ledger.equity.index[0].date()
    result = build_result(ledger, config=config, plugin=trader.factory(config), market=market,
                          rules=resolve_all_rules(config, market),
                          leading_notes=[text(NOTES, "paper_account", config.report.language)
                                         .format(state=store.path.name,
                                                 bars=len(ledger.equity), first=first,
                                                 last=watermark)])
    result.paper = True  # its report leads with today's positions and the last orders
    broker_state, _ = store.states()
    result.paper_glance = account_glance(store.table("equity"), store.table("positions"),
                                         broker_state, config.broker.initial_cash,
                                         trader.calendar)
    result.live_vs_paper = live_vs_paper(store)
    return result


def live_vs_paper(store: PaperStore) -> LiveVsPaper | None:
    """The reconciled groups and the latest drift (None before any reconciliation)."""
    rows = store.optional_table("reconciled")
    drift = store.optional_table("drift")
    if rows is None or rows.empty or drift is None or drift.empty:
        return None
    latest = drift.sort_values("through").iloc[-1]
    flows = store.optional_table("cash_flows")
    return LiveVsPaper(
        reconciled=tuple(rows.drop(columns="statement").to_dict("records")),
        cash_flows=() if flows is None else tuple(flows.drop(columns=["statement", "line"])
                                                  .to_dict("records")),
        drift=Drift(through=str(latest["through"]), cash=float(latest["cash"]),
                    positions=json.loads(latest["positions"])))
