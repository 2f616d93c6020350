"""``data import`` of a fund's unit NAV (单位净值): the ``nav`` line of its bars.

The layouts of shared/data/raw (SOURCES.md section 7) and akshare's: ``date,nav``
(yangmigh's ``nav_<code>.csv``), efinance's parquet (a ``date`` index, ``nav``, ``cum_nav``,
``pct_change``), and akshare ``fund_etf_fund_info_em``'s ``净值日期, 单位净值, 累计净值, ...``.
The code comes from a code column or from the file's name (``nav_510300.csv``,
``510300_nav.parquet``). The NAV joins the bars of its code (imported in the same call or
stored): its days without a bar (weekends, half-year dates, days before listing) are left out
and counted; the premium model reads the line (:func:`huice.feeds.nav.nav_of`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from huice.feeds.codes import normalise_code
from huice.feeds.errors import DataError


@dataclass(frozen=True)
class NavFormat:
    name: str
    date: str
    nav: str


NAV_FORMATS = (NavFormat("unit NAV (date, nav)", "date", "nav"),
               NavFormat("akshare fund_etf_fund_info_em (净值日期, 单位净值)", "净值日期", "单位净值"))


def nav_format(raw: pd.DataFrame) -> NavFormat | None:
    """The NAV layout of ``raw`` (None when it is not a NAV file: it has prices)."""
    columns = {str(c).strip() for c in raw.columns}
    if "date" not in columns and raw.index.name == "date":
        columns.add("date")
    if columns & {"open", "close", "开盘", "收盘"}:
        return None
    return next((f for f in NAV_FORMATS if {f.date, f.nav} <= columns), None)


def nav_code(path: Path, symbol: str | None) -> str:
    """The symbol a NAV file is for: ``symbol`` if given, else the code in its name."""
    if symbol:
        return symbol
    for word in re.split(r"[_\s.]", path.name):
        found = normalise_code(word)
        if found:
            return found
    raise DataError("cannot tell which fund this NAV is for: name the file after its code "
                    "(nav_510300.csv) or pass --symbol", source=path)


def read_nav_table(path: Path, raw: pd.DataFrame, fmt: NavFormat) -> pd.Series:
    """The unit NAV by date (positive numbers; the first bad row is named)."""
    frame = raw.reset_index() if fmt.date not in raw.columns else raw
    dates = pd.to_datetime(frame[fmt.date].astype(str).str.strip(), errors="coerce",
                           format="mixed")
    values = pd.to_numeric(frame[fmt.nav].astype(str).str.replace(",", ""), errors="coerce")
    bad = dates.isna() | values.isna() | (values <= 0)
    if bad.any():
        line = int(bad.to_numpy().nonzero()[0][0]) + 2
        raise DataError(f"{fmt.nav} {frame[fmt.nav].iloc[line - 2]!r} on "
                        f"{frame[fmt.date].iloc[line - 2]!r} is not a positive NAV on a date",
                        source=path, line=line, where=fmt.nav)
    series = pd.Series(values.to_numpy(dtype=float), index=pd.DatetimeIndex(dates).normalize())
    return series[~series.index.duplicated(keep="last")].sort_index()


def join_nav(frame: pd.DataFrame, nav: pd.Series) -> tuple[pd.DataFrame, list[str]]:
    """``frame`` (bars) with its ``nav`` line from ``nav`` on the bars' days, and the report."""
    frame = frame.copy()
    on_bars = nav.reindex(frame.index)
    existing = frame["nav"] if "nav" in frame else pd.Series(index=frame.index, dtype=float)
    frame["nav"] = on_bars.combine_first(existing)
    left_out = int((~nav.index.isin(frame.index)).sum())
    lines = [f"nav joined on {int(on_bars.notna().sum())} day(s) "
             f"({nav.index[0].date()} .. {nav.index[-1].date()})"]
    if left_out:
        lines.append(f"{left_out} NAV row(s) on days without a bar left out (weekends, "
                     "half-year dates, days before listing or after the bars)")
    return frame, lines
