"""A synthetic ETF universe for benchmarks: N ETFs x M trading days with prices and shares.

Prices follow seeded geometric random walks kept on the 0.001 tick and inside +-10% a day;
shares outstanding follow random creations and redemptions. Everything is generated in memory
from a seed: the same arguments give the same universe.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from huice.feeds.catalog import Instrument


def synthetic_universe(etfs: int, days: int, seed: int = 1, groups: int = 10
                       ) -> tuple[dict[str, pd.DataFrame], dict[str, Instrument]]:
    """Bars and metadata of ``etfs`` ETFs over ``days`` business days from 2010-01-04, spread
    over ``groups`` tracked indices."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2010-01-04", periods=days, name="date")
    frames, instruments = {}, {}
    for number in range(etfs):
        symbol = f"{510000 + number}.SH"
        returns = np.clip(rng.normal(0.0002, 0.015, days), -0.095, 0.095)
        close = np.round(2.0 * np.exp(np.cumsum(returns)), 3)
        previous = np.concatenate([[close[0]], close[:-1]])
        open_ = np.round(previous * (1 + np.clip(rng.normal(0, 0.004, days), -0.09, 0.09)), 3)
        high = np.maximum(open_, close) + np.round(np.abs(rng.normal(0, 0.01, days)), 3)
        low = np.maximum(np.minimum(open_, close) - np.round(np.abs(rng.normal(0, 0.01, days)), 3),
                         0.001)
        volume = np.round(rng.lognormal(17, 0.5, days), -2)
        shares = 1e9 * np.exp(np.cumsum(rng.normal(0, 0.01, days)))
        frames[symbol] = pd.DataFrame({"open": open_, "high": high, "low": low, "close": close,
                                       "volume": volume, "amount": volume * close,
                                       "shares": np.round(shares, -2)}, index=dates)
        instruments[symbol] = Instrument(symbol=symbol, name=f"synthetic {number}",
                                         asset_class="etf", board="main",
                                         tracks=f"IDX{number % groups:02d}")
    return frames, instruments
