"""``python run.py monitor premium CONFIG [--date D]``: the ETF premium monitor.

For each fund with a NAV: its latest day with both a close and a NAV, the premium close / NAV
- 1 (the NAV's early ex-date corrected, :mod:`huice.feeds.nav`), its Z over the strategy's
window and its percentile in the fund's own history; the funds beyond the thresholds; a chart
of the premiums of the last days. Writes ``premium.csv`` (every day and fund), ``today.csv``
and ``report.html`` (offline, in the config's report language) into the output folder.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import pandas as pd

from huice.config.errors import ConfigError
from huice.config.schema import RunConfig
from huice.engine.results.labels import text
from huice.engine.results.page import html_page, section
from huice.engine.results.writer import write_folder
from huice.feeds.loading import load_market
from huice.feeds.nav import BUNDLED_NAV, nav_of, premium
from huice.strategies.premium_zscore import PremiumParams

HISTORY_DAYS = 250
WORDS = "premium_monitor"


def premium_table(config: RunConfig, date: dt.date | None
                  ) -> tuple[PremiumParams, pd.DataFrame, dict[str, str]]:
    """The params (the config's premium_zscore params, or the defaults), every fund's daily
    close, NAV, premium and Z (long), and the funds' names."""
    raw = config.strategy.params if config.strategy.name == "premium_zscore" else {}
    params = PremiumParams.model_validate(raw)
    data = config.data.model_copy(update={"end": date or config.data.end})
    market = load_market(data, params.universe)
    calendar = market.exchange_calendar if market.exchange_calendar is not None \
        else market.calendar
    frames = []
    for symbol in params.universe:
        bars = market.bars(symbol)
        nav = nav_of(bars, symbol, params.nav_folder or BUNDLED_NAV)
        series = premium(bars, nav, calendar).dropna()
        z = (series - series.rolling(params.window).mean()) / series.rolling(params.window).std()
        rank = series.expanding().rank(pct=True)
        frames.append(pd.DataFrame({"date": series.index, "symbol": symbol,
                                    "close": bars["close"].reindex(series.index).to_numpy(),
                                    "nav": nav.reindex(series.index).to_numpy(),
                                    "premium": series.to_numpy(), "z": z.to_numpy(),
                                    "percentile": rank.to_numpy()}))
    table = pd.concat(frames, ignore_index=True)
    if table.empty:
        raise ConfigError("no fund has a day with both a close and a NAV in the data's span",
                          where="data")
    names = {s: market.instruments[s].display_name(config.report.language)
             for s in params.universe}
    return params, table, names


def latest(table: pd.DataFrame, params: PremiumParams, language: str) -> pd.DataFrame:
    """Each fund's latest day, with its signal."""
    last = table.sort_values("date").groupby("symbol").tail(1).set_index("symbol")
    last = last.reindex(params.universe).reset_index()

    def signal(z: float) -> str:
        if z <= params.entry_z:
            return text(WORDS, "discount", language).format(entry=f"{params.entry_z:g}")
        if z >= params.exit_z:
            return text(WORDS, "rich", language).format(exit=f"{params.exit_z:g}")
        return ""
    last["signal"] = [signal(z) for z in last["z"]]
    return last


def history_chart(table: pd.DataFrame, names: dict[str, str], language: str) -> str:
    from huice.engine.results.plotly_traces import chart_div, dates, line

    wide = table.pivot(index="date", columns="symbol", values="premium").iloc[-HISTORY_DAYS:]
    traces = [line(dates(wide.index), (wide[s] * 100).to_numpy(), f"{s} {names.get(s, '')}")
              for s in wide.columns]
    layout = {"title": {"text": text(WORDS, "history", language).format(days=len(wide))},
              "yaxis": {"ticksuffix": "%"}}
    return chart_div("premium-history", traces, layout, height=420)


def premium_page(day: pd.Timestamp, last: pd.DataFrame, table: pd.DataFrame,
                 names: dict[str, str], params: PremiumParams, language: str) -> str:
    flagged = [f"{s} ({z:+.2f})" for s, z, signal in
               zip(last["symbol"], last["z"], last["signal"]) if signal]
    shown = pd.DataFrame({
        "symbol": last["symbol"], "name": [names.get(s, "") for s in last["symbol"]],
        "date": pd.to_datetime(last["date"]).dt.strftime("%Y-%m-%d"),
        "close": [f"{v:g}" for v in last["close"]], "nav": [f"{v:g}" for v in last["nav"]],
        "premium": [f"{v:+.2%}"[:-1] for v in last["premium"]],
        "z": [f"{v:+.2f}" if pd.notna(v) else "" for v in last["z"]],
        "percentile": [f"{v * 100:.0f}" for v in last["percentile"]],
        "signal": last["signal"]})
    shown.columns = text(WORDS, "columns", language).split(",")
    intro = text(WORDS, "intro", language).format(
        window=params.window, entry=f"{params.entry_z:g}", exit=f"{params.exit_z:g}",
        flagged=html.escape(", ".join(flagged) or text(WORDS, "none", language)))
    title = text(WORDS, "title", language).format(day=day.date())
    return html_page(title=title, heading=title, intro=[intro], language=language,
                     sections=[section("today", text(WORDS, "today", language),
                                       shown.to_html(index=False, border=0, escape=True)),
                               section("history", text(WORDS, "history", language).format(
                                   days=min(HISTORY_DAYS, table["date"].nunique())),
                                   history_chart(table, names, language))])


def run_premium_monitor(config: RunConfig, out_dir: Path,
                        date: dt.date | None = None) -> pd.DataFrame:
    """Write the monitor's files; returns each fund's latest day."""
    params, table, names = premium_table(config, date)
    language = config.report.language
    last = latest(table, params, language)
    day = pd.Timestamp(table["date"].max())

    def write_files(staging: Path) -> None:
        out = table.copy()
        out["date"] = pd.to_datetime(out["date"]).dt.strftime("%Y-%m-%d")
        out.to_csv(staging / "premium.csv", index=False, lineterminator="\n")
        today = last.copy()
        today["date"] = pd.to_datetime(today["date"]).dt.strftime("%Y-%m-%d")
        today.to_csv(staging / "today.csv", index=False, lineterminator="\n")
        page = premium_page(day, last, table, names, params, language)
        (staging / "report.html").write_text(page, encoding="utf-8")

    write_folder(out_dir, "monitor", write_files)
    return last
