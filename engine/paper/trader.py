"""The paper-trading loop: the backtest engine run forward on arriving bars, state in SQLite.

Every poll reads the bar source, and if days past the watermark are complete it runs the very
same assembly as a backtest (``huice.engine.run.assembly.prepare_run``) over all bars up to the
last complete day. The run simulates the days up to the watermark like any backtest; on the
first new day the booked broker and strategy state replace the simulated ones, once
(:class:`~huice.engine.run.assembly.Resume`); each new day is then booked in its own
transaction by :class:`BarBooking`, which alone knows the watermark. A run over N days
therefore gives exactly the fills, cash and equity of a backtest over the same N days.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from loguru import logger

from huice.config.errors import HuiceError
from huice.config.identity import identity_tree
from huice.config.overrides import config_tree, with_overrides
from huice.config.schema import RunConfig
from huice.engine.broker.orders import Order
from huice.engine.broker.rules import InstrumentRules
from huice.engine.paper.basket import myquant_text, write_basket
from huice.engine.paper.gate import GateProblem, candidate_days, judge_days
from huice.engine.paper.glance import next_session
from huice.engine.paper.store import PaperStore
from huice.engine.paper.tickets import (
    build_tickets,
    check_tickets,
    fit_to_cash,
    traded_prices,
    write_ticket_files,
)
from huice.engine.results.ledger_frames import (
    Row,
    action_rows,
    fill_rows,
    order_rows,
    trade_rows,
)
from huice.engine.run.assembly import PreparedRun, Resume, execute_run, prepare_run
from huice.engine.run.data_gate import accepted_days, market_findings
from huice.engine.run.instrument_rules import instrument_rules
from huice.engine.run.kinds import is_backtrader_plugin
from huice.engine.run.plugin import PluginFactory
from huice.engine.run.recorder import LedgerRecorder
from huice.feeds import quality
from huice.feeds.calendar import read_exchange_calendar
from huice.feeds.catalog import Instrument
from huice.feeds.live_sources import (
    CatalogSource,
    CsvFolderSource,
    ReplaySource,
    SourceRead,
    SqliteTableSource,
)
from huice.feeds.loading import base_symbols, instrument_metadata, load_market

_EMPTY = pd.DataFrame(columns=["open", "high", "low", "close", "volume"],
                      index=pd.DatetimeIndex([], name="date"))


def account_config_hash(config: RunConfig) -> str:
    """What identifies an account: the config less what the schema leaves out of an account's
    identity (its paper and sweep blocks, data.end, the runner, the report's language)."""
    tree = identity_tree(RunConfig, config_tree(config), "account")
    return hashlib.sha256(json.dumps(tree, sort_keys=True).encode()).hexdigest()[:16]


class BarBooking:
    """Books each bar after ``after`` (the watermark) in one store transaction; bars up to it
    are already in the ledger and only move the read positions forward."""

    def __init__(self, store: PaperStore, run: PreparedRun, stop: threading.Event,
                 after: dt.date | None, on_booked: Callable[[str], None] | None = None) -> None:
        self.store = store
        self.run = run
        self.stop = stop
        self.after = after
        self.on_booked = on_booked
        self.processed: list[dt.date] = []
        self._fills_seen = self._trades_seen = self._positions_seen = self._actions_seen = 0
        self._written: dict[int, Row] = {}  # each order's row as last written to the store
        self._rebased = False

    def _skip_booked(self, ledger: LedgerRecorder) -> None:
        """A day already booked (simulated again): move every read position past it."""
        broker = self.run.broker
        self._positions_seen = len(ledger.position_rows)
        self._fills_seen = len(broker.fills)
        self._actions_seen = len(broker.actions)
        self._trades_seen = len(broker.account.closed_trades)
        if self.run.clock.day == self.after:  # as the store has them
            self._written = {row[0]: row for row in order_rows(broker.orders)}

    def _changed_orders(self, orders: list[Order]) -> list[Row]:
        """The rows of orders that are new or changed since the last booked bar: the store
        keeps every order's latest row, so rewriting the unchanged ones (all of them, each
        bar) would only cost time."""
        return [row for row in order_rows(orders) if self._written.get(row[0]) != row]

    def after_bar(self, ledger: LedgerRecorder, stop_run: Callable[[], None]) -> None:
        run = self.run
        broker, clock = run.broker, run.clock
        if self.after is not None and clock.day <= self.after:
            self._skip_booked(ledger)
            return
        if run.replaced_state and not self._rebased:  # the booked state's lists start empty
            self._rebased = True
            self._fills_seen = self._trades_seen = self._actions_seen = 0
            self._written = {}
        day = clock.day
        _, cash, holdings, equity, benchmark = ledger.rows[-1]
        positions = ledger.position_rows[self._positions_seen:]
        self._positions_seen = len(ledger.position_rows)
        fills = fill_rows(broker.fills[self._fills_seen:])
        self._fills_seen = len(broker.fills)
        actions = action_rows(broker.actions[self._actions_seen:])
        self._actions_seen = len(broker.actions)
        closed = broker.account.closed_trades[self._trades_seen:]
        self._trades_seen = len(broker.account.closed_trades)
        orders = self._changed_orders(broker.orders)
        self.store.commit_bar(
            day, broker_state=broker.export_state(), strategy_state=run.plugin.get_state(),
            orders=orders, fills=fills, trades=trade_rows(closed),
            equity=(day.isoformat(), cash, holdings, equity, benchmark),
            positions=[(d.isoformat(), s, q, p, v) for d, s, q, p, v in positions],
            signals=run.context.records.get(clock.index),
            actions=actions)
        self._written.update((row[0], row) for row in orders)
        self.processed.append(day)
        if self.on_booked is not None:
            self.on_booked(f"{day}  equity {equity:,.2f}  cash {cash:,.2f}  fills {len(fills)}  "
                           f"pending {len(broker.pending)}")
        logger.info("booked {}: equity {:.2f}, cash {:.2f}, {} fills, {} orders pending", day,
                    equity, cash, len(fills), len(broker.pending))
        if self.stop.is_set():
            stop_run()  # stop after the bar in hand


class PaperTrader:
    """One paper account: a config, its strategy, its source and its state database."""

    def __init__(self, config: RunConfig, factory: PluginFactory, store: PaperStore,
                 on_booked: Callable[[str], None] | None = None) -> None:
        """``on_booked`` hears one line per booked day (the CLI prints it); the engine itself
        prints nothing."""
        self.config = config
        self.on_booked = on_booked
        self.factory = factory
        self.store = store
        self.stop = threading.Event()
        plugin = factory(config)
        benchmark = [config.data.benchmark] if config.data.benchmark else []
        self.symbols = plugin.symbols() + benchmark
        self.base_symbols = base_symbols(self.symbols)
        self.instruments: dict[str, Instrument] = {
            s: instrument_metadata(config.data, s) for s in self.base_symbols}
        self.calendar = read_exchange_calendar()
        self.source = self._make_source()
        self.rules: dict[str, InstrumentRules] = {
            s: instrument_rules(s, i, config, self.calendar) for s, i in self.instruments.items()}
        # the gate checks price limits on traded instruments only
        self.gate_rules: dict[str, InstrumentRules | None] = {
            s: (None if i.asset_class in ("index", "synthetic") else self.rules[s])
            for s, i in self.instruments.items()}
        self.problems: list[GateProblem] = []
        store.bind_config(account_config_hash(config))

    def _make_source(self) -> CsvFolderSource | CatalogSource | SqliteTableSource | ReplaySource:
        spec = self.config.paper_block().source
        path = spec.path
        if spec.kind in ("csv_folder", "catalog", "sqlite"):
            if path is None:
                raise ValueError(f"paper.source kind {spec.kind} needs a path")  # schema checks it
            if spec.kind == "csv_folder":
                return CsvFolderSource(path)
            if spec.kind == "catalog":
                return CatalogSource(path)
            return SqliteTableSource(path, spec.table)
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
        """Book every day past the watermark that the source has and the gate passes
        (:mod:`huice.engine.paper.gate`); the first day it refuses, and the days after, wait.
        ``self.problems`` holds the refused day's problems (empty when all was booked)."""
        read = self.poll()
        watermark = self.store.watermark
        frames = {s: read.frames.get(s, _EMPTY) for s in self.base_symbols}
        days = candidate_days(frames, watermark, self.config.data.end)
        if not days:
            self.problems = []
            logger.debug("no new day (watermark {})", watermark)
            return []
        # a new account's history is what a backtest over the same bars sees: the gate judges
        # the days an account books from then on, and in the first step the days from the last
        # one every instrument has reported (the days before it are history)
        history: list[dt.date] = []
        if watermark is None:
            complete = read.last_complete_day(self.base_symbols)
            history = [d for d in days if complete is not None and d < complete.date()]
            refused = self.judge_history(frames, history)
            if refused:
                self.problems = refused
                for problem in refused:
                    logger.info(problem.line())
                return []
        verdict = judge_days(days[len(history):], frames, self.gate_rules, self.calendar,
                             self.accepted())
        self.problems = verdict.problems
        for problem in verdict.problems:  # the caller shows them (the CLI: one line each)
            logger.info(problem.line())
        bookable = history + verdict.bookable
        if not bookable:
            return []
        last = bookable[-1]
        if next_session(self.calendar, last) is None:
            raise HuiceError(f"the exchange calendar ends on {self.calendar[-1].date()}: there "
                             f"is no known session after {last} for orders and tickets; update "
                             "the calendar (data/calendar.csv.gz, `make data`) before booking",
                             where="paper")
        config = with_overrides(self.config, {"data.end": last})
        market = load_market(config.data, self.symbols, frames=frames,
                             instruments=self.instruments)
        plugin = self.factory(config)
        resume = None
        if watermark is not None:
            broker_state, strategy_state = self.store.states()
            resume = Resume(watermark, broker_state, strategy_state)
        # a huice strategy's state is in the booked state: the step runs only the new days
        # (engine's own loop, the same outputs as Cerebro's); a backtrader strategy keeps its
        # state in Python objects, so its booked days are simulated again to warm it up
        incremental = resume is not None and not is_backtrader_plugin(plugin)
        run = prepare_run(config, plugin, market, resume=resume,
                          runner="fast" if incremental else None)
        if incremental and watermark is not None:
            run.start_index = bisect.bisect_right(run.clock.dates, watermark)
        booking = BarBooking(self.store, run, self.stop, watermark, self.on_booked)
        run.on_each_bar(booking.after_bar)
        execute_run(run)
        if booking.processed:
            self.write_tickets(frames)
        return booking.processed

    def accepted(self) -> set[tuple[str, dt.date, str]]:
        """What was accepted on purpose: ``paper-accept``'s, and the config's ``data.accept``
        (as a backtest over the same bars accepts them)."""
        return self.store.accepted() | {(item.symbol, item.date, item.as_)
                                        for item in self.config.data.accept}

    def judge_history(self, frames: dict[str, pd.DataFrame], history: list[dt.date]
                      ) -> list[GateProblem]:
        """A new account's history passes the data gate of a backtest over the same bars
        (:mod:`huice.engine.run.data_gate`, with the account's ``data.quality`` and its
        acceptances) before anything is booked; what it refuses is returned as the evening
        gate's problems (exit 3, nothing booked). Missing bars under ``warn`` are suspensions,
        listed as in a backtest."""
        if not history:
            return []
        config = with_overrides(self.config, {"data.end": history[-1]})
        market = load_market(config.data, self.symbols, frames=frames,
                             instruments=self.instruments)
        accepted = accepted_days(config, self.store.accepted())
        findings = market_findings(config, market, accepted)
        refused = [f for f in findings if f.kind in quality.REFUSED_IN_EVERY_POLICY
                   or config.data.quality == "strict"]
        if findings and not refused:
            logger.warning("data: the history {} (booked as a backtest would: a missing bar is a "
                           "suspension)", quality.describe(findings))
        return [GateProblem(f.day, f.symbol, f.kind, f"{f.detail} (in the account's history; "
                            + ("fix the source)" if f.kind == "not_trading_day" else
                               f"if it is right, `paper-accept CONFIG {f.symbol} {f.day} --as "
                               f"{'suspension' if f.kind == 'missing' else 'bar'}`)"))
                for f in refused]

    def write_tickets(self, frames: dict[str, pd.DataFrame]) -> list[Path]:
        """The next session's order tickets, from the booked broker state, checked against the
        exchange rules (:mod:`huice.engine.paper.tickets`); returns the files written."""
        watermark = self.store.watermark
        if watermark is None:
            return []
        session = next_session(self.calendar, watermark)
        if session is None:
            logger.warning("no trading day after {} in the calendar: no tickets", watermark)
            return []
        broker_state, _ = self.store.states()
        rules = self.rules
        closes = {s: float(frames[s]["close"].loc[:pd.Timestamp(watermark)].iloc[-1])
                  for s in rules if len(frames[s].loc[:pd.Timestamp(watermark)])}
        pending = traded_prices(broker_state["pending"], closes, self.adjusted_scales(watermark))
        paper = self.config.paper_block()
        tickets = build_tickets(pending, session, rules, closes,
                                (paper.buy_limit.kind, paper.buy_limit.value))
        tickets = fit_to_cash(tickets, rules, float(broker_state["cash"]))
        holdings = {s: p["quantity"] for s, p in broker_state["positions"].items()}
        for problem in check_tickets(tickets, rules, holdings, float(broker_state["cash"])):
            logger.warning("ticket check: {}", problem)
        # the basket is made before anything is written: a ticket it cannot express stops all
        basket = myquant_text(tickets, paper.basket.account_id) if paper.basket else None
        paths = write_ticket_files(paper.tickets_folder(), tickets, session)
        if basket is not None:
            paths.append(write_basket(paper.basket_folder(), basket, session))
        logger.info("{} ticket(s) for {}: {}", len(tickets), session, paths[0])
        return paths

    def adjusted_scales(self, watermark: dt.date) -> dict[str, float]:
        """For each traded adjusted series (``.qfq``), what turns its prices into traded ones
        on ``watermark`` (``paper.adjusted_prices``; refused with a clear error unless said)."""
        adjusted = [s for s in self.rules if s.endswith(".qfq")]
        policy = self.config.paper_block().adjusted_prices
        if not adjusted or policy == "latest":
            return dict.fromkeys(adjusted, 1.0)
        if policy == "refuse":
            raise HuiceError(
                f"the account trades the adjusted series {', '.join(adjusted)}: its prices are "
                "not the exchange's, so tickets priced from them could be several percent off. "
                "Set paper.adjusted_prices to latest (the series is fetched fresh every "
                "evening, as `data update` does, so its newest close is the traded close) or "
                "twin (scaled by the unadjusted twin's close on the newest day), or trade the "
                "unadjusted series", where="paper.adjusted_prices")
        scales = {}
        for symbol in adjusted:
            twin = symbol.removesuffix(".qfq")
            try:
                market = load_market(self.config.data, [twin])
            except HuiceError as exc:
                raise HuiceError(f"paper.adjusted_prices is twin, but {twin} (the unadjusted "
                                 f"twin of {symbol}) cannot be read: {exc}",
                                 where="paper.adjusted_prices") from exc
            bars, adjusted_bars = market.bars(twin), self.source_close(symbol, watermark)
            stamp = pd.Timestamp(watermark)
            if stamp not in bars.index or adjusted_bars is None:
                raise HuiceError(f"paper.adjusted_prices is twin, but {twin} has no bar on "
                                 f"{watermark} to price {symbol}'s tickets from (its bars end "
                                 f"on {bars.index[-1].date()})", where="paper.adjusted_prices")
            scales[symbol] = float(bars.loc[stamp, "close"]) / adjusted_bars
        return scales

    def source_close(self, symbol: str, day: dt.date) -> float | None:
        frame = self.poll().frames.get(symbol)
        if frame is None or pd.Timestamp(day) not in frame.index:
            return None
        return float(frame.loc[pd.Timestamp(day), "close"])

    def loop(self, *, once: bool, poll_seconds: float, max_iterations: int | None) -> int:
        """Process new bars until stopped; returns how many bars were booked (the last poll's
        gate problems stay in ``self.problems``)."""
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
        def request_stop(signum: int, frame: object) -> None:
            logger.warning("signal {}: stopping after the bar in hand", signum)
            self.stop.set()
        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
