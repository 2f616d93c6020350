"""The one owner of bar quality: every check of a bar series, worded once.

Every door a bar enters by asks this module: ``data import`` (feeds/importing.py, which repairs
or refuses), the catalog and ``data.files`` of a backtest or a sweep, ``huice.backtest`` with
frames, a paper account's first step and its evening gate (engine/paper/gate.py, which
refuses a day), the benchmark and the inputs of a ratio. Each door applies its own policy to
the same findings (docs/data.md, "Bar quality").

The checks of a series (canonical bar frames, feeds/bars.py):

- ``not_trading_day``: a bar dated on a day the exchange did not trade (inside the calendar);
- ``missing``: no bar on a trading day between the instrument's first and last bar, not known
  to be suspended (a zero-volume bar is the exchange's own suspension: a bar, not missing);
- ``stale``: a bar repeating the previous one exactly, open, high, low, close and volume, with
  volume traded: a source re-sending yesterday under today's date;
- ``limit_jump``: a traded instrument's open or close beyond the day's price limit from the
  previous close (ex-rights on a dividend or split day) by more than a tick (0.5% of the price
  for a forward-adjusted series), with no corporate action to explain it;
- ``magnitude``: for a series with no price limit (an index, a benchmark), a close above
  ``MAGNITUDE`` times or below ``1 / MAGNITUDE`` of the previous one: a unit or scale error
  (x10, fen for yuan), never a real day of an A-share index.

After a bar found beyond its limit or magnitude, the next bar is compared with the last good
one, so that one bad bar is one finding; when the next bar agrees with the bad one instead, the
bad one began a new level (a split nobody recorded) and is the one finding. A forward-adjusted
series is checked for magnitude, not against the limits, over its history: adjusting for
dividends (eastmoney's subtracts them) moves old days' ratios away from the traded ones; its
newest day, where the adjusted price is the traded one, is checked against the limits by the
evening gate. The structure of a bar (a date, positive prices, high
and low covering open and close, volume not negative) is checked by :func:`first_bad_row`,
which the canonical frame (refusing) and the live sources (waiting) both use.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

KINDS: dict[str, str] = {
    "not_trading_day": "a bar on a day the exchange did not trade",
    "missing": "no bar on a trading day inside the instrument's span",
    "stale": "a bar repeating the previous one exactly",
    "limit_jump": "an open or close beyond the day's price limit, unexplained",
    "magnitude": "a close far beyond any real day's move (units or scale)",
}
# found in a run, these stop it in every policy unless accepted by symbol and date
REFUSED_IN_EVERY_POLICY = frozenset({"not_trading_day", "limit_jump", "magnitude"})
MAGNITUDE = 1.5
ADJUSTED_SLACK = 0.005  # a forward-adjusted series' factor rounding: 0.5% of the price
# high/low may miss open/close by this fraction of the price (exchange-published rounding)
RELATIVE_TOLERANCE = 1e-9
PRICE_COLUMNS = ("open", "high", "low", "close")

DayLimits = Callable[[float, dt.date], tuple[float | None, float | None]]


@dataclass(frozen=True)
class Finding:
    """One thing wrong with one instrument's bars on one day."""

    kind: str
    symbol: str
    day: dt.date
    detail: str
    position: int = -1  # the bar's position in its frame (-1: no bar, the day is missing)

    def line(self) -> str:
        """The finding in one line: ``2021-03-10 510500.SH: <what is wrong>``."""
        return f"{self.day} {self.symbol}: {self.detail}"


@dataclass(frozen=True)
class LimitRule:
    """How far a traded instrument's bar may move: its day's limits from a reference price,
    and the slack a bar may pass them by (a tick; more for an adjusted series)."""

    day_limits: DayLimits
    tick: float
    adjusted: bool = False

    def slack(self, reference: float) -> float:
        return max(self.tick, ADJUSTED_SLACK * reference) if self.adjusted else self.tick


# -- the structure of one row ---------------------------------------------------------------

