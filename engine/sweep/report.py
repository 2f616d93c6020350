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
from huice.engine.results.labels import WORDS, text
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
from huice.engine.sweep.curves import CURVES
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
from huice.engine.sweep.words import metric_column, metric_name, say

PERCENT_COLUMNS = ("total_return", "annual_return", "max_drawdown", "excess_vs_buy_and_hold",
                   "excess_vs_benchmark", "buy_and_hold_return",
                   metric_column("best", "total_return"), metric_column("best", "max_drawdown"))

# (task_id) -> the run's equity frame (equity and benchmark columns), or None if it failed
CurveSource = Callable[[str], pd.DataFrame | None]


def curves_chart(best: pd.DataFrame, varied: list[str], curve_of: CurveSource,
                 language: str = "en") -> str:
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
        traces.append(line(dates(benchmark.index), benchmark["benchmark"],
                           text(WORDS, "benchmark", language), BENCHMARK_COLOUR))
    if not traces:
        return ""
    layout = {"title": {"text": say("curves_title", language)},
              "updatemenus": scale_buttons(text(WORDS, "linear_scale", language),
                                           text(WORDS, "log_scale", language)),
              "yaxis": {"tickformat": ",.0f"}}
    return chart_div("sweep-best-curves", traces, layout, height=420)


def write_sweep_report(base: RunConfig, results: pd.DataFrame, ranked: pd.DataFrame,
                       out_dir: Path, extra_html: str = "", runner: str = "cerebro",
                       curve_of: CurveSource | None = None, lead_html: str = "") -> Path:
    """Write ``report.html`` for a sweep (``curve_of`` gives a best run's equity curve, kept
    from the run itself);
    ``lead_html`` comes first (a walk-forward's out-of-sample result)."""
    sweep = base.sweep_block()
    language = base.report.language
    metric = sweep.rank_by
    named = metric_name(metric, language)
    varied = [p for p in varied_params(results) if p != "fold"]
    failed = results[results["status"] != "ok"]
    best = deduplicated(ranked, varied)
    columns = [c for c in ["index", *varied, metric, "total_return", "annual_return",
                           "max_drawdown", "trades", "identical_runs", "same_as"]
               if c in best.columns]
    shown = best.head(sweep.top)[list(dict.fromkeys(columns))]
    shown = shown.rename(columns={p: short(p) for p in varied})
    duplicates = len(ranked) - len(best)
    sections = [section("best-runs", say("best_runs", language), (
        "<p>" + say("distinct", language, distinct=len(best), ok=len(ranked))
        + (say("repeats", language, n=duplicates) if duplicates else "")
        + say("top_by", language, top=sweep.top, metric=html.escape(named)) + "</p>"
        + table_html(shown, PERCENT_COLUMNS, language, [short(p) for p in varied])
        + (curves_chart(best, varied, curve_of, language) if curve_of is not None and len(best)
           else "")))]
    axes = heatmap_axes(results, varied)
    if axes is not None and len(ranked):
        colours = gain_loss_colours(base.report.colors, language)
        sections.append(section("heatmap", say("heatmap", language),
                                heatmap_html(results, *axes, metric, colours, language)))
    sections.append(section("sensitivity", say("sensitivity", language),
                            sensitivity_html(results, varied, metric, language) if len(ranked)
                            else f"<p>{say('no_run_succeeded', language)}</p>"))
    instrument = instrument_param(results, varied)
    if len(ranked):
        sections.append(section("no-effect", say("no_effect", language),
                                without_effect_html(
                                    without_effect(results, varied, instrument),
                                    results[instrument].nunique() if instrument else 0,
                                    language)))
    if instrument is not None and len(ranked):
        sections.append(section("per-instrument",
                                say("per_instrument", language, param=short(instrument)),
                                table_html(per_instrument(results, instrument, metric,
                                                          sweep.descending),
                                           PERCENT_COLUMNS, language, [short(instrument)])))
    if len(failed):
        sections.append(section("failed", say("failed", language), table_html(
            failed[["index", *varied, "error"]].rename(columns={p: short(p) for p in varied}),
            language=language, identifiers=[short(p) for p in varied])))
    walk_forward = sweep.walk_forward is not None
    if lead_html:
        sections.insert(0, lead_html)
    kind = "walk_forward" if walk_forward else "sweep"
    page = html_page(
        title=say(f"page_{kind}", language, name=base.name),
        heading=say(f"heading_{kind}", language, name=base.name),
        sections=sections, extra_html=extra_html, language=language,
        intro=[(say("intro_walk_forward", language) if walk_forward else "")
               + say("intro", language, runs=len(results), ok=len(ranked), failed=len(failed),
                     metric=html.escape(named),
                     order=say("highest" if sweep.descending else "lowest", language),
                     varied=html.escape(", ".join(varied) or say("nothing", language)),
                     runner=html.escape(say(f"runner_{runner}", language)))])
    path = out_dir / "report.html"
    write_file_atomically(path, page)
    return path
