"""Charts of a run, drawn with matplotlib's Agg canvas (headless; no pyplot global state)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from huice.engine.results.diagnostic import DiagnosticChart

FIGURE_SIZE = (10, 3.6)


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    # fixed margins: tight_layout costs a full extra draw per chart
    figure.subplots_adjust(left=0.07, right=0.985, top=0.9, bottom=0.12)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=96, metadata={"Software": None})
    return buffer.getvalue()


def equity_chart(equity: pd.DataFrame, buy_and_hold: dict[str, pd.Series]) -> bytes:
    """Strategy equity against the benchmark and each traded instrument held throughout."""
    figure = Figure(figsize=FIGURE_SIZE)
    axes = figure.add_subplot()
    initial = equity["equity"].iloc[0] if len(equity) else 1.0
    axes.plot(equity.index, equity["equity"] / 1e6, label="strategy", color="#1f4e9c", lw=1.4)
    if equity["benchmark"].notna().any():
        axes.plot(equity.index, equity["benchmark"] / 1e6, label="benchmark", color="#888888",
                  lw=1.0)
    for symbol, close in buy_and_hold.items():
        series = close.reindex(equity.index).ffill().dropna()
        if len(series):
            cash = equity["cash"].iloc[0] + equity["holdings"].iloc[0]
            scaled = series / series.iloc[0] * (cash if cash else initial)
            axes.plot(scaled.index, scaled / 1e6, label=f"buy & hold {symbol}", lw=1.0,
                      color="#d9822b", alpha=0.9)
    axes.set_ylabel("million CNY")
    axes.set_title("Equity")
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize=8)
    return _png(figure)


def underwater_chart(equity: pd.DataFrame) -> bytes:
    """Drawdown of equity from its running peak."""
    values = equity["equity"].to_numpy(dtype=float)
    drawdown = values / np.maximum.accumulate(values) - 1.0 if len(values) else values
    figure = Figure(figsize=(10, 2.6))
    axes = figure.add_subplot()
    axes.fill_between(equity.index, drawdown, 0.0, color="#c0392b", alpha=0.5, lw=0)
    axes.yaxis.set_major_formatter(PercentFormatter(1.0))
    axes.set_title("Underwater (drawdown from peak)")
    axes.grid(alpha=0.3)
    return _png(figure)


def diagnostic_chart(signals: pd.DataFrame, spec: DiagnosticChart) -> bytes | None:
    """The strategy's own chart from the values it recorded."""
    present = [name for name in spec.lines if name in signals.columns]
    if spec.line_prefix:
        present += [c for c in signals.columns if c.startswith(spec.line_prefix)]
    stacked = ([c for c in signals.columns if c.startswith(spec.stacked_prefix)]
               if spec.stacked_prefix else [])
    if not present and not stacked:
        return None
    figure = Figure(figsize=FIGURE_SIZE)
    axes = figure.add_subplot()
    if stacked:
        values = signals[stacked].fillna(0.0)
        axes.stackplot(signals.index, values.T.to_numpy(), alpha=0.75, lw=0,
                       labels=[c[len(spec.stacked_prefix):] for c in stacked])
    for name in present:
        label = name[len(spec.line_prefix):] if spec.line_prefix and name.startswith(
            spec.line_prefix) else name
        axes.plot(signals.index, signals[name], label=label, lw=1.0)
    if spec.markers and spec.markers in signals.columns:
        days = signals.index[signals[spec.markers].fillna(0).to_numpy() > 0]
        for day in days:
            axes.axvline(day, color="#444444", lw=0.4, alpha=0.35)
        if len(days):
            axes.plot([], [], color="#444444", lw=0.6, label=f"{spec.markers} ({len(days)})")
    if spec.shade and spec.shade in signals.columns:
        active = signals[spec.shade].fillna(0).to_numpy() > 0
        low, high = axes.get_ylim()
        axes.fill_between(signals.index, low, high, where=active, color="#2e8b57", alpha=0.15,
                          lw=0, label=spec.shade)
        axes.set_ylim(low, high)
    if spec.percent:
        axes.yaxis.set_major_formatter(PercentFormatter(1.0))
    axes.set_title(spec.title)
    axes.set_ylabel(spec.ylabel)
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize=8)
    return _png(figure)
