"""What ``data import`` checks against the calendar, repairs, and compares with bars the
catalog already holds (docs/data.md, "Checks, repairs and refusals").

- **Non-trading days**: a bar dated on a weekend or an exchange holiday is dropped, and each one
  is listed with its line (free index data carries such rows: the CSI total-return files have
  one on 2018-06-18).
- **Gaps**: a stretch of more than ``GAP_DAYS`` trading days without a bar inside the file is
  listed as a warning (a run treats those days as a suspension).
- **OHLC glitches**: an open or close outside the bar's low..high by at most
  ``max(REPAIR_TICKS ticks, REPAIR_FRACTION of the price)`` is a rounding glitch: the high and
  low are stretched to contain it, as data/build.py repairs the bundled data, and each repaired
  row is listed. Anything wider, and a high below its low, is refused naming the line;
  ``--strict`` refuses every inconsistency.
- **Another instrument's bars**: when the catalog already holds the code, the overlapping days
  must agree (closes within ``CLOSE_TOLERANCE``, volume within ``VOLUME_FACTOR``x on the median
  day); otherwise the import is refused with the first differing days, unless ``--replace``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from huice.feeds import quality
from huice.feeds.errors import DataError

GAP_DAYS = 5
REPAIR_TICKS = 2
REPAIR_FRACTION = 0.001          # 0.1% of the price: what real files' rounding glitches reach
CLOSE_TOLERANCE = 0.005          # 0.5%: adjusted and unadjusted closes differ by far more
VOLUME_FACTOR = 2.0


def drop_non_trading_days(frame: pd.DataFrame, lines: pd.Series, calendar: pd.DatetimeIndex
                          ) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    """Drop bars dated on days the exchange did not trade (inside the calendar's span): the
    import's policy over :func:`huice.feeds.quality.not_trading_days`."""
    found = quality.not_trading_days("", frame, calendar)
    if not found:
        return frame, lines, []
    off = np.zeros(len(frame), dtype=bool)
    off[[f.position for f in found]] = True
    listed = ", ".join(f"{day.date()} (line {line})"
                       for day, line in zip(frame.index[off], lines[off]))
    notes = [f"dropped {int(off.sum())} bar(s) dated on a day the exchange did not trade: "
             f"{listed}"]
    return frame[~off], lines[~off], notes


def gap_warnings(frame: pd.DataFrame, calendar: pd.DatetimeIndex) -> list[str]:
    """Stretches of more than GAP_DAYS trading days without a bar inside the file's span: the
    import's policy over :func:`huice.feeds.quality.missing_days` (a shorter gap is what a
    run lists as a finding, and books as a suspension)."""
    days = calendar[(calendar >= frame.index[0]) & (calendar <= frame.index[-1])]
    missing = {f.day for f in quality.missing_days("", frame, calendar)}
    notes = []
    start = None
    flags = [day.date() in missing for day in days]
    for position, absent in enumerate([*flags, False]):
        if absent and start is None:
            start = position
        elif not absent and start is not None:
            if position - start > GAP_DAYS:
                notes.append(f"warning: no bars {days[start].date()} .. "
                             f"{days[position - 1].date()} ({position - start} trading days): "
                             "a run treats them as a suspension (no trading, last close held)")
            start = None
    return notes


def repair_ohlc(frame: pd.DataFrame, lines: pd.Series, tick: float, source: Path,
                strict: bool, drop_bad: bool = False
                ) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    """Stretch high and low over an open or close a rounding glitch left outside them; refuse
    wider inconsistencies (every one with ``strict``), or with ``drop_bad`` drop those rows and
    list each. Returns the frame, its lines and the report's lines."""
    opens, highs = frame["open"].to_numpy(float), frame["high"].to_numpy(float)
    lows, closes = frame["low"].to_numpy(float), frame["close"].to_numpy(float)
    above = np.maximum(np.maximum(opens, closes) - highs, 0.0)
    below = np.maximum(lows - np.minimum(opens, closes), 0.0)
    gap = np.maximum(above, below)
    tolerance = np.maximum(REPAIR_TICKS * tick, REPAIR_FRACTION * np.abs(closes))
    inverted = highs < lows
    wrong = gap > 1e-12
    too_wide = inverted | (wrong if strict else gap > tolerance + 1e-12)
    notes = []
    if too_wide.any() and drop_bad:
        rows = np.flatnonzero(too_wide)
        listed = ", ".join(f"{frame.index[r].date()} (line {int(lines.iloc[r])}: "
                           + ("high below low" if inverted[r] else
                              f"open/close {gap[r]:g} outside high/low") + ")"
                           for r in rows[:10]) + (" ..." if len(rows) > 10 else "")
        notes.append(f"warning: dropped {len(rows)} bar(s) that break the bar rules beyond a "
                     f"rounding glitch (--drop-bad-rows): {listed}")
        keep = ~too_wide
        frame, lines = frame[keep], lines[keep]
        opens, highs, lows, closes = opens[keep], highs[keep], lows[keep], closes[keep]
        gap, wrong = gap[keep], wrong[keep]
    elif inverted.any():
        row = int(np.flatnonzero(inverted)[0])
        raise DataError(f"high {highs[row]:g} is below low {lows[row]:g} on "
                        f"{frame.index[row].date()}: not a rounding glitch; fix the row, or "
                        "import with --drop-bad-rows to leave such rows out (each is listed)",
                        source=source, line=int(lines.iloc[row]), where="high >= low")
    elif too_wide.any():
        row = int(np.flatnonzero(too_wide)[0])
        side = "above the high" if above[row] > 0 else "below the low"
        why = ("--strict refuses every inconsistency" if strict else
               f"beyond the {REPAIR_TICKS} ticks or {REPAIR_FRACTION:.1%} of the price a "
               "rounding glitch explains")
        raise DataError(f"open {opens[row]:g} / close {closes[row]:g} lie {gap[row]:g} {side} "
                        f"on {frame.index[row].date()} (high {highs[row]:g}, low {lows[row]:g}): "
                        f"{why}; fix the row, or import with --drop-bad-rows to leave such "
                        "rows out (each is listed)", source=source, line=int(lines.iloc[row]),
                        where="low <= open, close <= high")
    fixed = np.flatnonzero(wrong)
    if not len(fixed):
        return frame, lines, notes
    repaired = frame.copy()
    repaired["high"] = np.maximum(highs, np.maximum(opens, closes))
    repaired["low"] = np.minimum(lows, np.minimum(opens, closes))
    listed = ", ".join(f"{frame.index[r].date()} (line {int(lines.iloc[r])}, by {gap[r]:g})"
                       for r in fixed[:10]) + (" ..." if len(fixed) > 10 else "")
    return repaired, lines, notes + [
        f"repaired {len(fixed)} bar(s) whose open or close lay outside its high/low by a "
        f"rounding glitch (high/low stretched): {listed}"]


def compare_with_stored(symbol: str, frame: pd.DataFrame, stored: pd.DataFrame, source: Path,
                        replace: bool) -> list[str]:
    """Refuse bars that disagree with what the catalog holds for ``symbol`` (unless
    ``replace``): another instrument's prices, other adjustments, other units."""
    common = frame.index.intersection(stored.index)
    if len(common) == 0:
        return [f"{symbol} is in the catalog; these bars do not overlap it, so they replace it"]
    new, old = frame.loc[common, "close"], stored.loc[common, "close"]
    relative = (new / old - 1.0).abs()
    differing = relative[relative > CLOSE_TOLERANCE]
    problems = []
    if len(differing):
        shown = "; ".join(f"{day.date()} close {new[day]:g} vs {old[day]:g}"
                          for day in differing.index[:3])
        problems.append(f"{len(differing)} of {len(common)} overlapping days' closes differ by "
                        f"more than {CLOSE_TOLERANCE:.1%} ({shown})")
    if "volume" in frame and "volume" in stored:
        volumes = (frame.loc[common, "volume"] / stored.loc[common, "volume"]).replace(
            [np.inf, -np.inf], np.nan).dropna()
        if len(volumes) and not (1 / VOLUME_FACTOR <= volumes.median() <= VOLUME_FACTOR):
            problems.append(f"volume is {volumes.median():.3g}x the stored volume on the median "
                            "overlapping day (other units?)")
    if not problems:
        return [f"{symbol} is in the catalog: the {len(common)} overlapping days agree"]
    if replace:
        return [f"{symbol} replaced (--replace) although " + " and ".join(problems)
                + "; the previous catalog is kept: `data undo` restores it"]
    raise DataError(f"{symbol} is already in the catalog and these bars disagree with it: "
                    + " and ".join(problems) + ". If this file is right, import it with "
                    "--replace (the previous catalog stays restorable with `data undo`)",
                    source=source)


# a broad or industry index trades at least 100 million CNY a day and never 10 trillion
INDEX_AMOUNT_RANGE = (1e8, 1e13)
AMOUNT_UNITS = ((1e4, "万 CNY"), (1e8, "亿 CNY"), (1e3, "thousand CNY"))


def index_amount_units(frame: pd.DataFrame, symbol: str, source: Path,
                       reference: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[str]]:
    """An index's amount cannot be checked against volume x close (points are not a price),
    so it is checked against the bundled catalog's amount for the same index where it has one
    (``reference``; a clean power of ten is applied and announced), else by magnitude: a median
    day outside 1e8..1e13 CNY is converted by the one power of ten that brings it inside
    (announced), or refused."""
    if "amount" not in frame or frame["amount"].dropna().empty:
        return frame, []
    factor = _factor_from_reference(frame, reference, "amount")
    volume_factor = _factor_from_reference(frame, reference, "volume") \
        if factor is None and (frame.get("volume") is None or frame["volume"].fillna(0).eq(0).all()) \
        else None
    if volume_factor is not None:
        moved = frame.copy()
        moved["volume"] = moved.pop("amount") * volume_factor
        unit = {1.0: "shares", 100.0: "lots of 100"}.get(volume_factor, f"x{volume_factor:g}")
        return moved, [f"the amount column holds volume in {unit}, not CNY (the bundled "
                       f"{symbol}'s volume is {volume_factor:g}x it on the shared days): used "
                       f"as volume x{volume_factor:g}; amount left empty"]
    if factor is not None:
        if factor == 1.0:
            return frame, [f"amount in CNY (it matches the bundled {symbol}'s amount)"]
        converted = frame.copy()
        converted["amount"] = converted["amount"] * factor
        name = dict(AMOUNT_UNITS).get(factor, f"units of {factor:g} CNY")
        return converted, [f"amount looks like {name} (the bundled {symbol}'s amount is "
                           f"{factor:g}x it on the shared days): x{factor:g}"]
    median = float(frame["amount"].dropna().median())
    low, high = INDEX_AMOUNT_RANGE
    if low <= median <= high or median <= 0:
        return frame, []
    fits = [(factor, name) for factor, name in AMOUNT_UNITS if low <= median * factor <= high]
    if median < low and len(fits) == 1:
        factor, name = fits[0]
        converted = frame.copy()
        converted["amount"] = converted["amount"] * factor
        return converted, [f"amount looks like {name} (median day {median:g}, an index trades "
                           f"1e8..1e13 CNY a day): x{factor:g}"]
    units = " or ".join(name for _, name in fits)
    raise DataError(f"{symbol}'s amount has a median day of {median:g}, not an index's daily "
                    "turnover in CNY (1e8..1e13): "
                    + (f"it could be in {units}; convert it to CNY in the file" if fits else
                       "no power of ten makes it one; fix the file's units"),
                    source=source, where="amount")


def _factor_from_reference(frame: pd.DataFrame, reference: pd.DataFrame | None,
                           column: str) -> float | None:
    """The power of ten (1, 100, 1e3, 1e4, 1e8) that makes ``frame``'s amount the reference's
    ``column`` on the median shared day, when one is within 5%; None without a usable
    reference."""
    if reference is None or column not in reference:
        return None
    common = frame.index.intersection(reference.index)
    ratio = (reference.loc[common, column] / frame.loc[common, "amount"]).replace(
        [np.inf, -np.inf], np.nan).dropna()
    ratio = ratio[ratio > 0]
    if len(ratio) < 20:
        return None
    median = float(ratio.median())
    for factor in (1.0, 100.0, 1e3, 1e4, 1e8):
        if abs(median / factor - 1.0) <= 0.05:
            return factor
    return None


def overnight_gap_warnings(frame: pd.DataFrame, limit: float) -> list[str]:
    """Unadjusted bars that open beyond the day's limit from the previous close, on a day with
    no dividend or split line: an unrecorded corporate action (the run would book none)."""
    if limit <= 0 or len(frame) < 2:
        return []
    previous = frame["close"].shift()
    move = (frame["open"] / previous - 1.0).abs()
    actions = pd.Series(False, index=frame.index)
    if "dividend" in frame:
        actions |= frame["dividend"].fillna(0) > 0
    if "split_ratio" in frame:
        actions |= frame["split_ratio"].fillna(1) != 1
    days = frame.index[(move > limit + 0.005) & ~actions]
    if not len(days):
        return []
    listed = ", ".join(str(day.date()) for day in days[:8]) + (" ..." if len(days) > 8 else "")
    return [f"warning: {len(days)} open(s) beyond the ±{limit:.0%} daily limit from the previous "
            f"close with no dividend or split line ({listed}): unrecorded dividends or splits? "
            "A run books none; import the actions, or use forward-adjusted bars (.qfq)"]
