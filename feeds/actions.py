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

import pandas as pd

SPLIT_RANGE = (0.77, 1.3)   # a previous-close ratio outside this is a split, not a dividend
SHOWN = 6


def _listed(days: pd.Index, values: pd.Series | None = None, fmt: str = "{:g}") -> str:
    items = [f"{day.date()}" + ("" if values is None else " " + fmt.format(values[day]))
             for day in days[:SHOWN]]
    return ", ".join(items) + (f" and {len(days) - SHOWN} more" if len(days) > SHOWN else "")


def actions_from_previous_close(frame: pd.DataFrame, calendar: pd.DatetimeIndex, tick: float
                                ) -> tuple[pd.DataFrame, list[str]]:
    """``frame`` (indexed by date, with a ``pre_close`` column) with ``dividend`` and
    ``split_ratio`` lines derived from the exchange's previous close, ``pre_close`` dropped, and
    the report's lines. A frame that already has action lines keeps them (nothing derived)."""
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
