"""Corporate actions (cash dividends and splits) for imported bars.

Two ways in, both listed in the import's report (docs/data.md, "Dividends and splits"):

- **From the exchange's previous close.** tushare's ``pre_close``, baostock's ``preclose`` and
  akshare's ``涨跌额`` (close minus the previous close) carry the exchange's ex-rights reference
  price. On an ex-date it is below the previous day's close by the cash paid per share (or
  divided by the split ratio), which is how the bundled ETF data was built (data/build.py):
  a drop of at least half a tick is a dividend, or a split when the ratio is outside
  ``SPLIT_RANGE``. Only rows whose previous row is the exchange's previous trading day are
  read: across a gap in the file the previous close is not the exchange's.
- **From a dividend table** (:mod:`huice.feeds.action_tables`): tushare ``fund_div``, akshare
  ``fund_fh_em`` / ``fund_cf_em``, baostock ``query_dividend_data``, or plain
  ``date,dividend[,split_ratio]``, joined to bars imported in the same call or already stored.
"""

from __future__ import annotations

import math

import pandas as pd

SPLIT_RANGE = (0.77, 1.3)   # a fund's previous-close ratio outside this is a split
SHOWN = 6
# a stock's ex-rights reference is (previous close - cash per share) / (1 + bonus per share):
# 送股 and 转增 are given per 10 shares, in whole shares (10转2, 10送3派1); a drop no cash
# dividend would make (beyond MAX_CASH_YIELD of the price in one payment) is a bonus ratio
MAX_CASH_YIELD = 0.05
BONUS_STEPS = tuple(n / 10 for n in range(1, 101))  # 10送1 .. 10转100, per share


def stock_action(previous: float, reference: float, tick: float
                 ) -> tuple[float, float] | None:
    """(cash per old share, new shares per old share) that explain a stock's ex-rights
    reference price: a cash dividend alone when it is at most ``MAX_CASH_YIELD`` of the
    previous close; else the largest bonus in ``BONUS_STEPS`` whose implied cash is between
    nothing (within the reference's rounding) and ``MAX_CASH_YIELD``; None when no reading
    holds (the import says so, or refuses it with ``--strict``)."""
    gap = previous - reference
    if gap <= MAX_CASH_YIELD * previous:
        return roundest(gap - tick / 2, gap + tick / 2, gap), 1.0
    for bonus in reversed(BONUS_STEPS):
        cash = previous - reference * (1 + bonus)
        slack = (tick / 2) * (1 + bonus) + 1e-9  # the reference was rounded to the tick
        if -slack <= cash <= MAX_CASH_YIELD * previous:
            return roundest(cash - slack, cash + slack, cash), round(1 + bonus, 6)
    return None


def roundest(low: float, high: float, estimate: float) -> float:
    """The cash per share in ``low`` .. ``high`` that a company would declare: nothing if that
    is in reach, else the multiple of the coarsest step (per 10 shares: 1, 0.5, 0.1, 0.05,
    0.01 CNY) in reach, nearest the estimate; the estimate to 0.1 fen if none."""
    if low <= 0 <= high:
        return 0.0
    for step in (0.1, 0.05, 0.01, 0.005, 0.001):
        first = math.ceil(low / step - 1e-9)
        last = math.floor(high / step + 1e-9)
        if first <= last:
            best = min(range(first, last + 1), key=lambda n: abs(n * step - estimate))
            return round(best * step, 4)
    return round(estimate, 4)


def _listed(days: pd.Index, values: pd.Series | None = None, fmt: str = "{:g}") -> str:
    items = [f"{day.date()}" + ("" if values is None else " " + fmt.format(values[day]))
             for day in days[:SHOWN]]
    return ", ".join(items) + (f" and {len(days) - SHOWN} more" if len(days) > SHOWN else "")


