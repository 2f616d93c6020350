"""The sweep's HTML report: the best runs, and a heatmap when two numeric params vary."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from huice.config.schema import RunConfig
from huice.engine.results.report import STYLE


def heatmap_axes(results: pd.DataFrame, varied: list[str]) -> tuple[str, str] | None:
    """The two numeric params to draw against each other, if exactly two vary numerically."""
    numeric = [k for k in varied if pd.api.types.is_numeric_dtype(results[k])
               and results[k].nunique() > 1]
    return (numeric[0], numeric[1]) if len(numeric) == 2 else None


def heatmap_png(results: pd.DataFrame, x: str, y: str, metric: str) -> bytes:
    """Mean of ``metric`` over everything else (e.g. instruments) for each (x, y) cell."""
    table = results[results["status"] == "ok"].pivot_table(index=y, columns=x, values=metric,
                                                          aggfunc="mean")
    figure = Figure(figsize=(7, 5))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    image = axes.imshow(table.to_numpy(dtype=float), origin="lower", cmap="RdYlGn", aspect="auto")
    axes.set_xticks(range(len(table.columns)), [f"{v:g}" for v in table.columns])
    axes.set_yticks(range(len(table.index)), [f"{v:g}" for v in table.index])
    axes.set_xlabel(x)
    axes.set_ylabel(y)
    for (row, col), value in np.ndenumerate(table.to_numpy(dtype=float)):
        if np.isfinite(value):
            axes.text(col, row, f"{value:.2f}", ha="center", va="center", fontsize=7)
    figure.colorbar(image, ax=axes, label=f"mean {metric}")
    axes.set_title(f"{metric} by {x} and {y}")
    figure.subplots_adjust(left=0.14, right=0.98, bottom=0.12, top=0.92)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=96, metadata={"Software": None})
    return buffer.getvalue()


RUNNER_NOTES = {
    "fast": "Runs used the fast runner (huice's own day-by-day loop; outputs identical to "
            "Cerebro's, tests/engine/test_fast_runner.py).",
    "cerebro": "Runs used the Cerebro runner (backtrader's loop).",
}


def write_sweep_report(base: RunConfig, results: pd.DataFrame, ranked: pd.DataFrame,
                       out_dir: Path, extra_html: str = "", runner: str = "cerebro") -> Path:
    """Write ``report.html`` for a sweep."""
    sweep = base.sweep
    varied = [c for c in results.columns
              if c not in ("index", "task_id", "run_id", "status", "error")
              and c.count(".") >= 1]
    figure = ""
    axes = heatmap_axes(results, varied)
    if axes is not None and len(ranked):
        data = base64.b64encode(heatmap_png(results, *axes, sweep.rank_by)).decode("ascii")
        figure = f'<img alt="heatmap" src="data:image/png;base64,{data}">'
    shown = ranked.head(sweep.top)[["index", *varied, sweep.rank_by, "total_return",
                                     "max_drawdown", "trades", "task_id"]]
    failed = results[results["status"] != "ok"]
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(base.name)} sweep</title>
<style>{STYLE}</style></head><body>
<h1>Sweep: {html.escape(base.name)}</h1>
<p>{len(results)} runs, {len(ranked)} succeeded, {len(failed)} failed; ranked by
<b>{html.escape(sweep.rank_by)}</b> ({'highest' if sweep.descending else 'lowest'} first).
Every run's metrics are in results.csv; the best configs are in best/ as runnable YAML.
{html.escape(RUNNER_NOTES[runner])}</p>
<h2>Best runs</h2>{shown.to_html(index=False, border=0, float_format=lambda v: f"{v:.4f}")}
{f"<h2>Heatmap</h2>{figure}" if figure else ""}
{extra_html}
</body></html>
"""
    path = out_dir / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
