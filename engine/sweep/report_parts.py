"""The pieces of a sweep's report: the parameters that varied, the heatmap of two of them on an
honest colour scale, sensitivity per parameter, the best runs without duplicates, and a table
per instrument when the sweep spans instruments."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from huice.engine.results.html_tables import frame_html
from huice.engine.results.labels import WORDS, text
from huice.engine.results.plotly_traces import (
    GREEN_UP,
    PALETTE,
    SEQUENTIAL,
    chart_div,
    gain_loss_scale,
    heatmap,
)
from huice.engine.sweep.words import header, metric_column, metric_name, say

NOT_PARAMS = ("index", "task_id", "run_id", "status", "error")
# metrics whose sign means something (a loss, a negative Sharpe): their colour scale is
# centred on zero; the others (drawdown, turnover, ...) run from zero to their largest value
SIGNED_METRICS = ("total_return", "annual_return", "excess_vs_buy_and_hold", "excess_vs_benchmark",
                  "sharpe", "buy_and_hold_return", "benchmark_return")
# the figures that make two runs the same result
OUTCOME = ("total_return", "max_drawdown", "trades", "fills", "final_equity")


def varied_params(results: pd.DataFrame) -> list[str]:
    """The dotted config paths the sweep varied (e.g. ``strategy.params.share``)."""
    return [c for c in results.columns if c not in NOT_PARAMS and c.count(".") >= 1
            and not c.startswith("fees_")]


def short(param: str) -> str:
    """``strategy.params.share`` -> ``share``."""
    return param.rsplit(".", 1)[-1]


def instrument_param(results: pd.DataFrame, varied: Sequence[str]) -> str | None:
    """The varied param whose values are instrument codes (e.g. the target industry)."""
    for param in varied:
        values = results[param].dropna().astype(str)
        if len(values) and results[param].nunique() > 1 and values.str.match(
                r"^[0-9A-Za-z]{6}\.[A-Z]{2}").all():
            return param
    return None


def heatmap_axes(results: pd.DataFrame, varied: Sequence[str]) -> tuple[str, str] | None:
    """The two numeric params to draw against each other, if exactly two vary numerically."""
    numeric = [k for k in varied if pd.api.types.is_numeric_dtype(results[k])
               and results[k].nunique() > 1]
    return (numeric[0], numeric[1]) if len(numeric) == 2 else None


def colour_range(values: np.ndarray, metric: str) -> tuple[float, float]:
    """Zero-anchored: symmetric about zero for signed metrics, 0..max otherwise, so that a
    spread of a few thousandths looks like one and not like the whole palette."""
    finite = values[np.isfinite(values)]
    if not finite.size:
        return 0.0, 1.0
    if metric in SIGNED_METRICS:
        bound = float(np.max(np.abs(finite))) or 1.0
        return -bound, bound
    return min(0.0, float(finite.min())), max(float(finite.max()), 1e-12)


def heatmap_html(results: pd.DataFrame, x: str, y: str, metric: str,
                 colours: tuple[tuple[int, int, int], tuple[int, int, int]] = GREEN_UP,
                 language: str = "en") -> str:
    """Mean of ``metric`` over everything else (e.g. instruments) per (x, y) cell, every cell
    labelled, the colour range and the run-to-run spread stated; gains and losses in
    ``colours`` (report.colors)."""
    ok = results[results["status"] == "ok"]
    table = ok.pivot_table(index=y, columns=x, values=metric, aggfunc="mean")
    spread = ok.pivot_table(index=y, columns=x, values=metric, aggfunc="std")
    values = table.to_numpy(dtype=float)
    low, high = colour_range(values, metric)
    percent = metric in ("total_return", "annual_return", "max_drawdown", "volatility",
                         "excess_vs_buy_and_hold", "excess_vs_benchmark", "exposure")
    traces, layout = heatmap(values, [f"{v:g}" for v in table.columns],
                             [f"{v:g}" for v in table.index],
                             title=say("heatmap_title", language,
                                       metric=metric_name(metric, language), x=short(x),
                                       y=short(y)),
                             colour_title=metric_name(metric, language), zrange=(low, high),
                             colorscale=(gain_loss_scale(colours) if metric in SIGNED_METRICS
                                         else SEQUENTIAL),
                             labelled=True, percent=percent)
    per_cell = int(ok.groupby([x, y]).size().max()) if len(ok) else 0
    if per_cell > 1:
        traces[0]["customdata"] = [[None if not np.isfinite(v) else round(float(v), 6)
                                    for v in row] for row in spread.to_numpy(dtype=float)]
        traces[0]["hovertemplate"] = (f"%{{y}} / %{{x}}: {say('heatmap_hover', language)} "
                                      f"%{{text}}, {say('heatmap_spread', language)} "
                                      "%{customdata:.4f}<extra></extra>")
    layout["xaxis"]["title"] = {"text": short(x)}
    layout["yaxis"]["title"] = {"text": short(y)}
    cells = values[np.isfinite(values)]
    runs = ok[metric].astype(float)
    def fmt(value: float) -> str:
        return f"{value:.2%}" if percent else f"{value:.3f}"

    note = ("<p>" + say("heatmap_note", language, low=fmt(low), high=fmt(high),
                        anchor=say("symmetric" if metric in SIGNED_METRICS else "from_zero",
                                   language),
                        cell_low=fmt(cells.min()), cell_high=fmt(cells.max()),
                        run_low=fmt(runs.min()), run_high=fmt(runs.max()),
                        std=f"{runs.std(ddof=1):.4f}")
            + (say("heatmap_cells", language, n=per_cell) if per_cell > 1 else "")
            + text(WORDS, "full_stop", language) + "</p>") if cells.size else ""
    return chart_div("sweep-heatmap", traces, layout, height=120 + 48 * len(table.index)) + note


def sensitivity_html(results: pd.DataFrame, varied: Sequence[str], metric: str,
                     language: str = "en") -> str:
    """For each varied param: ``metric`` over every run, by the param's value (a box per
    value), and a table of mean, median, min and max."""
    ok = results[results["status"] == "ok"]
    parts = []
    for number, param in enumerate(varied, start=1):
        if ok[param].nunique() < 2:
            continue
        grouped = ok.groupby(param, sort=True)[metric]
        table = grouped.agg(["count", "mean", "median", "min", "max"]).reset_index()
        table = table.rename(columns={param: short(param)})
        traces = [{"type": "box", "name": str(value), "y": [float(v) for v in runs],
                   "boxpoints": "all" if len(runs) <= 60 else "outliers", "jitter": 0.3,
                   "marker": {"color": PALETTE[0], "size": 4}, "line": {"color": PALETTE[0]},
                   "showlegend": False}
                  for value, runs in grouped]
        layout = {"title": {"text": say("by_param", language,
                                        metric=metric_name(metric, language),
                                        param=short(param))}, "hovermode": "closest",
                  "xaxis": {"type": "category", "title": {"text": short(param)}}}
        parts.append(f"<h3>{html.escape(short(param))}</h3>"
                     + chart_div(f"sensitivity-{number}", traces, layout, height=320)
                     + table_html(table, language=language, identifiers=[short(param)]))
    return "".join(parts) or f"<p>{say('one_value', language)}</p>"


def deduplicated(ranked: pd.DataFrame, varied: Sequence[str]) -> pd.DataFrame:
    """One row per distinct result (same return, drawdown, trades, fills and final equity),
    best first, with ``same_as`` listing the params of the runs that gave the same result."""
    keys = _outcome_keys(ranked)
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for key, (_, row) in zip(keys, ranked.iterrows()):
        params = ", ".join(f"{short(p)}={row[p]}" for p in varied)
        if key in seen:
            rows[seen[key]]["same_as"].append(params)
            continue
        seen[key] = len(rows)
        rows.append({**row.to_dict(), "same_as": []})
    frame = pd.DataFrame(rows)
    if len(frame):
        frame["identical_runs"] = frame["same_as"].map(len)
        frame["same_as"] = frame["same_as"].map(lambda items: "; ".join(items[:6])
                                                + (" ..." if len(items) > 6 else ""))
    return frame


def outcome_key(row: Mapping[str, Any]) -> str:
    """What makes two runs the same result: their :data:`OUTCOME` figures to 8 decimals."""
    return "|".join(repr(round(float(row[c]), 8)) for c in OUTCOME if c in row)


def _outcome_keys(frame: pd.DataFrame) -> list[str]:
    return [outcome_key(row) for row in frame.to_dict("records")]


def without_effect(results: pd.DataFrame, varied: Sequence[str],
                   instrument: str | None) -> dict[str, list[str]]:
    """The varied params that changed no result: for each, the instruments (or ``["all"]``
    without an instrument param) where every group of runs that differ only in it gave one
    and the same outcome (return, drawdown, trades, fills, final equity)."""
    ok = results[results["status"] == "ok"].copy()
    if ok.empty:
        return {}
    ok["_outcome"] = _outcome_keys(ok)
    found: dict[str, list[str]] = {}
    for param in varied:
        if param == instrument or ok[param].nunique() < 2:
            continue
        others = [q for q in varied if q != param]
        keys = ok[others].astype(str).agg("|".join, axis=1) if others else pd.Series(
            "all", index=ok.index)
        groups = ok.groupby(keys)
        same = (groups[param].nunique() < 2) | (groups["_outcome"].nunique() == 1)
        if instrument is None:
            if same.all():
                found[param] = ["all"]
            continue
        where = ok.groupby(keys)[instrument].first()
        per_instrument = same.groupby(where).all()
        inert = sorted(str(v) for v, flag in per_instrument.items() if flag)
        if inert:
            found[param] = inert
    return found


def without_effect_html(found: dict[str, list[str]], instruments: int,
                        language: str = "en") -> str:
    """The sweep report's note on params that changed nothing."""
    if not found:
        return f"<p>{say('all_changed', language)}</p>"
    items = []
    for param, where in found.items():
        listed = ", ".join(where[:12]) + (" ..." if len(where) > 12 else "")
        scope = (say("any_run", language) if where == ["all"] else
                 say("any_instrument", language, n=len(where)) if len(where) == instruments
                 else say("some_instruments", language, k=len(where), n=instruments,
                          list=listed))
        why = say("share_why", language) if short(param) == "share" else ""
        items.append("<li>" + say("changed_nothing", language,
                                  param=html.escape(short(param)), scope=html.escape(scope),
                                  why=html.escape(why)) + "</li>")
    return f"<ul>{''.join(items)}</ul>"