def actions_from_previous_close(frame: pd.DataFrame, calendar: pd.DatetimeIndex, tick: float,
                                stock: bool = False, strict: bool = False
                                ) -> tuple[pd.DataFrame, list[str]]:
    """``frame`` (indexed by date, with a ``pre_close`` column) with ``dividend`` and
    ``split_ratio`` lines derived from the exchange's previous close, ``pre_close`` dropped, and
    the report's lines. A frame that already has action lines keeps them (nothing derived).
    A ``stock``'s drops are read by :func:`stock_action` (bonus shares, cash, or both: every
    inference listed; one that no reading explains is left out with a warning, or refused
    with ``strict``); a fund's by ``SPLIT_RANGE``."""
    frame = frame.copy()
    reference = frame.pop("pre_close")
    if "dividend" in frame or "split_ratio" in frame or reference.isna().all():
        return frame, []
    previous = frame["close"].shift()
    position = calendar.get_indexer(frame.index)
    prior = pd.Series(position, index=frame.index).shift()
    consecutive = pd.Series((position >= 0) & (prior.to_numpy() == position - 1),
                            index=frame.index)
    gap = previous - reference
    changed = (gap.abs() >= tick / 2) & reference.notna()
    ratio = previous / reference
    if stock:
        return _stock_actions(frame, previous, reference, changed & consecutive & (gap > 0),
                              tick, strict)
    split = changed & consecutive & ((ratio < SPLIT_RANGE[0]) | (ratio > SPLIT_RANGE[1]))
    dividend = changed & consecutive & ~split & (gap > 0)
    frame["dividend"] = gap.where(dividend, 0.0).round(4)
    frame["split_ratio"] = ratio.where(split, 1.0).round(6)
    lines = []
    if dividend.any() or split.any():
        parts = []
        if dividend.any():
            parts.append(f"{int(dividend.sum())} cash dividend(s) "
                         f"({_listed(frame.index[dividend], frame['dividend'])})")
        if split.any():
            parts.append(f"{int(split.sum())} split(s) "
                         f"({_listed(frame.index[split], frame['split_ratio'], 'x{:g}')})")
        lines.append("corporate actions derived from the exchange's previous close (pre_close): "
                     + " and ".join(parts))
    else:
        lines.append("no dividend or split: the exchange's previous close equals the previous "
                     "day's close on every day")
    rising = changed & consecutive & ~split & (gap < 0)
    if rising.any():
        lines.append(f"warning: on {int(rising.sum())} day(s) the exchange's previous close is "
                     f"above the previous day's close ({_listed(frame.index[rising])}): no "
                     "dividend or split explains that, so nothing is booked; check the file")
    after_gap = changed & ~consecutive & previous.notna()
    if after_gap.any():
        lines.append(f"{int(after_gap.sum())} day(s) after a gap in the file differ from the "
                     f"previous bar's close ({_listed(frame.index[after_gap])}): not read as "
                     "actions (the missing days hold the exchange's previous close)")
    return frame, lines


def _stock_actions(frame: pd.DataFrame, previous: pd.Series, reference: pd.Series,
                   drops: pd.Series, tick: float, strict: bool
                   ) -> tuple[pd.DataFrame, list[str]]:
    from huice.feeds.errors import DataError

    frame["dividend"] = 0.0
    frame["split_ratio"] = 1.0
    inferred, undecided = [], []
    for day in frame.index[drops.to_numpy()]:
        found = stock_action(float(previous[day]), float(reference[day]), tick)
        if found is None:
            undecided.append(f"{day.date()} (previous close {previous[day]:g}, reference "
                             f"{reference[day]:g})")
            continue
        cash, ratio = found
        frame.loc[day, ["dividend", "split_ratio"]] = [cash, ratio]
        bonus = round((ratio - 1) * 10, 4)
        inferred.append(f"{day.date()} " + ("" if ratio == 1 else f"10送转{bonus:g}")
                        + (f"{'' if ratio == 1 else ' '}派{cash * 10:g} per 10" if cash else ""))
    lines = []
    if inferred:
        lines.append(f"inferred from the exchange's previous close (pre_close), {len(inferred)} "
                     f"action(s), each a reading of the reference price, check them or import "
                     f"an action table: {'; '.join(inferred)}")
    if undecided:
        message = (f"{len(undecided)} drop(s) of the previous close that no cash dividend and "
                   f"bonus of whole shares per 10 explain: {'; '.join(undecided)}; import the "
                   "stock's action table (date,dividend,split_ratio) to book them")
        if strict:
            raise DataError(message, where="pre_close")
        lines.append(f"warning: {message} (nothing booked on those days)")
    return frame, lines
