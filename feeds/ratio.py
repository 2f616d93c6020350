"""Derived ratio instruments such as ``801080.SI/000300.SH``: the relative value of two series."""

from __future__ import annotations

import numpy as np
import pandas as pd

RATIO_SEPARATOR = "/"


def split_ratio_symbol(symbol: str) -> tuple[str, str] | None:
    """``'A/B'`` -> ``('A', 'B')``; ``None`` for a plain symbol."""
    if RATIO_SEPARATOR not in symbol:
        return None
    numerator, _, denominator = symbol.partition(RATIO_SEPARATOR)
    return numerator.strip(), denominator.strip()


def ratio_bars(numerator: pd.DataFrame, denominator: pd.DataFrame) -> pd.DataFrame:
    """Bars of ``numerator / denominator`` on the days both have a bar, normalised to start at 1.

    open and close are the ratios of opens and closes; high and low are the larger and smaller of
    those two (the intraday path of a ratio is unknown). Volume and amount are not defined (NaN).
    """
    joined = numerator[["open", "close"]].add_suffix("_a").join(
        denominator[["open", "close"]].add_suffix("_b"), how="inner")
    if joined.empty:
        return pd.DataFrame(columns=["open", "high", "low", "close", "volume", "amount"],
                            index=pd.DatetimeIndex([], name="date"), dtype="float64")
    close = joined["close_a"] / joined["close_b"]
    open_ = joined["open_a"] / joined["open_b"]
    base = close.iloc[0]
    close = close / base
    open_ = open_ / base
    frame = pd.DataFrame({
        "open": open_,
        "high": np.maximum(open_, close),
        "low": np.minimum(open_, close),
        "close": close,
        "volume": np.nan,
        "amount": np.nan,
    }, index=joined.index)
    frame.index.name = "date"
    return frame
