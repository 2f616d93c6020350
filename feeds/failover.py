"""``data update`` over several sources: the first that answers with fresh bars wins, and the
last days are cross-checked against every other source that answers (docs/data.md, "Sources").

For each symbol of the catalog that an update keeps current, the days after its last stored one
are asked of the sources in order. A source that fails (down, empty, not a table, a column
missing) or answers with a stale bar (the last stored bar again under a new date) is passed
over, with one line saying why, and the next one is asked. The bars kept are validated like any
import and written, for every symbol at once, in one atomic change of the catalog.

Then, for the last ``check_days`` stored days, every source that answers is compared: the one
whose answer tonight already covers those days through that answer, the others asked (an ETF's
shares are not asked for: only prices and volumes are compared). Closes must
agree to the tick and volumes within ``VOLUME_TOLERANCE`` (Sina's volume is compared at the
power of ten that fits). Disagreements are listed and kept in ``crosscheck.csv`` in the catalog
folder (one row per day, symbol, source and field, newest findings last).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from huice.feeds.bars import repeats
from huice.feeds.catalog import Instrument
from huice.feeds.daily_sources import DailySource, EastmoneySource, SourceBars, SourceFailure
from huice.feeds.nav_sources import NavSource
from huice.feeds.nav_update import Finding, carries_nav, update_nav
from huice.feeds.store import CatalogStore, atomic_write

VOLUME_TOLERANCE = 0.02
CROSSCHECK_FILE = "crosscheck.csv"
CROSSCHECK_COLUMNS = ["checked", "date", "symbol", "source", "field", "stored", "other"]


def _targets(rows: pd.DataFrame, end: dt.date) -> dict[str, dt.date]:
    """The fetched symbols (:func:`_fetched`) behind ``end``, and the day after their last;
    ``rows``: the catalog by symbol."""
    lasts = {symbol: dt.date.fromisoformat(rows.loc[symbol, "last"]) for symbol in _fetched(rows)}
    return {symbol: last + dt.timedelta(days=1) for symbol, last in lasts.items() if last < end}


def _stale(new: pd.DataFrame, stored: pd.DataFrame) -> bool:
    """The first new bar repeats the last stored one."""
    return not new.empty and not stored.empty and repeats(new.iloc[0], stored.iloc[-1])


def _fetched(rows: pd.DataFrame) -> list[str]:
    """The catalog's fetched symbols (not imported files, not forward-adjusted twins), from
    its rows indexed by symbol."""
    return [symbol for symbol, source in rows["source"].items()
            if not symbol.endswith(".qfq") and str(source).startswith("akshare")]


def _instrument(row: pd.Series, symbol: str) -> Instrument:
    return Instrument(symbol, row["name"], row["asset_class"], row["board"] or None,
                      row["tracks"] or None, source=row["source"])


def _fresh_bars(store: CatalogStore, symbol: str, start: dt.date, stored: pd.DataFrame | None,
                sources: list[DailySource], end: dt.date,
                answered: dict[tuple[str, str], pd.DataFrame], lines: list[str]
                ) -> tuple[DailySource, SourceBars, pd.DataFrame] | None:
    """The first source's answer with fresh bars of ``symbol`` from ``start`` (each passed
    over said in ``lines``; every answer kept in ``answered``), or None."""
    for source in sources:
        # em's forward-adjusted twin is fetched whole (a new dividend rescales its
        # history), its shares outstanding only for the new days, which are all it keeps
        twin = store.bars(f"{symbol}.qfq") if isinstance(source, EastmoneySource) else None
        ask_from = twin.index[0].date() if twin is not None and len(twin) else start
        try:
            answer = (source.bars(symbol, ask_from, end, shares_from=start)
                      if isinstance(source, EastmoneySource)
                      else source.bars(symbol, ask_from, end))
        except SourceFailure as exc:
            lines.append(f"{symbol}: {source.name} failed: {exc.message}; trying the next "
                         "source")
            continue
        answered[(source.name, symbol)] = answer.bars
        new = answer.bars.loc[pd.Timestamp(start):]
        if new.empty:
            lines.append(f"{symbol}: {source.name} has nothing after "
                         f"{start - dt.timedelta(1)}; trying the next source")
            continue
        if stored is not None and _stale(new, stored):
            lines.append(f"{symbol}: {source.name} repeats {stored.index[-1].date()}'s bar "
                         f"under {new.index[0].date()} (a stale bar): not stored; trying the "
                         "next source")
            continue
        return source, answer, new
    return None


def update_with_failover(store: CatalogStore, sources: list[DailySource], end: dt.date,
                         check_days: int = 3, nav_sources: list[NavSource] | None = None,
                         start_nav: bool = False) -> list[str]:
    """Bring every kept-current symbol of the catalog to ``end``, and with ``nav_sources``
    every fund's NAV line (``start_nav``: start one for a fund without; see
    :mod:`huice.feeds.nav_update`); the report's lines."""
    rows = store.rows().set_index("symbol")  # the catalog, read once for the whole update
    targets = _targets(rows, end)
    if not targets and not nav_sources:
        return ["nothing to update: every fetched symbol is up to date"]
    entries: dict[str, tuple[Instrument, pd.DataFrame]] = {}
    answered: dict[tuple[str, str], pd.DataFrame] = {}  # (source, symbol): tonight's answer
    lines: list[str] = []
    for symbol, start in targets.items():
        stored = store.bars(symbol)
        chosen = _fresh_bars(store, symbol, start, stored, sources, end, answered, lines)
        if chosen is None:
            lines.append(f"{symbol}: no source gave fresh bars after {start - dt.timedelta(1)}: "
                         "nothing stored (the paper gate will wait for it)")
            continue
        source, answer, new = chosen
        lines += answer.lines
        row = rows.loc[symbol]
        if not answer.has_actions and row["asset_class"] != "index":
            lines.append(f"{symbol}: the {len(new)} day(s) from {source.name} carry no dividend "
                         "or split: one going ex on them would not be booked")
        instrument = _instrument(row, symbol)
        merged = new if stored is None else pd.concat([stored, new[new.index >
                                                                   stored.index[-1]]])
        entries[symbol] = (instrument, merged.reindex(columns=_columns(stored, new)))
        entries.update(answer.extra)
        lines.append(f"{symbol}: {len(new)} new day(s) from {source.name}, through "
                     f"{new.index[-1].date()}")
    if not targets:
        lines.append("nothing to update: every fetched symbol is up to date")
    nav_findings = _update_navs(store, rows, entries, list(nav_sources or ()), start_nav, end,
                                check_days, lines)
    if entries:
        store.write(entries)
    if check_days > 0 and targets:
        lines += cross_check(store, sources, list(targets), end, check_days, answered)
    for finding in nav_findings:
        lines.append(f"cross-check: {finding[1]} {finding[2]} nav: stored {finding[5]:g}, "
                     f"{finding[3]} {finding[6]:g}")
    if nav_findings:
        _keep(store.root / CROSSCHECK_FILE, nav_findings)
    return lines


