"""Dividend and split tables from the market's sources, joined to imported or stored bars.

Formats are recognised by their columns (each source's own names, checked against its
documentation; docs/data.md lists them):

- tushare ``fund_div``: ``ts_code``, ``ex_date`` (YYYYMMDD), ``div_cash`` (CNY per share),
  ``div_proc`` (only ``实施`` rows are implemented dividends);
- tushare ``dividend`` (stocks): ``cash_div_tax`` (pre-tax CNY per share) and ``stk_div``
  (bonus and transferred shares per share);
- akshare ``fund_fh_em``: ``基金代码``, ``除息日期``, ``分红`` (CNY per share);
- akshare ``fund_cf_em``: ``基金代码``, ``拆分折算日``, ``拆分折算`` (new shares per old share);
- baostock ``query_dividend_data``: ``code`` (sh.600000), ``dividOperateDate`` (the ex-date),
  ``dividCashPsBeforeTax``, ``dividStocksPs`` and ``dividReserveToStockPs`` (per share);
- plain: ``date`` with ``dividend`` and/or ``split_ratio`` (one code, named by ``--symbol``
  or the file name).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from huice.feeds.codes import code_from_file_name, normalise_code
from huice.feeds.errors import DataError
from huice.feeds.formats import parse_dates, parse_numbers

AGREE = 0.0005      # half an ETF tick: a table and the bars agree on a dividend within it


@dataclass(frozen=True)
class ActionTableFormat:
    """A dividend/split layout: which columns hold the code, the ex-date and the amounts."""

    name: str
    signature: frozenset[str]
    code: str | None
    date: str
    cash: str | None = None
    ratio: str | None = None                 # new shares per old share
    bonus: tuple[str, ...] = ()              # shares given per share: ratio = 1 + their sum
    implemented: tuple[str, str] | None = None   # (column, value) of implemented rows


ACTION_FORMATS: tuple[ActionTableFormat, ...] = (
    ActionTableFormat("tushare fund_div", frozenset({"ts_code", "ex_date", "div_cash"}),
                      "ts_code", "ex_date", cash="div_cash", implemented=("div_proc", "实施")),
    ActionTableFormat("tushare dividend", frozenset({"ts_code", "ex_date", "cash_div_tax",
                                                     "stk_div"}),
                      "ts_code", "ex_date", cash="cash_div_tax", bonus=("stk_div",),
                      implemented=("div_proc", "实施")),
    ActionTableFormat("akshare fund_fh_em", frozenset({"基金代码", "除息日期", "分红"}),
                      "基金代码", "除息日期", cash="分红"),
    ActionTableFormat("akshare fund_cf_em", frozenset({"基金代码", "拆分折算日", "拆分折算"}),
                      "基金代码", "拆分折算日", ratio="拆分折算"),
    ActionTableFormat("baostock query_dividend_data",
                      frozenset({"code", "dividOperateDate", "dividCashPsBeforeTax"}),
                      "code", "dividOperateDate", cash="dividCashPsBeforeTax",
                      bonus=("dividStocksPs", "dividReserveToStockPs")),
    ActionTableFormat("dividends and splits (date, dividend, split_ratio)",
                      frozenset({"date", "dividend"}), None, "date", cash="dividend",
                      ratio="split_ratio"),
    ActionTableFormat("splits (date, split_ratio)", frozenset({"date", "split_ratio"}), None,
                      "date", ratio="split_ratio"),
)


def action_table_format(columns: list[str]) -> ActionTableFormat | None:
    """The action table layout these columns have; None for a bar file or anything else."""
    present = {str(c).strip() for c in columns}
    if {"open", "开盘", "close", "收盘"} & present:
        return None
    return next((f for f in ACTION_FORMATS if f.signature <= present), None)


def read_action_table(path: Path, raw: pd.DataFrame, fmt: ActionTableFormat,
                      symbol: str | None) -> dict[str, pd.DataFrame]:
    """Each code's actions: a frame indexed by ex-date with ``dividend``, ``split_ratio`` and
    the file's ``line``; rows that are not implemented, or carry nothing, are left out."""
    frame = raw.rename(columns={c: str(c).strip() for c in raw.columns})
    lines = pd.Series(np.arange(len(frame)) + 2, index=frame.index)
    if fmt.implemented and fmt.implemented[0] in frame:
        column, value = fmt.implemented
        frame = frame[frame[column].astype(str).str.strip() == value]
    dates = parse_dates(frame[fmt.date])
    cash = parse_numbers(frame[fmt.cash]).fillna(0.0) if fmt.cash and fmt.cash in frame \
        else pd.Series(0.0, index=frame.index)
    ratio = parse_numbers(frame[fmt.ratio]).fillna(1.0) if fmt.ratio and fmt.ratio in frame \
        else pd.Series(1.0, index=frame.index)
    for column in fmt.bonus:
        if column in frame:
            ratio = ratio + parse_numbers(frame[column]).fillna(0.0)
    bad = dates.isna() & frame[fmt.date].astype("string").str.strip().fillna("").ne("")
    bad |= (cash < 0) | (ratio <= 0)
    if bad.any():
        row = frame.index[bad.to_numpy()][0]
        raise DataError(f"{fmt.date} {frame.loc[row, fmt.date]!r}: not an ex-date with a "
                        "non-negative cash amount and a positive split ratio", source=path,
                        line=int(lines[row]), where=fmt.date)
    if fmt.code is None:
        code = symbol or code_from_file_name(path.name)
        if code is None:
            raise DataError("a dividend table without a code column: pass --symbol, or name "
                            "the file for its code (510300.SH_dividends.csv)", source=path)
        codes = pd.Series(code, index=frame.index)
    else:
        codes = frame[fmt.code].astype(str).str.strip().map(
            lambda c: normalise_code(c.zfill(6) if c.isdigit() else c))
    table = pd.DataFrame({"code": codes, "date": dates, "dividend": cash.round(4),
                          "split_ratio": ratio.round(6), "line": lines[frame.index]})
    table = table[table["date"].notna() & table["code"].notna()
                  & ((table["dividend"] > 0) | (table["split_ratio"] != 1))]
    result: dict[str, pd.DataFrame] = {}
    for code, rows in table.groupby("code"):
        rows = rows.drop(columns="code").set_index("date").sort_index()
        if rows.index.duplicated().any():
            day = rows.index[rows.index.duplicated()][0]
            raise DataError(f"{code} has two rows for the ex-date {day.date()}", source=path,
                            line=int(rows.loc[day, "line"].iloc[-1]), where=fmt.date)
        result[str(code)] = rows
    return result


