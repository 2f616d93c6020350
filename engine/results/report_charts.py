"""The charts of a run's report, as plotly specs (see :mod:`plotly_traces`): equity against
the benchmark and buy-and-hold, underwater, rolling Sharpe and volatility, the strategy's own
diagnostics, and holdings by weight."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from huice.engine.results.diagnostic import DiagnosticChart
from huice.engine.results.labels import WORDS, text
from huice.engine.results.plotly_traces import (
    BENCHMARK_COLOUR,
    GREEN_UP,
    PALETTE,
    RATIO_DIGITS,
    SHADE_DIGITS,
    STRATEGY_COLOUR,
    chart_div,
    dates,
    heatmap,
    line,
    rgba,
    scale_buttons,
)
from huice.engine.results.tearsheet import rolling_beta, rolling_ratios

ROLLING_WINDOWS = ((126, "6-month"), (252, "12-month"))


MAX_BUY_AND_HOLD_LINES = 5  # more traded instruments: one equal-parts line instead of one each


def equal_parts_buy_and_hold(closes: dict[str, pd.Series], index: pd.Index) -> pd.Series:
    """Equal parts of every instrument bought at its own first bar and held (cash until then),
    as a multiple of the start: its last value is 1 + the mean of the instruments' total
    returns, the buy-and-hold return of metrics.json."""
    curves = (grown_from_first(close, index) for close in closes.values())
    grown = [curve.fillna(1.0) for curve in curves if curve is not None]
    return pd.concat(grown, axis=1).mean(axis=1) if grown else pd.Series(1.0, index=index)


def grown_from_first(close: pd.Series, index: pd.Index) -> pd.Series | None:
    """``close`` on ``index`` as a multiple of its first value (None when it has none there)."""
    series = close.reindex(index).ffill()
    first = series.dropna()
    return series / first.iloc[0] if len(first) else None


def equity_chart(equity: pd.DataFrame, buy_and_hold: dict[str, pd.Series], initial: float,
                 language: str = "en", label: Callable[[str], str] = str) -> str:
    """Strategy equity against the benchmark and each traded instrument held throughout, all
    starting at the initial cash; a linear / log switch. ``label`` names an instrument."""
    x = dates(equity.index)
    traces = [line(x, equity["equity"], text(WORDS, "strategy", language), STRATEGY_COLOUR,
                   line={"width": 2, "color": STRATEGY_COLOUR})]
    if equity["benchmark"].notna().any():
        traces.append(line(x, equity["benchmark"], text(WORDS, "benchmark", language),
                           BENCHMARK_COLOUR))
    if len(buy_and_hold) > MAX_BUY_AND_HOLD_LINES:
        traces.append(line(x, equal_parts_buy_and_hold(buy_and_hold, equity.index) * initial,
                           f"{text(WORDS, 'buy_and_hold', language)} "
                           + text(WORDS, "equal_parts", language).format(n=len(buy_and_hold)),
                           PALETTE[1]))
    else:
        for position, (symbol, close) in enumerate(buy_and_hold.items()):
            grown = grown_from_first(close, equity.index)
            if grown is not None:
                traces.append(line(x, grown * initial,
                                   f"{text(WORDS, 'buy_and_hold', language)} {label(symbol)}",
                                   PALETTE[(position + 1) % len(PALETTE)],
                                   visible=True if len(buy_and_hold) <= 3 else "legendonly"))
    layout = {"title": {"text": text(WORDS, "equity_title", language)},
              "updatemenus": scale_buttons(text(WORDS, "linear_scale", language),
                                           text(WORDS, "log_scale", language)),
              "yaxis": {"tickformat": ",.0f"}}
    return chart_div("chart-equity", traces, layout, height=420)


def underwater_chart(equity: pd.DataFrame, initial: float, language: str = "en",
                     loss: tuple[int, int, int] = GREEN_UP[1]) -> str:
    """Drawdown of equity from its running peak (the initial cash counts as the first peak),
    in the report's colour for losses."""
    values = np.concatenate([[initial], equity["equity"].to_numpy(dtype=float)])
    drawdown = (values / np.maximum.accumulate(values) - 1.0)[1:]
    trace = line(dates(equity.index), drawdown, text(WORDS, "drawdown", language),
                 rgba(loss, 1.0), RATIO_DIGITS, fill="tozeroy", fillcolor=rgba(loss, 0.35))
    layout = {"title": {"text": text(WORDS, "underwater_title", language)},
              "yaxis": {"tickformat": ".0%"}, "showlegend": False}
    return chart_div("chart-underwater", [trace], layout, height=260)


