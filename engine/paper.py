"""The paper-trading loop: the backtest engine run forward on arriving bars, state in SQLite.

Every poll reads the bar source, and if days past the watermark are complete it runs the very
same assembly as a backtest (``engine.cerebro.prepare_run``) over all bars up to the last
complete day. Days up to the watermark are replayed silently; at the first new day the broker's
and the strategy's saved state are restored; each new day is then booked in its own transaction
by :class:`PaperCommitter`. A run over N days therefore gives exactly the fills, cash and
equity of a backtest over the same N days.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import signal
import threading
from dataclasses import dataclass, field
from typing import Any

import backtrader as bt
import pandas as pd
from loguru import logger

from config.errors import HuiceError
from config.schema import RunConfig
from engine.cerebro import PreparedRun, execute_run, prepare_run
from engine.paper_store import PaperStore
from engine.plugin import PluginFactory
from engine.results import (
    FILL_COLUMNS,
    ORDER_COLUMNS,
    RunResult,
    actions_frame,
    fills_frame,
    orders_frame,
    trades_frame,
)
from feeds.catalog import Instrument
from feeds.live_sources import CsvFolderSource, ReplaySource, SourceRead, SqliteTableSource
from feeds.loading import base_symbols, instrument_metadata, load_market



def account_config_hash(config: RunConfig) -> str:
    """What identifies an account: the config without its paper block."""
    tree = config.model_dump(mode="json", by_alias=True, exclude={"paper", "sweep"})
    tree["data"].pop("end", None)  # the data grows; everything else must stay the same
    return hashlib.sha256(json.dumps(tree, sort_keys=True).encode()).hexdigest()[:16]


class PaperCommitter(bt.Analyzer):
    """After each new bar (after the ledger analyzer), book it in the state database."""

    params = (("sink", None),)

    def prenext(self) -> None:
        self.p.sink.after_bar(self.strategy)

    def nextstart(self) -> None:
        self.p.sink.after_bar(self.strategy)

    def next(self) -> None:
        self.p.sink.after_bar(self.strategy)


@dataclass
class BarBooking:
    """Turns the run's state after a bar into one store transaction."""

    store: PaperStore
    run: PreparedRun
    stop: threading.Event
    processed: list[dt.date] = field(default_factory=list)
    _fills_seen: int = 0
    _trades_seen: int = 0
    _positions_seen: int = 0
    _actions_seen: int = 0

    def after_bar(self, strategy: bt.Strategy) -> None:
        run = self.run
        if run.session.replaying:
            return
        broker, clock = run.broker, run.clock
        day = clock.day
        ledger = strategy.analyzers.ledger
        _, cash, holdings, equity, benchmark = ledger.rows[-1]
        positions = ledger.position_rows[self._positions_seen:]
        self._positions_seen = len(ledger.position_rows)
        fills = fills_frame(broker.fills[self._fills_seen:])
        self._fills_seen = len(broker.fills)
        actions = actions_frame(broker.actions[self._actions_seen:])
        self._actions_seen = len(broker.actions)
        closed = broker.account.closed_trades[self._trades_seen:]
        self._trades_seen = len(broker.account.closed_trades)
        orders = orders_frame(broker.orders)
        self.store.commit_bar(
            day, broker_state=broker.export_state(), strategy_state=run.plugin.get_state(),
            orders=orders[ORDER_COLUMNS].itertuples(index=False, name=None),
            fills=fills[FILL_COLUMNS].itertuples(index=False, name=None),
            trades=trades_frame(closed, []).itertuples(index=False, name=None),
            equity=(day.isoformat(), cash, holdings, equity, benchmark),
            positions=[(d.isoformat(), s, q, p, v) for d, s, q, p, v in positions],
            signals=run.context.records.get(clock.index),
            actions=actions.itertuples(index=False, name=None))
        self.processed.append(day)
        print(f"{day}  equity {equity:,.2f}  cash {cash:,.2f}  fills {len(fills)}  "
              f"pending {len(broker.pending)}", flush=True)
        logger.info("booked {}: equity {:.2f}, cash {:.2f}, {} fills, {} orders pending", day,
                    equity, cash, len(fills), len(broker.pending))
        if self.stop.is_set():
            strategy.env.runstop()  # stop after the bar in hand


