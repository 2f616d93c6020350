"""ETF unit NAV (单位净值) and the premium of the traded price over it.

premium_t = close_t / NAV_t - 1, on each trading day the fund traded and has a NAV, with the
two traps of the data handled (docs/data.md, "ETF NAV and premium"):

- **The NAV goes ex one trading day before the exchange price.** On the trading day before an
  ex-date E of the bars (a ``dividend`` or ``split_ratio`` line on E), the NAV has already
  dropped while the close has not: the NAV is put back to the old unit, NAV x split + dividend,
  so that no fake one-day premium appears (510500.SH shows +14.6% on 2022-08-26 otherwise).
- **A cross-border fund's NAV for day T is published a day or more later.** The premium of day
  T is a fact of day T, but a strategy learns it only ``lag`` trading days later:
  :func:`visible_premium` shifts it so that a decision on day t reads the premium of day
  t - lag, the last one published by t's close (``NAV_LAG_DAYS``, by asset class).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from huice.feeds.errors import DataError

BUNDLED_NAV = Path(__file__).resolve().parent.parent / "data" / "nav"
# trading days between a NAV's date and the first close by which it is published: a domestic
# or gold fund publishes day T's NAV on T's evening (seen by a decision after T's close); a
# QDII fund's (priced at the overseas close) on T + 1 or later
NAV_LAG_DAYS = {"cross_border_etf": 1}
PUBLISHED_AFTER_CLOSE = 1  # a NAV comes out in the evening of its publication day


def nav_lag(asset_class: str, overrides: Mapping[str, int] | None = None) -> int:
    """The publication lag of a fund class's NAV in trading days: ``overrides``
    (``data.nav_lag_days``) over the defaults."""
    return {**NAV_LAG_DAYS, **(overrides or {})}.get(asset_class, 0)


def decision_lag(asset_class: str, overrides: Mapping[str, int] | None = None) -> int:
    """Trading days between a NAV's date and the first close a decision can read it at: its
    publication lag plus the evening it is published on (after that day's close)."""
    return nav_lag(asset_class, overrides) + PUBLISHED_AFTER_CLOSE


@dataclass(frozen=True)
class PublishedNav:
    """A fund's unit NAV as a decision sees it: the value and the date it is the NAV of."""

    date: dt.date
    nav: float


def published_positions(nav: pd.Series, calendar: pd.DatetimeIndex, lag: int) -> np.ndarray:
    """For each day of ``calendar``, the position in ``nav`` of the last NAV dated ``lag``
    trading days before it or earlier (:func:`decision_lag`: the last published by that day's
    close), or -1 when there is none."""
    days = calendar.to_numpy()
    seen_through = np.full(len(days), np.datetime64("NaT"), dtype=days.dtype)
    if lag < len(days):
        seen_through[lag:] = days[:len(days) - lag]
    positions = np.searchsorted(nav.index.to_numpy(dtype=days.dtype), seen_through,
                                side="right") - 1
    return np.where(np.isnat(seen_through), -1, positions)


def read_nav(symbol: str, folder: Path = BUNDLED_NAV) -> pd.Series:
    """The unit NAV of ``symbol`` on each date it carries (``<folder>/<symbol>.csv.gz``,
    columns date, nav), a float series on a DatetimeIndex."""
    base = symbol.removesuffix(".qfq")
    path = folder / f"{base}.csv.gz"
    if not path.is_file():
        raise DataError(f"no NAV for {base} (the bundled NAV covers "
                        f"{', '.join(sorted(p.name[:9] for p in folder.glob('*.csv.gz')))})",
                        source=path)
    stat = path.stat()
    return _read(path, stat.st_size, stat.st_mtime_ns).copy()


@functools.lru_cache(maxsize=64)
def _read(path: Path, size: int, mtime: int) -> pd.Series:
    """A NAV file read once per content (its size and modification time)."""
    frame = pd.read_csv(path, parse_dates=["date"])
    if frame["nav"].isna().any() or (frame["nav"] <= 0).any():
        raise DataError("a NAV is missing or not positive", source=path, where="nav")
    return frame.set_index("date")["nav"].astype(float)


def nav_of(bars: pd.DataFrame, symbol: str, folder: Path = BUNDLED_NAV) -> pd.Series:
    """The fund's unit NAV: its bars' ``nav`` line when they have one (imported with
    ``data import``), else the NAV files of ``folder`` (the bundled ones by default)."""
    if "nav" in bars and bars["nav"].notna().any():
        return bars["nav"].dropna().astype(float)
    return read_nav(symbol, folder)


def corrected_nav(bars: pd.DataFrame, nav: pd.Series, calendar: pd.DatetimeIndex
                  ) -> pd.Series:
    """``nav`` on the bars' days (NaN where it has none), with the NAV of the trading day
    before each ex-date of the bars put back to the old unit: NAV x split + dividend."""
    aligned = nav.reindex(bars.index)
    dividend = bars["dividend"].fillna(0.0) if "dividend" in bars else \
        pd.Series(0.0, index=bars.index)
    split = bars["split_ratio"].fillna(1.0) if "split_ratio" in bars else \
        pd.Series(1.0, index=bars.index)
    ex_dates = bars.index[(dividend != 0) | (split != 1)]
    days = calendar.to_numpy()
    for ex_date in ex_dates:
        at = int(np.searchsorted(days, ex_date.to_datetime64()))
        if at == 0:
            continue
        before = pd.Timestamp(days[at - 1])
        if before in aligned.index and pd.notna(aligned[before]):
            aligned[before] = aligned[before] * split[ex_date] + dividend[ex_date]
    return aligned


def premium(bars: pd.DataFrame, nav: pd.Series, calendar: pd.DatetimeIndex) -> pd.Series:
    """close / NAV - 1 on each of the bars' days with a NAV (NaN on the others), the NAV's
    early ex-date corrected (:func:`corrected_nav`)."""
    return (bars["close"] / corrected_nav(bars, nav, calendar) - 1.0).rename("premium")


def visible_premium(series: pd.Series, lag: int) -> pd.Series:
    """``series`` as a decision on each day sees it: the premium of ``lag`` bars earlier (the
    last one whose NAV was published by that day's close)."""
    return series.shift(lag) if lag else series