def rolling_charts(returns: pd.Series, periods: int, language: str = "en",
                   benchmark: pd.Series | None = None) -> str:
    """Rolling 6- and 12-month Sharpe ratio, volatility (annualised) and, with a benchmark,
    beta."""
    x = dates(returns.index)
    sharpe, volatility, beta = [], [], []
    for colour, (window, name) in zip((STRATEGY_COLOUR, "#d9822b"), ROLLING_WINDOWS):
        ratios = rolling_ratios(returns, periods, window)
        label = text(WORDS, name, language)
        sharpe.append(line(x, ratios["sharpe"], label, colour, RATIO_DIGITS))
        volatility.append(line(x, ratios["volatility"], label, colour, RATIO_DIGITS))
        if benchmark is not None:
            beta.append(line(x, rolling_beta(returns, benchmark, window), label, colour,
                             RATIO_DIGITS))
    charts = (chart_div("chart-rolling-sharpe", sharpe,
                        {"title": {"text": text(WORDS, "rolling_sharpe_title", language)}},
                        height=300)
              + chart_div("chart-rolling-volatility", volatility,
                          {"title": {"text": text(WORDS, "rolling_volatility_title", language)},
                           "yaxis": {"tickformat": ".0%"}}, height=300))
    if beta:
        charts += chart_div("chart-rolling-beta", beta,
                            {"title": {"text": text(WORDS, "rolling_beta_title", language)}},
                            height=300)
    return charts


HISTOGRAM_BINS = 60


def returns_histogram(returns: pd.Series, language: str = "en") -> str:
    """Daily returns in bins against the normal distribution of the same mean and deviation
    (scaled to the counts): fat tails show as bars beyond the curve ("" under three days)."""
    values = returns.to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if len(values) < 3 or not values.std():
        return ""
    counts, edges = np.histogram(values, bins=HISTOGRAM_BINS)
    centres = (edges[:-1] + edges[1:]) / 2
    width = float(edges[1] - edges[0])
    mean, deviation = float(values.mean()), float(values.std(ddof=1))
    grid = np.linspace(edges[0], edges[-1], 200)
    normal = len(values) * width * np.exp(-0.5 * ((grid - mean) / deviation) ** 2) / (
        deviation * np.sqrt(2 * np.pi))
    traces = [{"type": "bar", "x": [round(float(c), 8) for c in centres],
               "y": [int(c) for c in counts], "name": text(WORDS, "days", language),
               "marker": {"color": STRATEGY_COLOUR}, "width": width},
              line([round(float(g), 8) for g in grid], normal, text(WORDS, "normal", language),
                   "#d9822b", line={"width": 2, "color": "#d9822b"})]
    layout = {"title": {"text": text(WORDS, "histogram_title", language)},
              "xaxis": {"tickformat": ".1%"}, "yaxis": {"title": {"text":
                                                                  text(WORDS, "days", language)}},
              "bargap": 0, "hovermode": "closest"}
    return chart_div("chart-returns-histogram", traces, layout, height=320)


def costs_chart(fills: pd.DataFrame, equity: pd.DataFrame, language: str = "en") -> str:
    """Fees per calendar month (CNY, bars) and turnover (value traded over the month's mean
    equity, line), from the fills ("" without fills)."""
    if fills.empty:
        return ""
    days = pd.DatetimeIndex(pd.to_datetime(fills["date"]))
    traded = pd.Series(fills["value"].to_numpy(dtype=float), index=days).resample("ME").sum()
    fees = pd.Series(fills["fees"].to_numpy(dtype=float), index=days).resample("ME").sum()
    mean_equity = equity["equity"].resample("ME").mean()
    months = mean_equity.index
    traded, fees = traded.reindex(months, fill_value=0.0), fees.reindex(months, fill_value=0.0)
    turnover = traded / mean_equity.where(mean_equity > 0)
    x = [d.strftime("%Y-%m") for d in months]
    traces = [{"type": "bar", "x": x, "y": [round(float(v), 2) for v in fees],
               "name": text(WORDS, "fees_cny", language), "marker": {"color": "#7f8c8d"}},
              line(x, turnover, text(WORDS, "turnover", language), STRATEGY_COLOUR,
                   yaxis="y2", mode="lines+markers", marker={"size": 3})]
    layout = {"title": {"text": text(WORDS, "costs_title", language)},
              "yaxis": {"title": {"text": text(WORDS, "fees_cny", language)},
                        "tickformat": ",.0f", "rangemode": "tozero"},
              "yaxis2": {"overlaying": "y", "side": "right", "tickformat": ".0%",
                         "title": {"text": text(WORDS, "turnover", language)},
                         "rangemode": "tozero", "showgrid": False, "automargin": True},
              # a date axis: plotly spaces its ticks by the room it has (24 categories of
              # "2010-01" ran into each other at 1280 px over ten years)
              "xaxis": {"type": "date", "hoverformat": "%Y-%m"}}
    return chart_div("chart-costs", traces, layout, height=320)