def join_actions(symbol: str, bars: pd.DataFrame, actions: pd.DataFrame, source: Path,
                 replace: bool) -> tuple[pd.DataFrame, list[str]]:
    """``bars`` with ``actions`` booked on their ex-dates, and the report's lines. A dividend
    or split that differs from one the bars already carry is refused unless ``replace``; an
    ex-date inside the bars' span without a bar is refused (the file or the bars are wrong)."""
    inside = actions[(actions.index >= bars.index[0]) & (actions.index <= bars.index[-1])]
    lines = []
    outside = len(actions) - len(inside)
    missing = inside.index.difference(bars.index)
    if len(missing):
        day = missing[0]
        raise DataError(f"{symbol} has no bar on the ex-date {day.date()}: the table and the "
                        "bars disagree on the trading days; check both", source=source,
                        line=int(inside.loc[day, "line"]) if np.ndim(inside.loc[day, "line"]) == 0
                        else None)
    frame = bars.copy()
    for column, default in (("dividend", 0.0), ("split_ratio", 1.0)):
        if column not in frame:
            frame[column] = default
        frame[column] = frame[column].fillna(default)
    old = frame.loc[inside.index, ["dividend", "split_ratio"]]
    differs = ((old["dividend"] > 0) & ((old["dividend"] - inside["dividend"]).abs() > AGREE)) \
        | ((old["split_ratio"] != 1) & ((old["split_ratio"] / inside["split_ratio"] - 1).abs()
                                        > 1e-4))
    if differs.any() and not replace:
        day = differs.index[differs.to_numpy()][0]
        raise DataError(f"{symbol} on {day.date()}: the table says dividend "
                        f"{inside.loc[day, 'dividend']:g}, split x{inside.loc[day, 'split_ratio']:g}"
                        f"; the bars say dividend {old.loc[day, 'dividend']:g}, split "
                        f"x{old.loc[day, 'split_ratio']:g}. If the table is right, import it "
                        "with --replace (`data undo` restores the previous catalog)",
                        source=source, line=int(inside.loc[day, "line"]))
    agreeing = int(((old["dividend"] > 0) | (old["split_ratio"] != 1)).sum() - differs.sum())
    frame.loc[inside.index, "dividend"] = inside["dividend"]
    frame.loc[inside.index, "split_ratio"] = inside["split_ratio"]
    unlisted = frame.index[((frame["dividend"] > 0) | (frame["split_ratio"] != 1))
                           & ~frame.index.isin(inside.index)
                           & (frame.index >= actions.index.min())
                           & (frame.index <= actions.index.max())]
    lines.append(f"{symbol}: {len(inside)} action(s) booked"
                 + (f" ({agreeing} the bars already showed)" if agreeing else "")
                 + (f", {int(differs.sum())} replacing the bars' (--replace)" if differs.any()
                    else "")
                 + (f"; {outside} outside the bars' dates left out" if outside else ""))
    if len(unlisted):
        lines.append(f"warning: {symbol}'s bars show actions the table does not list on "
                     + ", ".join(str(d.date()) for d in unlisted[:6]) + " (kept)")
    return frame, lines
