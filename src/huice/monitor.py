"""``python run.py monitor crowding CONFIG [--date D]``: the industry crowding monitor.

Writes into the output folder: ``crowding.csv`` (every day and industry: measures, their
percentiles, the score), ``ranked.csv`` (the industries on the date, most crowded first) and
``report.html`` (a heatmap of the industries' scores over the last days, the ranked table and
how the score is made).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from huice.config.errors import ConfigError
from huice.config.schema import RunConfig
from huice.engine.results.outputs import check_output_folder, write_marker
from huice.feeds.loading import load_market
from huice.strategies.crowding import MEASURES, CrowdingParams, crowding_from_market

HEATMAP_DAYS = 60


def monitor_settings(config: RunConfig) -> tuple[list[str], str, CrowdingParams]:
    """The universe, reference and crowding params: the industry_rotation strategy's when the
    config runs it, else the 31 SW L1 industries against CSI 300 with default params."""
    from huice.strategies.industry_rotation import IndustryRotationParams

    if config.strategy.name == "industry_rotation":
        params = IndustryRotationParams.model_validate(config.strategy.params)
    else:
        params = IndustryRotationParams()
    return params.universe, params.reference, params.crowding


def heatmap_chart(scores: pd.DataFrame, names: dict[str, str]) -> str:
    """Industries down, days across, the score on a fixed 0-100 scale (green calm, red
    crowded), drawn by the report's inline plotly.js."""
    from huice.engine.results.plotly_charts import DIVERGING, chart_div, dates, heatmap

    traces, layout = heatmap(scores.T.to_numpy(dtype=float), dates(scores.index),
                             [f"{s} {names.get(s, '')}" for s in scores.columns],
                             title="Crowding score (0-100)", colour_title="score",
                             zrange=(0, 100), colorscale=DIVERGING, reverse=True)
    layout.update(margin={"l": 190, "r": 20, "t": 40, "b": 60})
    layout["xaxis"] = {}  # dates, not categories
    layout["yaxis"]["autorange"] = "reversed"
    return chart_div("crowding-heatmap", traces, layout, height=120 + 22 * len(scores.columns))


def run_monitor(config: RunConfig, out_dir: Path, date: dt.date | None = None) -> pd.DataFrame:
    """Compute the crowding of every industry up to ``date`` (default: the last day) and write
    the monitor's files; returns the ranked table."""
    universe, reference, params = monitor_settings(config)
    data = config.data.model_copy(update={"end": date or config.data.end})
    market = load_market(data, [*universe, reference])
    crowding = crowding_from_market(market, universe, reference, params)
    scores = crowding.score.dropna(how="all")
    if scores.empty:
        raise ConfigError(f"no day has a crowding score: the data needs at least "
                          f"{params.percentile_days + params.measure_days} trading days",
                          where="data.start")
    day = scores.index[-1]
    names = {s: market.instruments[s].name for s in universe}
    ranked = pd.DataFrame({
        "symbol": universe, "name": [names[s] for s in universe],
        "score": [crowding.score.loc[day, s] for s in universe],
        **{f"{m}_pct": [crowding.percentiles[m].loc[day, s] if m in crowding.percentiles
                        else float("nan") for s in universe] for m in MEASURES}})
    ranked = ranked.sort_values("score", ascending=False, na_position="last",
                                kind="stable").reset_index(drop=True)
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    check_output_folder(out_dir, "backtest")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        write_marker(staging, "backtest")
        table = crowding.long()
        table["date"] = table["date"].dt.strftime("%Y-%m-%d")
        table.to_csv(staging / "crowding.csv", index=False, lineterminator="\n")
        ranked.to_csv(staging / "ranked.csv", index=False, lineterminator="\n")
        recent = scores.iloc[-HEATMAP_DAYS:]
        from huice.engine.results.plotly_charts import script_tag

        chart = heatmap_chart(recent, names)
        weights = json.dumps(params.weights)
        page = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Industry crowding {day.date()}</title><style>body{{font-family:system-ui,sans-serif;
max-width:1100px;margin:2em auto}}table{{border-collapse:collapse;font-size:.9em}}td,th{{
padding:.2em .7em;border-bottom:1px solid #eee;text-align:right}}</style>{script_tag()}
</head><body>
<h1>Industry crowding monitor, {day.date()}</h1>
<p>Score 0-100 per industry: the weighted mean ({html.escape(weights)}) of the percentiles of
four measures over {params.measure_days} trading days (turnover, share of the industries'
total turnover, annualised volatility, return in excess of {html.escape(reference)}), each
ranked against the industry's own last {params.percentile_days} days. Every value uses data up
to its day only. Fund flows: absent (the industry data has no fund-flow measure). The research
reads a score above 80 as a short-term risk flag; docs/strategies/industry_rotation.md measures
what it meant on 2014-2025.</p>
<h2>Last {len(recent)} days</h2>{chart}
<h2>Ranked on {day.date()}</h2>{ranked.to_html(index=False, border=0,
                                                float_format=lambda v: f"{v:.1f}")}
</body></html>
"""
        (staging / "report.html").write_text(page, encoding="utf-8")
        previous = None
        if out_dir.exists():
            previous = out_dir.with_name(f".{out_dir.name}.old")
            out_dir.rename(previous)
        staging.rename(out_dir)
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ranked
