"""``python run.py monitor crowding CONFIG [--date D]``: the industry crowding monitor.

Writes into the output folder: ``crowding.csv`` (every day and industry: measures, their
percentiles, the score), ``ranked.csv`` (the industries on the date, most crowded first) and
``report.html`` (a heatmap of the industries' scores over the last days, the ranked table and
how the score is made, in the config's ``report.language``).
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import pandas as pd

from huice.config.errors import ConfigError
from huice.config.schema import RunConfig
from huice.engine.results.labels import joined, say
from huice.engine.results.page import html_page, section
from huice.engine.results.writer import write_folder
from huice.feeds.loading import load_market
from huice.strategies.crowding import MEASURES, CrowdingParams, crowding_from_market

HEATMAP_DAYS = 60
MONITOR = "crowding_monitor"  # its words' table in engine/results/labels.yaml


def monitor_settings(config: RunConfig) -> tuple[list[str], str, CrowdingParams]:
    """The universe, reference and crowding params: the industry_rotation strategy's when the
    config runs it, else the 31 SW L1 industries against CSI 300 with default params."""
    from huice.strategies.industry_rotation import IndustryRotationParams

    if config.strategy.name == "industry_rotation":
        params = IndustryRotationParams.model_validate(config.strategy.params)
    else:
        params = IndustryRotationParams()
    return params.universe, params.reference, params.crowding


def _say(key: str, language: str, **values: object) -> str:
    return say(MONITOR, key, language, **values)


def heatmap_chart(scores: pd.DataFrame, names: dict[str, str], language: str = "en") -> str:
    """Industries down, days across, the score on a fixed 0-100 scale (green calm, red
    crowded), drawn by the report's inline plotly.js."""
    from huice.engine.results.plotly_traces import DIVERGING, chart_div, dates, heatmap

    traces, layout = heatmap(scores.T.to_numpy(dtype=float), dates(scores.index),
                             [f"{s} {names.get(s, '')}" for s in scores.columns],
                             title=_say("chart_title", language),
                             colour_title=_say("colour_title", language),
                             zrange=(0, 100), colorscale=DIVERGING, reverse=True)
    layout.update(margin={"l": 190, "r": 20, "t": 40, "b": 60})
    layout["xaxis"] = {}  # dates, not categories
    layout["yaxis"]["autorange"] = "reversed"
    return chart_div("crowding-heatmap", traces, layout, height=120 + 22 * len(scores.columns))


def monitor_page(day: pd.Timestamp, recent: pd.DataFrame, names: dict[str, str],
                 ranked: pd.DataFrame, params: CrowdingParams, reference: str,
                 language: str = "en") -> str:
    """The monitor's report.html in ``language``: the recent heatmap and the ranked table."""
    weights = joined([f"{_say('measure_' + m, language)} {w:g}"
                      for m, w in params.weights.items()], language)
    shown = ranked.copy()
    shown.columns = _say("columns", language).split(",")
    title = _say("title", language, day=day.date())
    return html_page(
        title=title, heading=_say("heading", language, day=day.date()), language=language,
        intro=[_say("intro", language, weights=html.escape(weights),
                    measure_days=params.measure_days, reference=html.escape(reference),
                    percentile_days=params.percentile_days)],
        sections=[section("recent", _say("recent", language, days=len(recent)),
                          heatmap_chart(recent, names, language)),
                  section("ranked", _say("ranked", language, day=day.date()), shown.to_html(
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
    language = config.report.language
    names = {s: market.instruments[s].display_name(language) for s in universe}
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
        page = monitor_page(day, recent, names, ranked, params, reference, language)
        (staging / "report.html").write_text(page, encoding="utf-8")

    write_folder(out_dir, "monitor", write_files)
    return ranked
