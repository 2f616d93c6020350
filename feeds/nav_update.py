"""A fund's NAV line kept current by ``data fetch --nav`` and ``data update``, with the bars'
failover and cross-check (docs/data.md, "ETF NAV and premium").

A fund carries NAV once its bars have a ``nav`` line (``data import`` of a NAV file, ``data
fetch --nav``, or ``data update --nav``, which starts one for every fund it updates). The days
after its last NAV are asked of the NAV sources in order (:mod:`huice.feeds.nav_sources`); one
that fails or has nothing new is passed over with a line saying why. A fund publishes day T's
NAV in T's evening (a cross-border fund a day or more later), so the newest bar may have no
NAV yet: the update says so and the next one fills it. Then the last ``check_days`` NAVs are
compared with every other NAV source that answers: they must agree to 0.0001 (the NAV's
published precision), else the finding is listed and kept in ``crosscheck.csv``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from huice.feeds.daily_sources import SourceFailure
from huice.feeds.nav_import import join_nav
from huice.feeds.nav_sources import NavSource

NAV_TOLERANCE = 0.00005  # NAVs are published to 4 decimals: any visible difference counts
Finding = tuple[str, str, str, str, str, float, float]


@dataclass
class NavUpdate:
    """What the NAV sources gave tonight for one fund: the bars with their NAV line, the
    report's lines, the cross-check's findings."""

    bars: pd.DataFrame
    lines: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def carries_nav(bars: pd.DataFrame, asset_class: str, start_lines: bool) -> bool:
    """Whether a fund's NAV is kept current: its bars have a nav line, or ``start_lines`` and it
    is a fund (an ETF of any class)."""
    return "nav" in bars.columns or (start_lines and asset_class.endswith("etf"))


def update_nav(symbol: str, bars: pd.DataFrame, sources: list[NavSource], end: dt.date,
               check_days: int = 3) -> NavUpdate:
    """``bars`` with the NAV of the days after their last NAV joined, from the first source
    that has it; then the last ``check_days`` NAVs cross-checked against the other sources."""
    known = bars["nav"].dropna() if "nav" in bars.columns else pd.Series(dtype=float)
    ask_from = (known.index[-1] + pd.Timedelta(days=1) if len(known) else bars.index[0]).date()
    update = NavUpdate(bars)
    answers: dict[str, pd.Series] = {}
    if ask_from <= bars.index[-1].date():
        for source in sources:
            try:
                nav = source.nav(symbol, ask_from, end)
            except SourceFailure as exc:
                update.lines.append(f"{symbol}: NAV from {source.name} failed: {exc.message}; "
                                    "trying the next source")
                continue
            answers[source.name] = nav
            new = nav.loc[pd.Timestamp(ask_from):bars.index[-1]]
            if not new.index.isin(bars.index).any():
                update.lines.append(f"{symbol}: {source.name} has no NAV after "
                                    f"{ask_from - dt.timedelta(days=1)}; trying the next source")
                continue
            update.bars, joined = join_nav(bars, new)
            on_bars = int(new.index.isin(bars.index).sum())
            update.lines.append(f"{symbol}: NAV on {on_bars} new day(s) from {source.name}, "
                                f"through {new.index[-1].date()}")
            update.lines += [f"{symbol}: {line}" for line in joined[1:]]
            break
        else:
            update.lines.append(f"{symbol}: no NAV source gave a NAV after "
                                f"{ask_from - dt.timedelta(days=1)}")
    last = update.bars.index[-1]
    if "nav" not in update.bars.columns or pd.isna(update.bars["nav"].iloc[-1]):
        update.lines.append(f"{symbol}: no NAV yet for {last.date()} (a fund publishes its NAV "
                            "in the evening, a cross-border one a day or more later): the next "
                            "update fills it")
    if check_days > 0 and "nav" in update.bars.columns:
        _cross_check(symbol, update, sources, answers, end, check_days)
    return update


def _cross_check(symbol: str, update: NavUpdate, sources: list[NavSource],
                 answers: dict[str, pd.Series], end: dt.date, days: int) -> None:
    recent = update.bars["nav"].dropna().iloc[-days:]
    if recent.empty:
        return
    agreeing = []
    checked = dt.date.today().isoformat()
    for source in sources:
        known = answers.get(source.name)
        try:
            other = (known if known is not None and len(known)
                     and known.index[0] <= recent.index[0]
                     else source.nav(symbol, recent.index[0].date(), end))
        except SourceFailure:
            continue
        common = recent.index.intersection(other.index)
        if not len(common):
            continue
        off = [(checked, str(day.date()), symbol, source.name, "nav", float(recent[day]),
                float(other[day])) for day in common
               if abs(float(recent[day]) - float(other[day])) > NAV_TOLERANCE]
        update.findings += off
        if not off:
            agreeing.append(source.name)
    update.lines.append(f"{symbol}: last {len(recent)} NAV(s) cross-checked: "
                        + (", ".join(agreeing) + " agree" if agreeing else "no source agrees")
                        + (f"; {len(update.findings)} disagreement(s)" if update.findings
                           else ""))