def first_bad_row(dates: pd.Series, prices: np.ndarray, volume: np.ndarray
                  ) -> tuple[int, str, str] | None:
    """The first row that is not a bar, as (position, what is wrong, the rule broken), or
    None. ``dates`` parsed (NaT where a cell is not a date), ``prices`` open, high, low, close
    as floats, ``volume`` as floats (NaN: not reported)."""
    def on(position: int) -> str:
        return str(dates.iloc[position].date())

    candidates: list[tuple[int, str, str]] = []
    bad_date = np.flatnonzero(dates.isna().to_numpy())
    if len(bad_date):
        candidates.append((int(bad_date[0]), "is not a date", "date"))
    nan_rows = np.flatnonzero(np.isnan(prices).any(axis=1))
    if len(nan_rows):
        position = int(nan_rows[0])
        column = PRICE_COLUMNS[int(np.flatnonzero(np.isnan(prices[position]))[0])]
        candidates.append((position, f"{column} is missing (NaN) on {on(position)}",
                           "no NaN in OHLC"))
    with np.errstate(invalid="ignore"):
        non_positive = np.flatnonzero((prices <= 0).any(axis=1))
        open_, high, low, close = prices.T
        slack = RELATIVE_TOLERANCE * np.maximum(np.abs(open_), np.abs(close))
        high_bad = np.flatnonzero(high < np.maximum(open_, close) - slack)
        low_bad = np.flatnonzero(low > np.minimum(open_, close) + slack)
        negative = np.flatnonzero(volume < 0)
    if len(non_positive):
        position = int(non_positive[0])
        column = PRICE_COLUMNS[int(np.flatnonzero(prices[position] <= 0)[0])]
        candidates.append((position, f"{column} {prices[position][PRICE_COLUMNS.index(column)]}"
                                     f" on {on(position)} is not positive", "positive prices"))
    if len(high_bad):
        position = int(high_bad[0])
        candidates.append((position, f"high {high[position]} is below max(open, close) "
                                     f"{max(open_[position], close[position])} on {on(position)}",
                           "high >= max(open, close)"))
    if len(low_bad):
        position = int(low_bad[0])
        candidates.append((position, f"low {low[position]} is above min(open, close) "
                                     f"{min(open_[position], close[position])} on {on(position)}",
                           "low <= min(open, close)"))
    if len(negative):
        position = int(negative[0])
        candidates.append((position, f"volume {volume[position]} on {on(position)} is negative",
                           "volume >= 0"))
    valid = [c for c in candidates if c[2] == "date" or not pd.isna(dates.iloc[c[0]])]
    return min(valid) if valid else None


# -- the checks of a series -----------------------------------------------------------------

def not_trading_days(symbol: str, frame: pd.DataFrame, calendar: pd.DatetimeIndex
                     ) -> list[Finding]:
    """Bars dated inside the calendar's span on a day it does not trade."""
    if not len(calendar) or not len(frame):
        return []
    index = frame.index
    off = (index >= calendar[0]) & (index <= calendar[-1]) & ~index.isin(calendar)
    return [Finding("not_trading_day", symbol, index[p].date(), not_trading_day_detail(),
                    int(p)) for p in np.flatnonzero(off)]


def not_trading_day_detail() -> str:
    return "a bar dated on a day the exchange did not trade (a weekend or a holiday)"


def missing_days(symbol: str, frame: pd.DataFrame, calendar: pd.DatetimeIndex,
                 known_suspended: Container[dt.date] = ()) -> list[Finding]:
    """Trading days between the series' first and last bar with no bar."""
    if not len(calendar) or not len(frame):
        return []
    days = calendar[(calendar >= frame.index[0]) & (calendar <= frame.index[-1])]
    absent = days[~days.isin(frame.index)]
    return [Finding("missing", symbol, day.date(), missing_detail())
            for day in absent if day.date() not in known_suspended]


def missing_detail() -> str:
    return "no bar, though the source has later ones: a dropped bar, or a suspension"


def repeats(bar: pd.Series, previous: pd.Series) -> bool:
    """Whether ``bar`` repeats ``previous`` exactly: open, high, low, close and (where both
    have it) volume all equal, the mark of a source re-sending yesterday under today's date."""
    columns = [c for c in (*PRICE_COLUMNS, "volume") if c in bar.index and c in previous.index]
    return all(bar[c] == previous[c] for c in columns)


def stale_detail(previous_day: dt.date) -> str:
    return (f"the bar repeats {previous_day}'s exactly (open, high, low, close and volume): "
            "a stale bar under a new date")


def stale_bars(symbol: str, frame: pd.DataFrame) -> list[Finding]:
    """Bars repeating the previous bar exactly, with volume traded."""
    if "volume" not in frame.columns or len(frame) < 2:
        return []
    columns = [*PRICE_COLUMNS, "volume"]
    values = frame[columns].to_numpy(dtype=float)
    same = (values[1:] == values[:-1]).all(axis=1) & (values[1:, -1] > 0)
    return [Finding("stale", symbol, frame.index[p + 1].date(),
                    stale_detail(frame.index[p].date()), int(p + 1))
            for p in np.flatnonzero(same)]


def _action(frame: pd.DataFrame, position: int) -> tuple[float, float]:
    dividend = frame["dividend"].iloc[position] if "dividend" in frame.columns else 0.0
    split = frame["split_ratio"].iloc[position] if "split_ratio" in frame.columns else 1.0
    dividend = 0.0 if dividend is None or dividend != dividend else float(dividend)
    split = 1.0 if split is None or split != split or not split else float(split)
    return dividend, split


