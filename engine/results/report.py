"""A self-contained HTML report: the tear sheet of a run, with interactive charts drawn by the
plotly.js bundled inline (no network request; opens offline).

Sections, each an element with an id: ``metrics``, ``equity``, ``yearly-returns``,
``monthly-returns``, ``drawdown-periods``, ``rolling``, ``diagnostics``, ``holdings``, ``trades``,
``orders``. A paper account's report starts with ``positions`` and ``recent-orders``."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from huice.engine.results.account_view import as_plain
from huice.engine.results.caution import Caution
from huice.engine.results.diagnostic import DiagnosticChart
from huice.engine.results.html_tables import (
    drawdowns_html,
    frame_html,
    metrics_tables,
    monthly_heatmap_html,
    orders_html,
    yearly_table_html,
)
from huice.engine.results.labels import SECTION_TITLES, WORDS, text
from huice.engine.results.ledger_frames import order_state
from huice.engine.results.page import html_page, section
from huice.engine.results.plotly_traces import gain_loss_colours
from huice.engine.results.report_charts import (
    costs_chart,
    diagnostic_chart,
    equity_chart,
    holdings_chart,
    returns_histogram,
    rolling_charts,
    underwater_chart,
)
from huice.engine.results.result import RunResult

PAPER_ORDER_DAYS = 5


def _section(section_id: str, language: str, body: str, title: str | None = None) -> str:
    return section(section_id, title or text(SECTION_TITLES, section_id, language), body)


def _diagnostic_specs(result: RunResult) -> tuple[DiagnosticChart, ...]:
    chart = result.diagnostic_chart
    if chart is None:
        return ()
    return chart if isinstance(chart, tuple) else (chart,)


def _weights_already_stacked(result: RunResult) -> bool:
    """Whether one of the strategy's own charts stacks a recorded weight for every instrument
    the run held: the holdings chart would draw the same areas again (industry rotation,
    ETF-flow rotation and the barbell record ``ctx.weights()`` each bar)."""
    held = set(result.positions["symbol"]) if len(result.positions) else set()
    for spec in _diagnostic_specs(result):
        prefix = spec.stacked_prefix
        if prefix and held and held <= {c[len(prefix):] for c in result.signals.columns
                                         if c.startswith(prefix)}:
            return True
    return False


def _diagnostics(result: RunResult, language: str) -> str:
    specs = _diagnostic_specs(result)
    return "".join(diagnostic_chart(result.signals, spec, f"chart-diagnostic-{n}", language)
                   for n, spec in enumerate(specs, start=1))


def _paper_sections(result: RunResult, language: str) -> str:
    """Today's positions and the last days' orders, for a paper account's report."""
    def words(key: str, **values: Any) -> str:
        return html.escape(text(WORDS, key, language).format(**values))

    positions = result.positions
    if len(positions):
        last = positions["date"].max()
        today = positions[positions["date"] == last]
        held = frame_html(today.reset_index(drop=True), language)
        held = f"<p>{words('as_of', date=pd.Timestamp(last).date())}</p>{held}"
    else:
        held = f"<p>{words('nothing_held')}</p>"
    glance = result.paper_glance
    if glance is not None:
        totals = pd.DataFrame([glance.totals()])
        held = frame_html(totals, language) + (
            frame_html(pd.DataFrame([as_plain(p) for p in glance.positions]), language)
            if glance.positions else f"<p>{words('nothing_held')}</p>")
    orders = result.orders.copy()
    recent = orders
    if len(orders):
        orders["status"] = [order_state(r.status, r.filled, r.quantity)
                            for r in orders.itertuples()]
        days = sorted(orders["created"].unique())[-PAPER_ORDER_DAYS:]
        recent = orders[orders["created"].isin(days)].iloc[::-1]
    sections = (_section("positions", language, held)
                + _section("recent-orders", language,
                           frame_html(recent.reset_index(drop=True), language)))
    live = result.live_vs_paper
    if live is not None:
        drift = live.drift
        rows = pd.DataFrame(list(live.reconciled))
        moved = "".join(f", {c} {u:+,d}" for c, u in sorted(drift.positions.items()))
        totals = "<p>" + words(
            "reconciled_totals", through=drift.through,
            slippage=f"{rows['slippage_cost'].sum():,.2f}",
            fees=f"{rows['fee_difference'].sum():+,.2f}",
            unmatched=int((rows["status"] != "matched").sum()), cash=f"{drift.cash:+,.2f}",
            positions=moved) + "</p>"
        flows = pd.DataFrame(list(live.cash_flows))
        flow_table = frame_html(_money_shown(flows, ("amount",)), language) if len(flows) \
            else ""
        sections += _section("live-vs-paper", language,
                             totals + frame_html(_reconciled_shown(rows.iloc[::-1]), language)
                             + flow_table)
    return sections