class PaperTrader:
    """One paper account: a config, its strategy, its source and its state database."""

    def __init__(self, config: RunConfig, factory: PluginFactory, store: PaperStore) -> None:
        self.config = config
        self.factory = factory
        self.store = store
        self.stop = threading.Event()
        plugin = factory(config)
        benchmark = [config.data.benchmark] if config.data.benchmark else []
        self.symbols = plugin.symbols() + benchmark
        self.base_symbols = base_symbols(self.symbols)
        self.instruments: dict[str, Instrument] = {
            s: instrument_metadata(config.data, s) for s in self.base_symbols}
        self.source = self._make_source()
        store.bind_config(account_config_hash(config))

    def _make_source(self):
        spec = self.config.paper.source
        if spec.kind == "csv_folder":
            return CsvFolderSource(spec.path)
        if spec.kind == "sqlite":
            return SqliteTableSource(spec.path, spec.table)
        history = load_market(self.config.data, self.base_symbols)
        return ReplaySource({s: history.bars(s) for s in self.base_symbols},
                            pd.Timestamp(spec.start), spec.days_per_poll)

    def poll(self) -> SourceRead:
        watermark = self.store.watermark
        if isinstance(self.source, ReplaySource):
            read = self.source.read(self.base_symbols,
                                    pd.Timestamp(watermark) if watermark else None)
        else:
            read = self.source.read(self.base_symbols)
        for problem in read.problems:
            logger.warning(problem)
        return read

    def process_available(self) -> list[dt.date]:
        """Book every day that is complete in the source and past the watermark."""
        read = self.poll()
        last = read.last_complete_day(self.base_symbols)
        watermark = self.store.watermark
        if last is None or (watermark is not None and last.date() <= watermark):
            logger.debug("no new complete day (watermark {}, source up to {})", watermark, last)
            return []
        if self.config.data.end and last.date() > self.config.data.end:
            last = pd.Timestamp(self.config.data.end)
        tree = self.config.model_dump(mode="json", by_alias=True)
        tree["data"]["end"] = last.date().isoformat()
        config = RunConfig.model_validate(tree)
        frames = {s: read.frames[s] for s in self.base_symbols}
        market = load_market(config.data, self.symbols, frames=frames,
                             instruments=self.instruments)
        plugin = self.factory(config)
        run = prepare_run(config, plugin, market)
        if watermark is not None:
            broker_state, strategy_state = self.store.states()
            run.session.resume(watermark, broker_state, strategy_state)
        booking = BarBooking(self.store, run, self.stop)
        run.cerebro.addanalyzer(PaperCommitter, sink=booking)
        execute_run(run)
        return booking.processed

    def loop(self, *, once: bool, poll_seconds: float, max_iterations: int | None) -> int:
        """Process new bars until stopped; returns how many bars were booked."""
        booked = 0
        iteration = 0
        while not self.stop.is_set():
            booked += len(self.process_available())
            iteration += 1
            if once or (max_iterations is not None and iteration >= max_iterations):
                break
            self.stop.wait(poll_seconds)
        return booked

    def install_signal_handlers(self) -> None:
        """SIGINT/SIGTERM: finish the bar in hand, then stop."""
        def request_stop(signum, frame):
            logger.warning("signal {}: stopping after the bar in hand", signum)
            self.stop.set()
        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)


def status(store: PaperStore) -> dict[str, Any]:
    """The account as of the watermark: cash, equity, positions, open orders, last fills."""
    watermark = store.watermark
    if watermark is None:
        return {"last_bar": None, "message": "no bar processed yet"}
    equity = store.table("equity").set_index("date")
    last = equity.loc[watermark.isoformat()]
    positions = store.table("positions")
    positions = positions[positions["date"] == watermark.isoformat()]
    orders = store.table("orders")
    fills = store.table("fills")
    broker_state, _ = store.states()
    return {
        "last_bar": watermark.isoformat(),
        "bars_processed": len(equity),
        "cash": float(last["cash"]),
        "holdings": float(last["holdings"]),
        "equity": float(last["equity"]),
        "positions": [{"symbol": r.symbol, "quantity": r.quantity, "price": r.price,
                       "value": r.value} for r in positions.itertuples()],
        "bought_today_t_plus_1": {s: p["bought_today"]
                                  for s, p in broker_state["positions"].items()
                                  if p["bought_today"]},
        "open_orders": orders[orders["status"].isin(["pending", "partial"])].to_dict("records"),
        "last_day_fills": fills[fills["date"] == watermark.isoformat()].to_dict("records"),
    }


