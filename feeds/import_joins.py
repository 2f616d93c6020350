"""What ``data import`` joins to bars already imported or stored: shares outstanding, unit
NAV and dividend tables (feeds/importing.py reads the files; this module joins them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from huice.feeds.action_tables import join_actions, read_action_table
from huice.feeds.catalog import Instrument
from huice.feeds.errors import DataError
from huice.feeds.nav_import import NavFormat, join_nav, nav_code, read_nav_table
from huice.feeds.store import CatalogStore


@dataclass
class FileReport:
    """What one file held and what was done to it."""

    path: Path
    symbols: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

Entries = dict[str, tuple[Instrument, pd.DataFrame]]


def join_shares(store: CatalogStore, entries: Entries,
                read: tuple[dict[str, pd.Series], FileReport]) -> FileReport:
    """A shares file's daily shares outstanding (``import_shares``'s) joined to the bars of
    its codes."""
    series, report = read
    joined = []
    for code, values in series.items():
        if not with_entry(store, entries, code):
            continue
        instrument, frame = entries[code]
        frame = frame.copy()
        frame["shares"] = values.reindex(frame.index).combine_first(
            frame["shares"] if "shares" in frame else pd.Series(index=frame.index,
                                                                dtype=float))
        entries[code] = (instrument, frame)
        joined.append(code)
    skipped = sorted(set(series) - set(joined))
    report.lines.append(f"shares joined to {', '.join(joined) or 'nothing'}"
                        + (f"; {len(skipped)} without bars in the catalog skipped"
                           if skipped else ""))
    return report


def join_nav_file(store: CatalogStore, entries: Entries, path: Path, raw: pd.DataFrame,
                   fmt: NavFormat, symbol: str | None) -> FileReport:
    """A NAV file's unit NAV joined as the ``nav`` line of its fund's bars."""
    code = nav_code(path, symbol)
    report = FileReport(path, lines=[f"format: {fmt.name}"], symbols=[code])
    if not with_entry(store, entries, code):
        raise DataError(f"no bars of {code} in the catalog or among the files imported with "
                        "it: import its bars first (the NAV is a line of them)", source=path)
    instrument, frame = entries[code]
    frame, lines = join_nav(frame, read_nav_table(path, raw, fmt))
    entries[code] = (instrument, frame)
    report.lines += lines
    return report


def join_action_table(store: CatalogStore, entries: Entries, path: Path, raw: pd.DataFrame,
                       action_format: Any, symbol: str | None, replace: bool) -> FileReport:
    """A dividend table's actions joined to the bars of its codes."""
    report = FileReport(path, lines=[f"format: {action_format.name} (dividends and splits)"])
    tables = read_action_table(path, raw, action_format, symbol)
    for code, actions in tables.items():
        if not with_entry(store, entries, code):
            continue
        instrument, frame = entries[code]
        frame, lines = join_actions(code, frame, actions, path, replace)
        entries[code] = (instrument, frame)
        report.symbols.append(code)
        report.lines += lines
    without_bars = len(tables) - len(report.symbols)
    if not report.symbols:
        report.lines.append("no code in this table has bars in the catalog or among the "
                            "files imported with it: nothing booked")
    elif without_bars:
        report.lines.append(f"{without_bars} code(s) without bars in the catalog left out")
    return report


def with_entry(store: CatalogStore, entries: dict[str, tuple[Instrument, pd.DataFrame]],
                code: str) -> bool:
    """Make sure ``entries`` holds ``code`` (imported in this call, or read from the store);
    False when neither has it."""
    if code in entries:
        return True
    stored = store.bars(code)
    if stored is None:
        return False
    rows = store.rows()
    row = rows[rows["symbol"] == code].iloc[0]
    entries[code] = (Instrument(code, row["name"], row["asset_class"], row["board"] or None,
                                row["tracks"] or None, row["source"]), stored)
    return True