def _money_shown(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    shown = frame.reset_index(drop=True).copy()
    for column in columns:
        if column in shown:
            shown[column] = [f"{v:+,.2f}" if pd.notna(v) else "" for v in shown[column]]
    return shown


def _reconciled_shown(rows: pd.DataFrame) -> pd.DataFrame:
    """The reconciled groups as a person reads them: whole units, prices as filled, money and
    each fee difference to the cent."""
    shown = rows.reset_index(drop=True).copy()
    for column in ("paper_quantity", "real_quantity"):
        shown[column] = [f"{round(v):,}" if pd.notna(v) else "" for v in shown[column]]
    for column in ("paper_price", "real_price", "slippage_per_unit", "slippage_ticks"):
        shown[column] = [f"{v:g}" if pd.notna(v) else "" for v in shown[column]]
    for column in ("slippage_cost", "paper_fees", "real_fees"):
        shown[column] = [f"{v:,.2f}" if pd.notna(v) else "" for v in shown[column]]
    return _money_shown(shown, ("fee_difference",))


def _trades_shown(trades: pd.DataFrame, name: Callable[[str], str] = str) -> pd.DataFrame:
    """The round trips as the page shows them: each instrument with its name, money to the
    cent, the return in % (the CSV keeps the fraction)."""
    shown = trades.copy()
    if "symbol" in shown:
        shown["symbol"] = [name(symbol) for symbol in shown["symbol"]]
    if "return" in shown:
        shown["return"] = [f"{value:.2%}" if pd.notna(value) else "" for value in shown["return"]]
    for column in ("buy_value", "sell_value", "fees", "dividends", "pnl"):
        if column in shown:
            shown[column] = [f"{value:,.2f}" if pd.notna(value) else "" for value in shown[column]]
    return shown


def render_report(result: RunResult, charts: bool = True) -> str:
    """The report as an HTML string (a paper account's starts with today's positions and
    orders)."""
    config = result.config
    language = config.report.language
    colours = gain_loss_colours(config.report.colors, language)
    periods = config.report.periods_per_year
    sheet = result.tear_sheet()

    def name(symbol: str) -> str:
        return result.display_name(symbol, language)

    initial = float(result.metrics.initial_cash)
    notes = "".join(
        f'<li class="{"warn" if isinstance(note, Caution) else ""}">{html.escape(note)}</li>'
        for note in result.notes)
    traded = {s: p for s, p in result.prices.items() if s != config.data.benchmark}
    empty = result.equity.empty
    sections = [_paper_sections(result, language)] if result.paper else []
    sections.append(_section("notes", language, f'<ul class="notes">{notes}</ul>'))
    groups = metrics_tables(sheet.figures, language)
    sections.append(_section("metrics", language, f'<div class="groups">{groups}</div>'))
    if charts and not empty:
        sections.append(_section("equity", language,
                                 equity_chart(result.equity, traded, initial, language, name)
                                 + underwater_chart(result.equity, initial, language,
                                                    colours[1])))
    yearly_total = (sheet.yearly.set_index("year")["strategy"] if len(sheet.yearly) else None)
    sections.append(_section("yearly-returns", language,
                             yearly_table_html(sheet.yearly, language, colours)))
    monthly = monthly_heatmap_html(sheet.monthly, yearly_total, language, colours)
    if sheet.monthly_excess is not None:
        monthly += (f"<h3>{html.escape(text(WORDS, 'monthly_excess', language))}</h3>"
                    + monthly_heatmap_html(sheet.monthly_excess, None, language, colours))
    sections.append(_section("monthly-returns", language, monthly))
    sections.append(_section("drawdown-periods", language,
                             drawdowns_html(sheet.drawdowns, language)))
    rolling = (rolling_charts(sheet.returns, periods, language, sheet.benchmark)
               if charts and not empty else f"<p>{html.escape(text(WORDS, 'charts_off', language))}</p>")
    sections.append(_section("rolling", language, rolling))
    if charts and not empty:
        histogram = returns_histogram(sheet.returns, language)
        if histogram:
            sections.append(_section("distribution", language, histogram))
        costs = costs_chart(result.fills, result.equity, language)
        if costs:
            sections.append(_section("costs", language, costs))
    if charts:
        diagnostics = _diagnostics(result, language)
        if diagnostics:
            sections.append(_section("diagnostics", language, diagnostics))
        holdings = ("" if _weights_already_stacked(result)
                    else holdings_chart(result.positions, result.equity, language, name))
        if holdings:
            sections.append(_section("holdings", language, holdings))
    sections.append(_section("trades", language,
                             frame_html(_trades_shown(result.trades, name), language)))
    sections.append(_section("orders", language, orders_html(result.orders, language)))
    sections.append(_section("config", language, f"<pre>{html.escape(_yaml(result.resolved_config))}</pre>"))
    navigation = [(s, text(SECTION_TITLES, s, language))
                  for s in ("metrics", "equity", "yearly-returns", "monthly-returns",
                            "drawdown-periods", "rolling", "trades", "orders")]
    m = result.metrics
    execution = text(WORDS, f"execution_{config.broker.execution}", language)
    return html_page(
        title=text(WORDS, "page_title", language).format(name=config.name),
        heading=config.name, language=language,
        charts=charts and not empty, navigation=navigation, sections=sections,
        intro=[html.escape(config.description or ""),
               text(WORDS, "intro", language).format(
                   strategy=html.escape(result.strategy_name), execution=html.escape(execution),
                   start=m.start, end=m.end, bars=m.bars)],
        footer=html.escape(text(WORDS, "footer", language).format(run_id=result.run_id)))


def _yaml(config: dict[str, Any]) -> str:
    import yaml

    return str(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))


def write_report(result: RunResult, path: Path) -> None:
    """Write ``report.html`` for ``result``."""
    charts = result.config.report.charts
    Path(path).write_text(render_report(result, charts=charts), encoding="utf-8")
