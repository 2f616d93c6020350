"""The SSE/SZSE trading calendar bundled in data/calendar.csv.gz."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from huice.feeds.errors import DataError

BUNDLED_CALENDAR = Path(__file__).resolve().parent.parent / "data" / "calendar.csv.gz"


@lru_cache(maxsize=4)
def read_exchange_calendar(path: Path = BUNDLED_CALENDAR) -> pd.DatetimeIndex:
    """Trading days (midnight timestamps), sorted."""
    if not Path(path).is_file():
        raise DataError("trading calendar file not found", source=path)
    dates = pd.read_csv(path)["date"]
    return pd.DatetimeIndex(pd.to_datetime(dates), name="date").sort_values()
