"""Calendar periods used by rebalancing strategies."""

from __future__ import annotations

import datetime as dt


def period_key(day: dt.date, rebalance: str) -> tuple[int, int]:
    """Which week, month or quarter ``day`` belongs to."""
    if rebalance == "weekly":
        iso = day.isocalendar()
        return iso.year, iso.week
    if rebalance == "quarterly":
        return day.year, (day.month - 1) // 3
    return day.year, day.month