def heatmap_diagnostic(signals: pd.DataFrame, spec: DiagnosticChart, chart_id: str,
                       language: str = "en") -> str:
    """Recorded columns with ``spec.heatmap_prefix`` as rows, the days any has a value as
    columns ("" when none has one)."""
    prefix = spec.heatmap_prefix or ""
    columns = [c for c in signals.columns if c.startswith(prefix)]
    values = signals[columns].dropna(how="all") if columns else signals.iloc[:0]
    if values.empty:
        return ""
    rows = [c[len(prefix):] for c in columns]
    traces, layout = heatmap(values.T.to_numpy(dtype=float), dates(values.index), rows,
                             title=spec.title_in(language),
                             colour_title=spec.ylabel_in(language) or "value",
                             colorscale="Viridis", reverse=True, digits=SHADE_DIGITS)
    layout.update(margin={"l": 110, "r": 20, "t": 40, "b": 40}, xaxis={})  # x: dates
    layout["yaxis"]["autorange"] = "reversed"
    return chart_div(chart_id, traces, layout, height=140 + 16 * len(rows))


def diagnostic_chart(signals: pd.DataFrame, spec: DiagnosticChart, chart_id: str,
                     language: str = "en") -> str:
    """The strategy's own chart from the values it recorded ("" when it recorded none), its
    words in ``language`` where the strategy gives them."""
    if spec.heatmap_prefix:
        return heatmap_diagnostic(signals, spec, chart_id, language)
    present = [name for name in spec.lines if name in signals.columns]
    if spec.line_prefix:
        present += [c for c in signals.columns if c.startswith(spec.line_prefix)]
    stacked_prefix = spec.stacked_prefix or ""
    stacked = ([c for c in signals.columns if c.startswith(stacked_prefix)]
               if stacked_prefix else [])
    if not present and not stacked:
        return ""
    x = dates(signals.index)
    traces = []
    for position, name in enumerate(stacked):
        traces.append(line(x, signals[name].fillna(0.0), name[len(stacked_prefix):],
                           PALETTE[position % len(PALETTE)], SHADE_DIGITS, stackgroup="stack"))
    for position, name in enumerate(present):
        label = (name[len(spec.line_prefix):] if spec.line_prefix
                 and name.startswith(spec.line_prefix) else name)
        traces.append(line(x, signals[name], spec.name_in(label, language),
                           PALETTE[(position + len(stacked)) % len(PALETTE)]))
    if spec.shade and spec.shade in signals.columns:
        active = (signals[spec.shade].fillna(0).to_numpy() > 0).astype(float)
        traces.append(line(x, active, spec.name_in(spec.shade, language), "#2e8b57", yaxis="y2",
                           fill="tozeroy",
                           fillcolor="rgba(46,139,87,0.15)", line={"width": 0, "shape": "hv"}))
    if spec.markers and spec.markers in signals.columns:
        days = signals.index[signals[spec.markers].fillna(0).to_numpy() > 0]
        traces.append({"type": "scatter", "mode": "markers", "x": dates(days),
                       "y": [0.0] * len(days), "yaxis": "y2", "name":
                       f"{spec.name_in(spec.markers, language)} ({len(days)})",
                       "marker": {"symbol": "line-ns-open", "size": 10, "color": "#444444"}})
    layout: dict[str, Any] = {
        "title": {"text": spec.title_in(language)},
        "yaxis": {"title": {"text": spec.ylabel_in(language)},
                  **({"tickformat": ".0%"} if spec.percent else {})},
        "yaxis2": {"overlaying": "y", "range": [0, 1], "visible": False}}
    return chart_div(chart_id, traces, layout)


def holdings_chart(positions: pd.DataFrame, equity: pd.DataFrame, language: str = "en",
                   label: Callable[[str], str] = str) -> str:
    """Each instrument's share of equity, and cash's, stacked to 100% ("" with no positions);
    ``label`` names an instrument."""
    if positions.empty:
        return ""
    values = positions.pivot_table(index="date", columns="symbol", values="value",
                                   aggfunc="sum")
    values.index = pd.DatetimeIndex(values.index)
    values = values.reindex(equity.index).fillna(0.0)
    total = equity["equity"].replace(0.0, np.nan)
    x = dates(equity.index)
    traces = [line(x, values[symbol] / total, label(symbol), PALETTE[position % len(PALETTE)],
                   SHADE_DIGITS, stackgroup="weights")
              for position, symbol in enumerate(values.columns)]
    traces.append(line(x, equity["cash"] / total, text(WORDS, "cash", language), "#bbbbbb",
                       SHADE_DIGITS, stackgroup="weights"))
    layout: dict[str, Any] = {"title": {"text": text(WORDS, "weights_title", language)},
                              "yaxis": {"tickformat": ".0%"}}
    return chart_div("chart-holdings", traces, layout)
