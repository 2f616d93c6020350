"""Extending the bundled trading calendar with exchange_calendars' XSHG (used by data/build.py)."""

from __future__ import annotations

from typing import Protocol

import pandas as pd


class Log(Protocol):
    """Where the build writes what it did."""

    def add(self, text: str) -> None: ...


def extend_calendar(calendar: pd.DatetimeIndex, log: Log) -> pd.DatetimeIndex:
    """The data's calendar, checked against exchange_calendars' XSHG over their overlap and
    extended with XSHG's sessions up to the last year whose holidays it records (the current
    year at build time; the next once the State Council has published it and XSHG has it)."""
    import exchange_calendars

    xshg = exchange_calendars.get_calendar("XSHG", start=calendar.min())
    sessions = pd.DatetimeIndex(xshg.sessions.tz_localize(None) if xshg.sessions.tz else
                                xshg.sessions)
    overlap = sessions[sessions <= calendar.max()]
    only_xshg = overlap.difference(calendar)
    only_data = calendar.difference(overlap)
    log.add(f"\nTrading calendar: {len(calendar)} days, {calendar.min().date()} .. "
            f"{calendar.max().date()} from the data (union of the two CSI 300 sources, identical "
            f"on overlap). Checked against exchange_calendars {exchange_calendars.__version__} "
            f"XSHG over the same span: {len(only_xshg)} day(s) only in XSHG"
            + (f" ({', '.join(str(d.date()) for d in only_xshg[:10])})" if len(only_xshg) else "")
            + f", {len(only_data)} only in the data"
            + (f" ({', '.join(str(d.date()) for d in only_data[:10])})" if len(only_data) else "")
            + ".")
    extension = sessions[sessions > calendar.max()]
    if len(extension):
        log.add(f"Extended with XSHG's {len(extension)} sessions {extension.min().date()} .. "
                f"{extension.max().date()} (XSHG records holidays through "
                f"{sessions.max().year}; the next year is added when it does).")
    return calendar.union(extension)