def _update_navs(store: CatalogStore, rows: pd.DataFrame,
                 entries: dict[str, tuple[Instrument, pd.DataFrame]], nav_sources: list[NavSource],
                 start_nav: bool, end: dt.date, check_days: int, lines: list[str]
                 ) -> list[Finding]:
    """Each fund's NAV line brought current (its entry replaced), its lines appended to
    ``lines``; the NAV cross-check's findings. ``rows``: the catalog by symbol."""
    findings: list[Finding] = []
    for symbol in _fetched(rows) if nav_sources else []:
        row = rows.loc[symbol]
        instrument, bars = entries.get(symbol) or (_instrument(row, symbol), store.bars(symbol))
        if bars is None or bars.empty or not carries_nav(bars, str(row["asset_class"]),
                                                         start_nav):
            continue
        found = update_nav(symbol, bars, nav_sources, end, check_days)
        lines += found.lines
        findings += found.findings
        if found.bars is not bars:
            entries[symbol] = (instrument, found.bars)
    return findings


def _columns(stored: pd.DataFrame | None, new: pd.DataFrame) -> list[str]:
    columns = list(stored.columns) if stored is not None else []
    return columns + [c for c in new.columns if c not in columns]


def cross_check(store: CatalogStore, sources: list[DailySource], symbols: list[str],
                end: dt.date, days: int,
                answered: dict[tuple[str, str], pd.DataFrame] | None = None) -> list[str]:
    """Compare the last ``days`` stored bars of ``symbols`` with every source that answers;
    disagreements are listed and appended to ``crosscheck.csv``. ``answered``: bars a source
    gave tonight by (source, symbol); one that covers the days checked is used instead of
    asking that source again (the same answer: every call waits for the throttle)."""
    findings = []
    lines = []
    for symbol in symbols:
        stored = store.bars(symbol)
        if stored is None or stored.empty:
            continue
        recent = stored.iloc[-days:]
        start = recent.index[0].date()
        agreeing = []
        for source in sources:
            known = (answered or {}).get((source.name, symbol))
            try:
                if known is not None and len(known) and known.index[0] <= recent.index[0]:
                    other = known
                elif isinstance(source, EastmoneySource):
                    other = source.bars(symbol, start, end, with_shares=False).bars
                else:
                    other = source.bars(symbol, start, end).bars
            except SourceFailure:
                continue
            common = recent.index.intersection(other.index)
            if not len(common):
                continue
            found = _disagreements(symbol, source.name, recent.loc[common], other.loc[common])
            findings += found
            if not found:
                agreeing.append(source.name)
        lines.append(f"{symbol}: last {len(recent)} day(s) cross-checked: "
                     + (", ".join(agreeing) + " agree" if agreeing else "no source agrees")
                     + (f"; {sum(1 for f in findings if f[2] == symbol)} disagreement(s)"
                        if any(f[2] == symbol for f in findings) else ""))
    for finding in findings:
        lines.append(f"cross-check: {finding[1]} {finding[2]} {finding[4]}: stored "
                     f"{finding[5]:g}, {finding[3]} {finding[6]:g}")
    if findings:
        _keep(store.root / CROSSCHECK_FILE, findings)
    return lines


