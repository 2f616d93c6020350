"""The Python API of a paper account: book new days, read the account, its report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loguru import logger

from huice.api import ConfigLike, Result, located, runnable_config
from huice.config.errors import ConfigError
from huice.config.origin import origin_of
from huice.config.schema import RunConfig
from huice.engine.results.account_view import PaperStatus

__all__ = ["PaperStatus", "PaperStep", "paper_accept", "paper_reconcile", "paper_report", "paper_run",
           "paper_status"]


@dataclass(frozen=True)
class PaperStep:
    """What a paper run did: the days it booked, and the gate's problems with the first day it
    refused (empty when every available day was booked; the CLI then exits 0, else 3)."""

    booked: int
    problems: list[str] = field(default_factory=list)
    stopped: bool = False  # a loop stopped by SIGINT/SIGTERM (a clean stop, not a refusal)


def _paper_config(config: ConfigLike) -> RunConfig:
    config = runnable_config(config)
    if config.paper is None:
        raise ConfigError("has no paper: block (see docs/paper-trading.md)",
                          source=origin_of(config).source, where="paper")
    return config


def paper_run(config: ConfigLike, *, once: bool = True, poll_seconds: float | None = None,
              max_iterations: int | None = None,
              on_booked: Callable[[str], None] | None = None, log_file: bool = False,
              verbose: bool = False, handle_signals: bool = False) -> PaperStep:
    """Book every new day of the config's paper account that the gate passes (``once``), or
    poll until ``max_iterations``; returns how many bars were booked and the gate's problems
    (docs/paper-trading.md, "The gate").

    ``on_booked`` hears one line per booked day (equity, cash, fills, pending orders);
    ``log_file`` also logs to ``paper.log_file`` (default ``<state>.log``; DEBUG with
    ``verbose``); ``handle_signals``: SIGINT/SIGTERM finish the bar in hand, then stop (the
    CLI's daemon; main thread only).
    """
    from huice.engine.paper.store import PaperStore
    from huice.engine.paper.trader import PaperTrader
    from huice.strategies.factory import plugin_for

    config = _paper_config(config)
    paper = config.paper_block()
    with located(config):
        store = PaperStore(paper.state, writer=True)
        sink = None
        try:
            trader = PaperTrader(config, plugin_for, store, on_booked=on_booked)
            if log_file:
                sink = logger.add(paper.log_file or paper.state.with_suffix(".log"),
                                  level="DEBUG" if verbose else "INFO", rotation="10 MB",
                                  retention=5,
                                  format="{time:YYYY-MM-DD HH:mm:ss} {level: <7} {message}")
            if handle_signals:
                trader.install_signal_handlers()
            poll = poll_seconds if poll_seconds is not None else paper.poll_seconds
            booked = trader.loop(once=once, poll_seconds=poll, max_iterations=max_iterations)
            stopped = trader.stop.is_set()
            if stopped and trader.problems:
                logger.info("stopped while the gate waited for: {}",
                            "; ".join(problem.line() for problem in trader.problems))
            return PaperStep(booked, [problem.line() for problem in trader.problems],
                             stopped=stopped)
        finally:
            if sink is not None:
                logger.remove(sink)
            store.close()


def paper_accept(config: ConfigLike, symbol: str, day: dt.date, kind: str,
                 note: str = "") -> str:
    """Accept on purpose what the gate refused: ``kind`` ``suspension`` books ``day`` without a
    bar of ``symbol`` (the exchange suspended it), ``bar`` books its bar as it is (a real
    repeat, or a move beyond the limit); recorded in the account's state. Returns what was
    recorded, as one line."""
    from huice.engine.paper.gate import ACCEPT_KINDS
    from huice.engine.paper.store import PaperStore
    from huice.engine.paper.trader import PaperTrader
    from huice.strategies.factory import plugin_for

    config = _paper_config(config)
    if kind not in ACCEPT_KINDS:
        raise ConfigError(f"--as {kind!r}: one of {', '.join(ACCEPT_KINDS)}", where="--as")
    with located(config):
        store = PaperStore(config.paper_block().state, writer=True)
        try:
            trader = PaperTrader(config, plugin_for, store)
            if symbol not in trader.base_symbols:
                raise ConfigError(f"{symbol} is not an instrument of this account (it has "
                                  f"{', '.join(trader.base_symbols)})", where="SYMBOL")
            watermark = store.watermark
            if watermark is not None and day <= watermark:
                raise ConfigError(f"{day} is already booked (the account is booked through "
                                  f"{watermark}): only a day still to book can be accepted",
                                  where="DATE")
            store.accept(symbol, day, kind, note)
        finally:
            store.close()
    return f"accepted {symbol} {day} as {kind}" + (f" ({note})" if note else "")


@dataclass(frozen=True)
class ReconcileReport:
    """What ``paper_reconcile`` found: one line per finding and the totals, how many
    differences (0: everything matched), the period it covered, and the broker's fills one
    row each (a DataFrame of ``huice.engine.paper.reconcile.FILL_ROW_COLUMNS``: price,
    quantity, slippage and each fee against the paper's)."""

    lines: list[str]
    differences: int
    first: str
    last: str
    fills: Any = None

    def write_fills(self, path: str | Path) -> None:
        """Write ``fills`` (one row per broker fill) to the CSV ``path``, atomically, making its
        folder if need be."""
        from huice.engine.results.writer import write_csv_atomically

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_csv_atomically(self.fills, path)


def _flow_lines(flows: Any, paper_dividends: float) -> tuple[list[str], float, float]:
    """The cash flows' lines, the broker's external transfers (not P&L) and the cash drift the
    other flows make (dividends against the paper's, interest the paper never books)."""
    lines = []
    transfers = float(flows.loc[flows["kind"] == "transfer", "amount"].sum())
    dividends = float(flows.loc[flows["kind"] == "dividend", "amount"].sum())
    interest = float(flows.loc[flows["kind"] == "interest", "amount"].sum())
    for row in flows.itertuples():
        lines.append(f"{row.date} cash flow: {row.kind} {row.amount:+,.2f}"
                     + (f" ({row.code})" if row.code.strip("0") else "")
                     + (" (a deposit or withdrawal: not P&L)" if row.kind == "transfer" else ""))
    if len(flows):
        lines.append(f"cash flows: transfers {transfers:+,.2f}, dividends {dividends:+,.2f} "
                     f"(the paper booked {paper_dividends:+,.2f}), interest {interest:+,.2f}")
    return lines, round(transfers, 2), round(dividends - paper_dividends + interest, 2)


def paper_reconcile(config: ConfigLike, statement: str | Path, *, follow: bool = False,
                    first: dt.date | None = None, last: dt.date | None = None
                    ) -> ReconcileReport:
    """Compare the broker's fills export with the paper fills of the period (the statement's
    span, or ``first`` .. ``last``) and record the slippage, missed, moved and extra fills, fee
    differences, the cash flows that are not trades (transfers, dividends, interest) and the
    drift of positions and cash in the account's state, in one transaction
    (docs/paper-trading.md, "Reconciliation"). With ``follow`` the account's positions and
    cash become the broker's from the next step on; a booking that would make cash or a
    position negative is refused. The CLI exits 4 when ``differences`` is not 0."""
    import pandas as pd

    from huice.engine.paper.reconcile import drift_of, reconcile
    from huice.engine.paper.statement import read_statement
    from huice.engine.paper.store import PaperStore

    config = _paper_config(config)
    paper = config.paper_block()
    path = Path(statement)
    with located(config):
        read = read_statement(path, paper.statement.columns)
        fills = read.fills
        if fills.empty and read.cash_flows.empty:
            raise ConfigError("holds no buy, sell or cash flow", source=path)
        dates = pd.concat([fills["date"], read.cash_flows["date"]])
        period_first = first.isoformat() if first else str(dates.min())
        period_last = last.isoformat() if last else str(dates.max())
        store = PaperStore(paper.state, writer=True)
        try:
            watermark = store.watermark
            if watermark is None or period_last > watermark.isoformat():
                raise ConfigError(f"has entries through {period_last}, but the paper account "
                                  f"is booked only through {watermark}: run the paper step for "
                                  "those days first", source=path)
            found = reconcile(store.table("fills"), fills, _ticks(config), period_first,
                              period_last)
            actions = store.table("actions")
            paper_dividends = float(actions.loc[
                (actions["kind"] == "dividend") & (actions["date"] >= period_first)
                & (actions["date"] <= period_last), "cash"].sum()) if len(actions) else 0.0
            flows = read.cash_flows[(read.cash_flows["date"] >= period_first)
                                    & (read.cash_flows["date"] <= period_last)]
            flow_lines, transfers, flow_drift = _flow_lines(flows, paper_dividends)
            kept = store.optional_table("reconciled")
            every = found.rows if kept is None or kept.empty else pd.concat(
                [kept[(kept["date"] < found.first) | (kept["date"] > found.last)]
                 .drop(columns="statement"), found.rows], ignore_index=True)
            positions, cash = drift_of(every)
            cash = round(cash + flow_drift + store.flow_drift_before(period_first), 2)
            followed: dict[str, Any] | None = None
            follow_lines: list[str] = []
            if follow:
                from huice.engine.paper.follow import follow_state
                from huice.feeds.codes import bare_code

                broker_state, _ = store.states()
                symbols = {bare_code(s): s for s in _traded(config)}
                followed, follow_lines = follow_state(broker_state, found.rows, watermark,
                                                      symbols, transfers + flow_drift)
            store.record_reconciliation(found.rows.itertuples(index=False, name=None),
                                        found.first, found.last, path.name, cash, positions,
                                        followed, flows=flows.itertuples(index=False, name=None),
                                        flow_drift=flow_drift)
        finally:
            store.close()
    lines = (read.notes + [f"  {line}" for line in read.unrecognised]
             + [f"flagged: {line}" for line in read.inconsistent] + found.summary() + flow_lines
             + [f"drift since the first reconciled day: cash {cash:+,.2f}"
                + "".join(f", {c} {u:+,d}" for c, u in sorted(positions.items()))])
    if follow:
        lines += ["following the broker from the next step:"] + [f"  {line}"
                                                                 for line in follow_lines]
    differences = (found.differences + len(read.unrecognised) + len(read.inconsistent)
                   + int(abs(flow_drift) > 0.005 and not found.differences))
    return ReconcileReport(lines, differences, found.first, found.last, found.fills)


def _traded(config: RunConfig) -> list[str]:
    """The account's traded instruments (its strategy's symbols less indices)."""
    from huice.feeds.loading import instrument_metadata
    from huice.strategies.factory import plugin_for

    parts = {part for symbol in plugin_for(config).symbols() for part in symbol.split("/")}
    return sorted(p for p in parts if instrument_metadata(config.data, p).asset_class
                  not in ("index", "synthetic"))


def _ticks(config: RunConfig) -> dict[str, float]:
    """code -> tick of the account's traded instruments."""
    from huice.engine.broker.rules import resolve_rules
    from huice.feeds.codes import bare_code
    from huice.feeds.loading import instrument_metadata

    ticks = {}
    for symbol in _traded(config):
        found = instrument_metadata(config.data, symbol)
        rule = resolve_rules(symbol, found.asset_class, found.board, config.broker)
        ticks[bare_code(symbol)] = rule.tick or 0.001
    return ticks


def paper_status(config: ConfigLike) -> PaperStatus:
    """The paper account now (read-only), a :class:`PaperStatus`: cash, equity, positions with
    cost basis and unrealised P&L, realised and today's P&L, the next step's date, open
    orders, last fills (``.to_dict()`` for plain dicts)."""
    from huice.engine.paper.account import status
    from huice.engine.paper.store import PaperStore
    from huice.feeds.calendar import read_exchange_calendar

    config = _paper_config(config)
    with located(config):
        store = PaperStore(config.paper_block().state, writer=False)
        try:
            return status(store, config.broker.initial_cash, read_exchange_calendar())
        finally:
            store.close()


def paper_report(config: ConfigLike, *, out: str | Path | None = None) -> Result:
    """The paper ledger as a :class:`Result` (the same report as a backtest), read-only;
    written with its report.html to ``out`` when given."""
    from huice.engine.paper.account import paper_result
    from huice.engine.paper.store import PaperStore
    from huice.engine.paper.trader import PaperTrader
    from huice.strategies.factory import plugin_for

    config = _paper_config(config)
    with located(config):
        store = PaperStore(config.paper_block().state, writer=False)
        try:
            result = paper_result(PaperTrader(config, plugin_for, store))
        finally:
            store.close()
    if out is not None:
        result.save(out)
    return result
