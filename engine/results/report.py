"""A self-contained HTML report (charts embedded as PNG data; opens offline)."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd

from huice.engine.results.charts import diagnostic_chart, equity_chart, underwater_chart
from huice.engine.results.formatting import number, percent
from huice.engine.results.result import RunResult

PERCENT_METRICS = ("total_return", "annual_return", "buy_and_hold_return", "benchmark_return",
                   "excess_return", "excess_vs_benchmark", "max_drawdown", "volatility",
                   "exposure")
STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;
max-width:1000px;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.9em}td,th{padding:.25em .8em;border-bottom:1px solid #eee;
text-align:right}th{text-align:left;background:#f6f6f6}td:first-child{text-align:left}
.notes li{margin:.3em 0}.warn{color:#a0301e;font-weight:600}img{max-width:100%}
"""


def _image(png: bytes | None, alt: str) -> str:
    if not png:
        return ""
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _table(frame: pd.DataFrame, limit: int = 60) -> str:
    if frame.empty:
        return "<p>None.</p>"
    shown = frame.head(limit)
    table = shown.to_html(index=False, border=0, float_format=lambda v: f"{v:,.4f}", na_rep="")
    more = f"<p>... {len(frame) - limit} more rows in the CSV.</p>" if len(frame) > limit else ""
    return table + more


def _metrics_table(metrics) -> str:
    metrics = metrics.to_dict()
    rows = []
    for key in PERCENT_METRICS:
        rows.append((key, percent(metrics[key])))
    rows += [("sharpe", number(metrics["sharpe"], ".3f")),
             ("longest_drawdown_days", metrics["longest_drawdown_days"]),
             ("trades (round trips)", metrics["trades"]), ("fills", metrics["fills"]),
             ("turnover", number(metrics["turnover"], ".2f", "x")),
             ("slippage cost (CNY)", f"{metrics['slippage_cost']:,.2f}"),
             ("initial cash (CNY)", f"{metrics['initial_cash']:,.2f}"),
             ("final equity (CNY)", f"{metrics['final_equity']:,.2f}"),
             ("span", f"{metrics['start']} .. {metrics['end']} ({metrics['bars']} bars)"),
             ("run id", metrics["run_id"])]
    rows += [(f"fees: {kind} (CNY)", f"{value:,.2f}") for kind, value in metrics["fees"].items()]
    rows += [(f"contribution to return: {symbol}", percent(value))
             for symbol, value in metrics.get("contribution", {}).items()]
    body = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(str(v))}</td></tr>"
                   for k, v in rows)
    return f"<table>{body}</table>"


def render_report(result: RunResult, charts: bool = True) -> str:
    """The report as an HTML string."""
    config = result.resolved_config
    title = html.escape(config["name"])
    notes = "".join(
        f'<li class="{"warn" if note.startswith("IN-SAMPLE") else ""}">{html.escape(note)}</li>'
        for note in result.notes)
    traded = {s: p for s, p in result.prices.items() if s != config["data"].get("benchmark")}
    figures = ""
    if charts:
        figures = (_image(equity_chart(result.equity, traded), "equity")
                   + _image(underwater_chart(result.equity), "underwater"))
        specs = result.diagnostic_chart
        if specs is not None:
            for spec in specs if isinstance(specs, tuple) else (specs,):
                figures += _image(diagnostic_chart(result.signals, spec), spec.title)
    status = result.orders["status"].value_counts().sort_index() if len(result.orders) else None
    status_text = (", ".join(f"{k}: {v}" for k, v in status.items()) if status is not None
                   else "no orders")
    refused = result.orders[result.orders["reason"] != ""] if len(result.orders) else result.orders
    description = html.escape(config.get("description") or "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - huice report</title>
<style>{STYLE}</style></head><body>
<h1>{title}</h1>
<p>{description}</p>
<p>Strategy <b>{html.escape(result.strategy_name)}</b>, {html.escape(str(config['broker']['execution']))} execution.</p>
<h2>How this run was made</h2><ul class="notes">{notes}</ul>
<h2>Results</h2>{_metrics_table(result.metrics)}
<h2>Charts</h2>{figures}
<h2>Trades (round trips)</h2>{_table(result.trades)}
<h2>Orders</h2><p>{html.escape(status_text)}</p>
<h3>Orders with a note (refused, cut or rounded)</h3>{_table(refused)}
<h2>Configuration</h2><pre>{html.escape(_yaml(config))}</pre>
<p style="color:#888;font-size:.8em">huice run {html.escape(result.run_id)}</p>
</body></html>
"""


def _yaml(config: dict) -> str:
    import yaml

    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


def write_report(result: RunResult, path: Path) -> None:
    """Write ``report.html`` for ``result``."""
    charts = bool(result.resolved_config.get("report", {}).get("charts", True))
    Path(path).write_text(render_report(result, charts=charts), encoding="utf-8")
