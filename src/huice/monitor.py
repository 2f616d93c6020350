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
from pathlib import Path

import pandas as pd

from huice.config.errors import ConfigError
from huice.config.schema import RunConfig
from huice.engine.results.page import html_page, section
from huice.engine.results.writer import write_folder
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
    from huice.engine.results.plotly_traces import DIVERGING, chart_div, dates, heatmap

    traces, layout = heatmap(scores.T.to_numpy(dtype=float), dates(scores.index),
                             [f"{s} {names.get(s, '')}" for s in scores.columns],
                             title="Crowding score (0-100)", colour_title="score",
                             zrange=(0, 100), colorscale=DIVERGING, reverse=True)
    layout.update(margin={"l": 190, "r": 20, "t": 40, "b": 60})
    layout["xaxis"] = {}  # dates, not categories
    layout["yaxis"]["autorange"] = "reversed"
    return chart_div("crowding-heatmap", traces, layout, height=120 + 22 * len(scores.columns))


def monitor_page(day: pd.Timestamp, recent: pd.DataFrame, names: dict[str, str],
                 ranked: pd.DataFrame, params: CrowdingParams, reference: str) -> str:
    """The monitor's report.html: the recent heatmap and the ranked table."""
    weights = json.dumps(params.weights)
    return html_page(
        title=f"Industry crowding {day.date()}", heading=f"Industry crowding monitor, "
                                                         f"{day.date()}",
        intro=[f"Score 0-100 per industry: the weighted mean ({html.escape(weights)}) of the "
               f"percentiles of four measures over {params.measure_days} trading days "
               "(turnover, share of the industries' total turnover, annualised volatility, "
               f"return in excess of {html.escape(reference)}), each ranked against the "
               f"industry's own last {params.percentile_days} days. Every value uses data up to "
               "its day only. Fund flows: absent (the industry data has no fund-flow measure). "
               "The research reads a score above 80 as a short-term risk flag; "
               "docs/strategies/industry_rotation.md measures what it meant on 2014-2025."],
        sections=[section("recent", f"Last {len(recent)} days", heatmap_chart(recent, names)),
                  section("ranked", f"Ranked on {day.date()}", ranked.to_html(
                      index=False, border=0, float_format=lambda v: f"{v:.1f}"))])


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
    recent = scores.iloc[-HEATMAP_DAYS:]

    def write_files(staging: Path) -> None:
        table = crowding.long()
        table["date"] = table["date"].dt.strftime("%Y-%m-%d")
        table.to_csv(staging / "crowding.csv", index=False, lineterminator="\n")
        ranked.to_csv(staging / "ranked.csv", index=False, lineterminator="\n")
        page = monitor_page(day, recent, names, ranked, params, reference)
        (staging / "report.html").write_text(page, encoding="utf-8")

    write_folder(out_dir, "monitor", write_files)
    return ranked
