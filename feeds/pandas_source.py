"""Turn an in-memory pandas DataFrame into a validated bar frame."""

from __future__ import annotations

import pandas as pd

from huice.feeds.bars import to_bar_frame


def bars_from_frame(frame: pd.DataFrame, name: str = "<DataFrame>") -> pd.DataFrame:
    """Validate a DataFrame of bars (a ``date`` column or a DatetimeIndex, plus OHLC[V]).

    Errors name ``name`` and the row position (0-based) instead of a file line.
    """
    return to_bar_frame(frame, name, first_line=None)
