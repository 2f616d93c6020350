"""The sweep's HTML report: the best distinct runs and their equity curves against the
benchmark, the heatmap of two params on an honest colour scale, sensitivity per param, a table
per instrument when the sweep spans instruments, and (walk-forward) in- against out-of-sample
per fold. Charts are plotly.js, inline (see :mod:`huice.engine.results.plotly_traces`)."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from huice.config.schema import RunConfig
from huice.engine.results.page import html_page, section
from huice.engine.results.plotly_traces import (
    BENCHMARK_COLOUR,
    PALETTE,
    chart_div,
    dates,
    gain_loss_colours,
    line,
    scale_buttons,
)
from huice.engine.results.writer import write_file_atomically
from huice.engine.sweep.report_parts import (
    deduplicated,
    heatmap_axes,
    heatmap_html,
    instrument_param,
    per_instrument,
    sensitivity_html,
    short,
    table_html,
    varied_params,
    without_effect,
    without_effect_html,
)

RUNNER_NOTES = {
    "fast": "Runs used the fast runner (huice's own day-by-day loop; outputs identical to "
            "Cerebro's, tests/engine/test_fast_runner.py).",
    "cerebro": "Runs used the Cerebro runner (backtrader's loop).",
}
CURVES = 5  # best distinct runs drawn
PERCENT_COLUMNS = ("total_return", "annual_return", "max_drawdown", "excess_vs_buy_and_hold",
                   "excess_vs_benchmark", "buy_and_hold_return", "best total_return",
                   "best max_drawdown")

# (task_id) -> the run's equity frame (equity and benchmark columns), or None if it failed
CurveSource = Callable[[str], pd.DataFrame | None]


def curves_chart(best: pd.DataFrame, varied: list[str], curve_of: CurveSource) -> str:
    """The best distinct runs' equity against the benchmark (from the first run's frame)."""
    traces, benchmark = [], None
    for position, (_, row) in enumerate(best.head(CURVES).iterrows(), start=1):
        frame = curve_of(row["task_id"])
        if frame is None:
            continue
        label = f"#{position} " + ", ".join(f"{short(p)}={row[p]}" for p in varied)
        traces.append(line(dates(frame.index), frame["equity"], label,
                           PALETTE[(position - 1) % len(PALETTE)]))
        if benchmark is None and frame["benchmark"].notna().any():
            benchmark = frame
    if benchmark is not None:
        traces.append(line(dates(benchmark.index), benchmark["benchmark"], "benchmark",
                           BENCHMARK_COLOUR))
    if not traces:
        return ""
    layout = {"title": {"text": "Best distinct runs: equity (CNY) against the benchmark"},
              "updatemenus": scale_buttons("linear scale", "log scale"),
              "yaxis": {"tickformat": ",.0f"}}
    return chart_div("sweep-best-curves", traces, layout, height=420)


_section = section


def write_sweep_report(base: RunConfig, results: pd.DataFrame, ranked: pd.DataFrame,
                       out_dir: Path, extra_html: str = "", runner: str = "cerebro",
                       curve_of: CurveSource | None = None, lead_html: str = "") -> Path:
    """Write ``report.html`` for a sweep (``curve_of`` re-runs a task for its equity curve);
    ``lead_html`` comes first (a walk-forward's out-of-sample result)."""
    sweep = base.sweep_block()
    metric = sweep.rank_by
    varied = [p for p in varied_params(results) if p != "fold"]
    failed = results[results["status"] != "ok"]
    best = deduplicated(ranked, varied)
    columns = [c for c in ["index", *varied, metric, "total_return", "annual_return",
                           "max_drawdown", "trades", "identical_runs", "same_as"]
               if c in best.columns]
    shown = best.head(sweep.top)[list(dict.fromkeys(columns))]
    shown = shown.rename(columns={p: short(p) for p in varied})
    duplicates = len(ranked) - len(best)
    sections = [_section("best-runs", "Best runs", (
        f"<p>{len(best)} distinct results among {len(ranked)} successful runs"
        + (f" ({duplicates} runs repeat a result already listed; their params are in "
           f"<i>same_as</i>)" if duplicates else "") + f". Top {sweep.top} by {metric}:</p>"
        + table_html(shown, PERCENT_COLUMNS)
        + (curves_chart(best, varied, curve_of) if curve_of is not None and len(best) else "")))]
    axes = heatmap_axes(results, varied)
    if axes is not None and len(ranked):
        colours = gain_loss_colours(base.report.colors, base.report.language)
        sections.append(_section("heatmap", "Heatmap",
                                 heatmap_html(results, *axes, metric, colours)))
    sections.append(_section("sensitivity", "Sensitivity per parameter",
                             sensitivity_html(results, varied, metric) if len(ranked)
                             else "<p>No run succeeded.</p>"))
    instrument = instrument_param(results, varied)
    if len(ranked):
        sections.append(_section("no-effect", "Parameters that changed nothing",
                                 without_effect_html(
                                     without_effect(results, varied, instrument),
                                     results[instrument].nunique() if instrument else 0)))
    if instrument is not None and len(ranked):
        sections.append(_section("per-instrument", f"Per instrument ({short(instrument)})",
                                 table_html(per_instrument(results, instrument, metric,
                                                           sweep.descending),
                                            PERCENT_COLUMNS)))
    if len(failed):
        sections.append(_section("failed", "Failed runs", table_html(
            failed[["index", *varied, "error"]].rename(columns={p: short(p) for p in varied}))))
    walk_forward = sweep.walk_forward is not None
    if lead_html:
        sections.insert(0, lead_html)
    page = html_page(
        title=f"{base.name} {'walk-forward' if walk_forward else 'sweep'}",
        heading=f"{'Walk-forward' if walk_forward else 'Sweep'}: {base.name}",
        sections=sections, extra_html=extra_html,
        intro=[("The walk-forward result leads; below it, the in-sample sweep over the whole "
                "span: " if walk_forward else "")
               + f"{len(results)} runs, {len(ranked)} succeeded, {len(failed)} failed; ranked by "
               f"<b>{html.escape(metric)}</b> ({'highest' if sweep.descending else 'lowest'} "
               f"first). Varied: {html.escape(', '.join(varied) or 'nothing')}. Every run's "
               "metrics are in results.csv; the best configs are in best/ as runnable YAML. "
               f"{html.escape(RUNNER_NOTES[runner])}"])
    path = out_dir / "report.html"
    write_file_atomically(path, page)
    return path