def paper_result(trader: PaperTrader) -> RunResult:
    """The paper ledger as a :class:`RunResult`, for the same report as a backtest."""
    from engine.cerebro import compute_run_id, resolve_all_rules, resolved_config, run_notes
    from engine.metrics import compute_metrics, contribution_by_symbol, simple_return
    from engine.orders import Fill

    store, config = trader.store, trader.config
    watermark = store.watermark
    if watermark is None:
        raise HuiceError("no bar has been processed yet: nothing to report", source=store.path)
    read = trader.poll()
    tree = config.model_dump(mode="json", by_alias=True)
    tree["data"]["end"] = watermark.isoformat()
    config = RunConfig.model_validate(tree)
    market = load_market(config.data, trader.symbols,
                         frames={s: read.frames[s] for s in trader.base_symbols},
                         instruments=trader.instruments)
    plugin = trader.factory(config)
    rules = resolve_all_rules(config, market)

    equity = store.table("equity").rename(columns={"benchmark_close": "benchmark"})
    equity["date"] = pd.to_datetime(equity["date"])
    equity = equity.set_index("date").sort_index()
    base = equity["benchmark"].dropna()
    equity["benchmark"] = config.broker.initial_cash * equity["benchmark"] / (
        base.iloc[0] if len(base) else float("nan"))
    fills = store.table("fills")
    fill_objects = [Fill(r.order_id, dt.date.fromisoformat(r.date), r.symbol, r.side == "buy",
                         r.quantity, r.price, r.reference_price, r.value, r.commission,
                         r.stamp_duty, r.transfer_fee, r.cash_after) for r in fills.itertuples()]
    orders = store.table("orders").sort_values("order_id").reset_index(drop=True)
    closed = store.table("trades")
    broker_state, _ = store.states()
    open_rows = [(s, t["opened"], "", t["bought_quantity"], t["buy_value"], t["sell_value"],
                  t["fees"], float("nan"), float("nan"))
                 for s, t in broker_state["open_trades"].items()]
    trades = pd.concat([closed, pd.DataFrame(open_rows, columns=closed.columns)],
                       ignore_index=True) if open_rows else closed
    positions = store.table("positions")
    signal_rows = store.table("signals")
    signals = pd.DataFrame([json.loads(j) for j in signal_rows["json"]],
                           index=pd.DatetimeIndex(pd.to_datetime(signal_rows["date"]), name="date"))
    traded = plugin.traded_symbols()
    buy_and_hold = [simple_return(market.bars(s)["close"]) for s in traded]
    benchmark = config.data.benchmark
    metrics = compute_metrics(
        equity, initial_cash=config.broker.initial_cash, fills=fill_objects,
        trades=len(trades), buy_and_hold_return=sum(buy_and_hold) / len(buy_and_hold),
        benchmark_return=simple_return(market.bars(benchmark)["close"]) if benchmark else float("nan"),
        periods_per_year=config.report.periods_per_year, risk_free_rate=config.report.risk_free_rate)
    last_positions = positions[positions["date"] == watermark.isoformat()]
    actions = store.table("actions")
    dividends = actions.groupby("symbol")["cash"].sum().to_dict() if len(actions) else {}
    metrics["contribution"] = contribution_by_symbol(
        fill_objects, dict(zip(last_positions["symbol"], last_positions["value"])),
        config.broker.initial_cash, dividends)
    metrics["dividends"] = round(sum(dividends.values()), 2)
    resolved = resolved_config(config, plugin)
    metrics["run_id"] = compute_run_id(resolved, market)
    metrics["strategy"] = plugin.name
    metrics["execution"] = config.broker.execution
    notes = [f"Paper account {store.path.name}: {len(equity)} bars booked, "
             f"{equity.index[0].date()} .. {watermark}."] + run_notes(config, plugin, market, rules)
    prices = {s: market.bars(s)["close"] for s in dict.fromkeys(traded + ([benchmark] if benchmark else []))}
    return RunResult(run_id=metrics["run_id"], resolved_config=resolved, strategy_name=plugin.name,
                     equity=equity, positions=positions, orders=orders, fills=fills,
                     trades=trades, signals=signals, metrics=metrics, notes=notes,
                     diagnostic_chart=plugin.diagnostic_chart, prices=prices,
                     fill_objects=fill_objects, actions=actions)