def jump_of(symbol: str, frame: pd.DataFrame, position: int, reference_position: int,
            limits: LimitRule | None) -> Finding | None:
    """Whether the bar at ``position`` jumps beyond what one day allows from the close at
    ``reference_position``: beyond the day's limits (a traded instrument), or beyond
    ``MAGNITUDE`` (a series with no limit)."""
    bar = frame.iloc[position]
    previous_close = float(frame["close"].iloc[reference_position])
    day = frame.index[position].date()
    if limits is None:
        close = float(bar["close"])
        if previous_close > 0 and not (1 / MAGNITUDE <= close / previous_close <= MAGNITUDE):
            return Finding("magnitude", symbol, day,
                           f"close {close:g} is {close / previous_close:.3g}x the previous "
                           f"close {previous_close:g}, and it has no price limit to explain "
                           "it: no real trading day moves that far (a unit or scale error?)", position)
        return None
    dividend, split = _action(frame, position)
    reference = (previous_close - dividend) / split
    up, down = limits.day_limits(reference, day)
    if up is None or down is None:
        return None
    slack = limits.slack(reference)
    beyond = [f"{name} {float(bar[name]):g}" for name in ("open", "close")
              if float(bar[name]) > up + slack + 1e-9 or float(bar[name]) < down - slack - 1e-9]
    if not beyond:
        return None
    action = (f" (after the day's dividend {dividend:g} and split x{split:g})"
              if dividend or split != 1 else " and no dividend or split that day explains it")
    return Finding("limit_jump", symbol, day,
                   f"{' and '.join(beyond)} beyond the day's limits {down:g} .. {up:g} from "
                   f"the previous close {previous_close:g}{action}", position)


def jumps(symbol: str, frame: pd.DataFrame, limits: LimitRule | None,
          accepted: Container[dt.date] = ()) -> list[Finding]:
    """Every bar beyond its day's limit (or magnitude); after a bad bar the next is compared
    with the last good close. Bars in ``accepted`` are taken as real."""
    if len(frame) < 2:
        return []
    closes = frame["close"].to_numpy(dtype=float)
    if limits is None:  # vectorised first: most series have no candidate at all
        ratio = closes[1:] / closes[:-1]
        if not ((ratio > MAGNITUDE) | (ratio < 1 / MAGNITUDE)).any():
            return []
    findings: list[Finding] = []
    good = 0
    dates = frame.index
    for position in range(1, len(frame)):
        if dates[position].date() in accepted:
            good = position
            continue
        finding = jump_of(symbol, frame, position, good, limits)
        if finding is None:
            good = position
        elif findings and findings[-1].position == good + 1 == position - 1 and \
                jump_of(symbol, frame, position, position - 1, limits) is None:
            good = position  # the bar before began a new level (an unrecorded action): one
        else:               # finding for it, not one for every bar after
            findings.append(finding)
    return findings


def series_findings(symbol: str, frame: pd.DataFrame, calendar: pd.DatetimeIndex | None,
                    limits: LimitRule | None, *, suspended: Container[dt.date] = (),
                    accepted_bars: Container[dt.date] = ()) -> list[Finding]:
    """Every finding of one instrument's bars, in date order (``calendar`` None: the run's
    calendar is its bars, so no calendar or presence check)."""
    findings: list[Finding] = []
    if calendar is not None:
        findings += [f for f in not_trading_days(symbol, frame, calendar)
                     if f.day not in accepted_bars]
        findings += missing_days(symbol, frame, calendar, suspended)
    findings += [f for f in stale_bars(symbol, frame) if f.day not in accepted_bars]
    findings += jumps(symbol, frame, limits, accepted_bars)
    return sorted(findings, key=lambda f: (f.day, f.kind))


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    """How many findings of each kind (every kind, zeros included), for metrics.json."""
    tally = dict.fromkeys(KINDS, 0)
    for finding in findings:
        tally[finding.kind] += 1
    return tally


def bar_is_stale(frame: pd.DataFrame, position: int) -> Finding | None:
    """The stale check of one bar (the evening gate asks it of each new day)."""
    if position <= 0 or "volume" not in frame.columns:
        return None
    bar, previous = frame.iloc[position], frame.iloc[position - 1]
    volume = float(bar["volume"])
    if math.isnan(volume) or volume == 0 or not repeats(bar, previous):
        return None
    return Finding("stale", "", frame.index[position].date(),
                   stale_detail(frame.index[position - 1].date()), position)


def describe(findings: Sequence[Finding]) -> str:
    """One summary line: ``3 findings: 2 missing, 1 stale``."""
    tally = {k: v for k, v in counts(findings).items() if v}
    parts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in tally.items())
    return f"{len(findings)} finding(s) in the bars: {parts}"
