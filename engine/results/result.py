"""The result of a run: its tables, typed metrics and report notes, ready for a notebook."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from huice.config.language import in_language
from huice.config.schema import RunConfig
from huice.engine.broker.orders import Fill
from huice.engine.results.account_view import AccountGlance, LiveVsPaper
from huice.engine.results.diagnostic import DiagnosticChart
from huice.engine.results.metrics import Metrics

if TYPE_CHECKING:
    from huice.engine.results.tearsheet import TearSheet


@dataclass(frozen=True)
class RunSummary:
    """What a sweep keeps of a run: its id, resolved config, metrics and equity curve (the
    head of a :class:`RunResult`, without the ledger tables)."""

    run_id: str
    resolved_config: dict[str, Any]  # the config as written to config.yaml (strategy resolved)
    config: RunConfig                # the same, typed: what the run read
    metrics: Metrics
    equity: pd.DataFrame  # index date; cash, holdings, equity, benchmark


@dataclass
class RunResult:
    """Everything a finished run produced."""

    run_id: str
    resolved_config: dict[str, Any]  # the config as written to config.yaml (strategy resolved)
    config: RunConfig                # the typed config the run read (the report reads it)
    strategy_name: str
    equity: pd.DataFrame          # index date; cash, holdings, equity, benchmark
    positions: pd.DataFrame       # date, symbol, quantity, price, value
    orders: pd.DataFrame
    fills: pd.DataFrame
    trades: pd.DataFrame
    signals: pd.DataFrame         # index date; whatever the strategy recorded
    metrics: Metrics
    notes: list[str] = field(default_factory=list)
    diagnostic_chart: DiagnosticChart | tuple[DiagnosticChart, ...] | None = None
    prices: dict[str, pd.Series] = field(default_factory=dict)  # close of traded + benchmark
    fill_objects: list[Fill] = field(default_factory=list)
    actions: pd.DataFrame | None = None  # dividends and splits booked
    analyzers: dict[str, Any] = field(default_factory=dict)  # extra backtrader analyzers' output
    paper: bool = False  # a paper account's ledger: its report leads with today's positions
    paper_glance: AccountGlance | None = None  # cost basis and P&L (engine.paper.glance)
    live_vs_paper: LiveVsPaper | None = None   # a reconciled paper account: broker vs paper
    # each instrument's display names (English, Chinese) from its catalog, for the report
    names: dict[str, tuple[str, str]] = field(default_factory=dict)

    def display_name(self, symbol: str, language: str = "en") -> str:
        """``symbol`` with its name in ``language`` beside it ("801080.SI 申万电子"), as the
        report shows an instrument; the bare symbol when its catalog gives no name."""
        english, chinese = self.names.get(symbol, ("", ""))
        name = in_language(language, en=english, zh=chinese)
        return f"{symbol} {name}" if name and name != symbol else symbol

    def tear_sheet(self) -> TearSheet:
        """The report's figures and tables (:class:`huice.engine.results.tearsheet.TearSheet`):
        Sortino, Calmar, alpha, beta, information ratio, yearly and monthly returns, drawdown
        periods, ..."""
        from huice.engine.results.tearsheet import build_tear_sheet

        return build_tear_sheet(self.metrics.to_dict(), self.equity, self.trades,
                                self.config.report.periods_per_year)

    def save(self, out_dir: str | Path, *, report: bool = True) -> Path:
        """Write every output file (and ``report.html``) into ``out_dir`` atomically; the folder
        must not exist, be empty, or hold an earlier huice output."""
        from huice.engine.results.report import write_report
        from huice.engine.results.writer import write_run

        return write_run(self, Path(out_dir), report_writer=write_report if report else None)

    def summary(self) -> str:
        """The headline figures as aligned text lines (what ``run.py backtest`` prints)."""
        from huice.engine.results.formatting import number, percent

        metrics = self.metrics.to_dict()
        fractions = ["total_return", "annual_return", "buy_and_hold_return", "benchmark_return",
                     "excess_vs_buy_and_hold", "excess_vs_benchmark", "max_drawdown",
                     "volatility", "exposure"]
        rows = [("strategy", metrics["strategy"]),
                ("span", f"{metrics['start']} .. {metrics['end']} ({metrics['bars']} bars)")]
        rows += [(key, percent(metrics[key])) for key in fractions]
        rows += [("sharpe", number(metrics["sharpe"], ".3f")),
                 ("longest_drawdown_days", str(metrics["longest_drawdown_days"])),
                 ("trades", str(metrics["trades"])),
                 ("turnover", number(metrics["turnover"], ".2f", "x")),
                 ("fees (CNY)", ", ".join(f"{k} {v:,.2f}" for k, v in sorted(
                     metrics["fees"].items(), key=lambda item: item[0] == "total"))),
                 ("final equity (CNY)", f"{metrics['final_equity']:,.2f}"),
                 ("run_id", metrics["run_id"])]
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"  {name:<{width}}  {value}" for name, value in rows)

    def report_html(self, charts: bool = True) -> str:
        """The self-contained HTML report as a string."""
        from huice.engine.results.report import render_report

        return render_report(self, charts=charts)

    def _repr_html_(self) -> str:
        """A notebook's view: the headline figures and the span."""
        from huice.engine.results.formatting import number, percent

        m = self.metrics
        rows = [("strategy", m.strategy), ("span", f"{m.start} .. {m.end} ({m.bars} bars)"),
                ("total return", percent(m.total_return)),
                ("annual return", percent(m.annual_return)),
                ("benchmark return", percent(m.benchmark_return)),
                ("max drawdown", percent(m.max_drawdown)), ("sharpe", number(m.sharpe, ".3f")),
                ("trades", str(m.trades)), ("fees (CNY)", number(m.fees.total)),
                ("final equity (CNY)", number(m.final_equity))]
        body = "".join(f"<tr><th style='text-align:left'>{k}</th><td>{v}</td></tr>"
                       for k, v in rows)
        return (f"<div><b>huice result</b> {self.config.name}"
                f"<table>{body}</table></div>")

    def __repr__(self) -> str:
        m = self.metrics
        return (f"<Result {self.config.name}: {m.strategy}, {m.start} .. "
                f"{m.end}, total_return {m.total_return:.4f}, run {self.run_id}>")
