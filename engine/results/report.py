"""A self-contained HTML report: the tear sheet of a run, with interactive charts drawn by the
plotly.js bundled inline (no network request; opens offline).

Sections, each an element with an id: ``metrics``, ``equity``, ``yearly-returns``,
``monthly-returns``, ``drawdown-periods``, ``rolling``, ``diagnostics``, ``holdings``, ``trades``,
``orders``. A paper account's report starts with ``positions`` and ``recent-orders``."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from huice.engine.results.charts import (
    diagnostic_chart,
    equity_chart,
    holdings_chart,
    rolling_charts,
    underwater_chart,
)
from huice.engine.results.labels import SECTION_TITLES, WORDS, text
from huice.engine.results.plotly_charts import script_tag
from huice.engine.results.report_tables import (
    drawdowns_html,
    frame_html,
    metrics_tables,
    monthly_heatmap_html,
    orders_html,
    yearly_table_html,
)
from huice.engine.results.result import RunResult

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,"PingFang SC","Microsoft YaHei",
sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
h3{font-size:1em;margin:1em 0 .3em}
table{border-collapse:collapse;font-size:.9em;margin:.3em 0}
td,th{padding:.25em .7em;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
th{text-align:left;background:#f6f6f6}td:first-child{text-align:left}
.metrics{width:100%;table-layout:fixed}.metrics td.label{width:30%;white-space:normal}
.metrics td.value{width:22%;white-space:normal;font-variant-numeric:tabular-nums;font-weight:600}
.metrics td.help{color:#666;text-align:left;white-space:normal;font-size:.92em}
.groups{display:grid;grid-template-columns:1fr;gap:0 2em}
.notes li{margin:.3em 0}.warn{color:#a0301e;font-weight:600}
.scroll{overflow-x:auto;max-width:100%}.small{color:#777;font-size:.85em}
.chart{width:100%;min-height:240px}details{margin:.5em 0}summary{cursor:pointer}
nav a{margin-right:.9em;font-size:.9em}
"""
PAPER_ORDER_DAYS = 5


def _section(section_id: str, language: str, body: str, title: str | None = None) -> str:
    heading = title or text(SECTION_TITLES, section_id, language)
    return f'<section id="{section_id}"><h2>{html.escape(heading)}</h2>{body}</section>\n'


def _diagnostics(result: RunResult) -> str:
    chart = result.diagnostic_chart
    if chart is None:
        return ""
    specs = chart if isinstance(chart, tuple) else (chart,)
    return "".join(diagnostic_chart(result.signals, spec, f"chart-diagnostic-{n}")
                   for n, spec in enumerate(specs, start=1))


def _paper_sections(result: RunResult, language: str) -> str:
    """Today's positions and the last days' orders, for a paper account's report."""
    positions = result.positions
    if len(positions):
        last = positions["date"].max()
        today = positions[positions["date"] == last]
        held = frame_html(today.reset_index(drop=True))
        held = f"<p>As of {html.escape(str(last))}.</p>{held}"
    else:
        held = "<p>Nothing held.</p>"
    orders = result.orders
    recent = orders
    if len(orders):
        days = sorted(orders["created"].unique())[-PAPER_ORDER_DAYS:]
        recent = orders[orders["created"].isin(days)].iloc[::-1]
    return (_section("positions", language, held)
            + _section("recent-orders", language, frame_html(recent.reset_index(drop=True))))


def render_report(result: RunResult, charts: bool = True) -> str:
    """The report as an HTML string (a paper account's starts with today's positions and
    orders)."""
    config = result.resolved_config
    report = config.get("report", {})
    language = report.get("language", "en")
    periods = int(report.get("periods_per_year", 252))
    sheet = result.tear_sheet()
    initial = float(result.metrics.initial_cash)
    title = html.escape(config["name"])
    notes = "".join(
        f'<li class="{"warn" if note.startswith("IN-SAMPLE") else ""}">{html.escape(note)}</li>'
        for note in result.notes)
    traded = {s: p for s, p in result.prices.items() if s != config["data"].get("benchmark")}
    empty = result.equity.empty
    sections = [_paper_sections(result, language)] if result.paper else []
    sections.append(_section("notes", language, f'<ul class="notes">{notes}</ul>'))
    groups = metrics_tables(sheet.figures, language)
    sections.append(_section("metrics", language, f'<div class="groups">{groups}</div>'))
    if charts and not empty:
        sections.append(_section("equity", language,
                                 equity_chart(result.equity, traded, initial, language)
                                 + underwater_chart(result.equity, initial, language)))
    yearly_total = (sheet.yearly.set_index("year")["strategy"] if len(sheet.yearly) else None)
    sections.append(_section("yearly-returns", language,
                             yearly_table_html(sheet.yearly, language)))
    monthly = monthly_heatmap_html(sheet.monthly, yearly_total, language)
    if sheet.monthly_excess is not None:
        monthly += (f"<h3>{html.escape(text(WORDS, 'monthly_excess', language))}</h3>"
                    + monthly_heatmap_html(sheet.monthly_excess, None, language))
    sections.append(_section("monthly-returns", language, monthly))
    sections.append(_section("drawdown-periods", language,
                             drawdowns_html(sheet.drawdowns, language)))
    rolling = (rolling_charts(sheet.returns, periods, language) if charts and not empty
               else "<p>Charts are off (report.charts: false).</p>")
    sections.append(_section("rolling", language, rolling))
    if charts:
        diagnostics = _diagnostics(result)
        if diagnostics:
            sections.append(_section("diagnostics", language, diagnostics))
        holdings = holdings_chart(result.positions, result.equity, language)
        if holdings:
            sections.append(_section("holdings", language, holdings))
    sections.append(_section("trades", language, frame_html(result.trades)))
    sections.append(_section("orders", language, orders_html(result.orders, language)))
    sections.append(_section("config", language, f"<pre>{html.escape(_yaml(config))}</pre>"))
    navigation = "".join(f'<a href="#{s}">{html.escape(text(SECTION_TITLES, s, language))}</a>'
                         for s in ("metrics", "equity", "yearly-returns", "monthly-returns",
                                   "drawdown-periods", "rolling", "trades", "orders"))
    description = html.escape(config.get("description") or "")
    m = result.metrics
    return f"""<!DOCTYPE html>
<html lang="{'zh-CN' if language == 'zh' else 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - huice report</title>
<style>{STYLE}</style>{script_tag() if charts and not empty else ""}</head><body>
<h1>{title}</h1>
<p>{description}</p>
<p>Strategy <b>{html.escape(result.strategy_name)}</b>,
{html.escape(str(config['broker']['execution']))} execution, {m.start} .. {m.end}
({m.bars} bars).</p>
<nav>{navigation}</nav>
{"".join(sections)}
<p class="small">huice run {html.escape(result.run_id)}</p>
</body></html>
"""


def _yaml(config: dict[str, Any]) -> str:
    import yaml

    return str(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))


def write_report(result: RunResult, path: Path) -> None:
    """Write ``report.html`` for ``result``."""
    charts = bool(result.resolved_config.get("report", {}).get("charts", True))
    Path(path).write_text(render_report(result, charts=charts), encoding="utf-8")