def _disagreements(symbol: str, source: str, stored: pd.DataFrame, other: pd.DataFrame
                   ) -> list[tuple[str, str, str, str, str, float, float]]:
    checked = dt.date.today().isoformat()
    found = []
    for day in stored.index:
        if abs(float(stored.loc[day, "close"]) - float(other.loc[day, "close"])) > 0.0005:
            found.append((checked, str(day.date()), symbol, source, "close",
                          float(stored.loc[day, "close"]), float(other.loc[day, "close"])))
    if "volume" in stored and "volume" in other:
        mine, theirs = stored["volume"].astype(float), other["volume"].astype(float)
        usable = (mine > 0) & (theirs > 0)
        if usable.any():
            ratio = float(np.median(mine[usable] / theirs[usable]))
            factor = min((1.0, 100.0, 0.01), key=lambda f: abs(np.log(ratio / f)))
            off = (mine[usable] / (theirs[usable] * factor) - 1).abs() > VOLUME_TOLERANCE
            for day in off[off].index:
                found.append((checked, str(day.date()), symbol, source, "volume",
                              float(mine[day]), float(theirs[day] * factor)))
    return found


def _keep(path: Path, findings: list[Finding]) -> None:
    new = pd.DataFrame(findings, columns=CROSSCHECK_COLUMNS)
    if path.exists():
        new = pd.concat([pd.read_csv(path, dtype={"date": str, "checked": str}), new],
                        ignore_index=True).drop_duplicates(
            subset=["date", "symbol", "source", "field", "stored", "other"], keep="last")
    atomic_write(path, new.to_csv(index=False, lineterminator="\n").encode())