def table_html(frame: pd.DataFrame, percent_columns: Sequence[str] = (),
               language: str = "en", identifiers: Sequence[str] = ()) -> str:
    """Every row of ``frame`` as the report's scrolling table, ``percent_columns`` as
    percentages, the headers in ``language`` (``identifiers``, the params, as they are)."""
    shown = frame.copy()
    for column in percent_columns:
        if column in shown:
            shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:.2%}")
    return frame_html(shown, language, limit=max(len(shown), 1),
                      header=lambda column: header(column, language, identifiers))


def per_instrument(results: pd.DataFrame, param: str, metric: str,
                   descending: bool) -> pd.DataFrame:
    """For each instrument: its runs, the best and mean ``metric``, the best run's params,
    return and drawdown, and the instrument's own buy-and-hold return."""
    ok = results[results["status"] == "ok"]
    others = [p for p in varied_params(results) if p != param]
    rows = []
    for value, runs in ok.groupby(param, sort=True):
        best = runs.sort_values(metric, ascending=not descending, kind="stable").iloc[0]
        rows.append({short(param): value, "runs": len(runs),
                     metric_column("best", metric): best[metric],
                     metric_column("mean", metric): runs[metric].mean(),
                     "best params": ", ".join(f"{short(p)}={best[p]}" for p in others),
                     metric_column("best", "total_return"): best["total_return"],
                     metric_column("best", "max_drawdown"): best["max_drawdown"],
                     "buy_and_hold_return": best["buy_and_hold_return"]})
    frame = pd.DataFrame(rows)
    return frame.sort_values(metric_column("best", metric), ascending=not descending, kind="stable")
