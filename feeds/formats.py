"""The daily-bar file formats users bring, and how each becomes the canonical bar frame.

Formats are recognised by their columns: akshare (Chinese headers of fund_etf_hist_em,
index_zh_a_hist, index_hist_sw; stock_zh_index_daily's English ones), tushare (fund_daily,
index_daily, sw_daily: ts_code, trade_date as YYYYMMDD, newest first), baostock
(query_history_k_data_plus: code like sh.000300, values as text) and plain OHLCV. Each format's
documented units are converted to shares and CNY; for a tradable instrument the data itself is
checked too: amount / (volume x close) is about 1 in shares and CNY, about 0.01 with volume in
lots, about 0.1 with lots and thousand CNY. When the documented units and the data disagree,
the data wins and the import says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from huice.feeds.errors import DataError


@dataclass(frozen=True)
class BarFormat:
    """A known layout: its columns, the multipliers of its documented units, its code column."""

    name: str
    signature: frozenset[str]           # columns that identify it (all present)
    columns: dict[str, str]             # source column -> canonical name
    volume_factor: float = 1.0          # documented volume unit, in shares
    amount_factor: float = 1.0          # documented amount unit, in CNY
    units: str = "volume in shares, amount in CNY"
    code_column: str | None = None
    compact_dates: bool = False         # YYYYMMDD


_AKSHARE_EM = {"日期": "date", "开盘": "open", "收盘": "close", "最高": "high", "最低": "low",
               "成交量": "volume", "成交额": "amount", "涨跌额": "change"}
FORMATS: tuple[BarFormat, ...] = (
    BarFormat("tushare sw_daily", frozenset({"ts_code", "trade_date", "vol", "amount", "pct_change"}),
              {"trade_date": "date", "vol": "volume"}, 1e4, 1e4,
              "vol in 10,000 shares, amount in 10,000 CNY", "ts_code", True),
    BarFormat("tushare fund_daily / index_daily", frozenset({"ts_code", "trade_date", "vol", "amount"}),
              {"trade_date": "date", "vol": "volume"}, 100.0, 1000.0,
              "vol in lots of 100, amount in thousand CNY", "ts_code", True),
    BarFormat("baostock query_history_k_data_plus",
              frozenset({"date", "code", "open", "close", "volume", "amount"}),
              {"preclose": "pre_close"}, 1.0, 1.0, "volume in shares, amount in CNY", "code"),
    BarFormat("baostock query_history_k_data_plus (no code column)",
              frozenset({"date", "open", "close", "volume", "amount", "turn", "pctChg"}),
              {"preclose": "pre_close"}, 1.0, 1.0, "volume in shares, amount in CNY"),
    BarFormat("akshare index_hist_sw", frozenset({"代码", "日期", "收盘", "成交量", "成交额"}),
              {**_AKSHARE_EM, "代码": "code"}, 1e8, 1e8,
              "成交量 in 100 million shares, 成交额 in 100 million CNY", "code"),
    BarFormat("akshare fund_etf_hist_em / index_zh_a_hist", frozenset({"日期", "开盘", "收盘", "成交量"}),
              _AKSHARE_EM, 100.0, 1.0, "成交量 in lots of 100, 成交额 in CNY"),
    # an akshare export whose first columns were renamed to English (成交额, 振幅 kept)
    BarFormat("akshare export (renamed)", frozenset({"open", "close", "volume", "成交额", "振幅"}),
              {"datetime": "date", "成交额": "amount", "涨跌额": "change"}, 100.0, 1.0,
              "volume in lots of 100, 成交额 in CNY"),
    # tushare-like names without ts_code/trade_date: units are not documented, the data decides
    BarFormat("tushare-like (code, pre_close, vol, amount)", frozenset({"date", "code", "pre_close", "vol"}),
              {"vol": "volume"}, 1.0, 1.0, "undocumented: taken from the data", "code"),
    BarFormat("plain OHLCV", frozenset({"open", "high", "low", "close"}),
              {"datetime": "date", "trade_date": "date", "vol": "volume",
               "shares_outstanding": "shares", "turnover_cny": "amount"}),
    # an index level series (CSI's total-return indices come as date, close): usable as a
    # benchmark; open, high and low are set to the close and volume to 0 (never traded)
    BarFormat("close only (an index level)", frozenset({"date", "close"}), {}),
)
CLOSE_ONLY = "close only (an index level)"
UNIT_CANDIDATES = ((1.0, 1.0), (100.0, 1.0), (100.0, 1000.0), (1.0, 1000.0), (1e4, 1e4),
                   (1e8, 1e8), (100.0, 1e4), (1e4, 1.0))
UNIT_NAMES = {1.0: "shares", 100.0: "lots of 100", 1e4: "10,000 shares", 1e8: "100 million shares"}
AMOUNT_NAMES = {1.0: "CNY", 1000.0: "thousand CNY", 1e4: "10,000 CNY", 1e8: "100 million CNY"}


@dataclass
class Imported:
    """One instrument's bars from a user's file, with what was detected and converted."""

    frame: pd.DataFrame                 # columns date, open, high, low, close, volume, amount..
    format: BarFormat
    code: str | None
    notes: list[str] = field(default_factory=list)


# English names some tools capitalise (backtrader's sample data: Date, Open, ..., OpenInterest)
_CASE_FREE = frozenset({"date", "datetime", "time", "open", "high", "low", "close", "volume",
                        "amount", "openinterest", "adj close"})


def _column_name(column: object) -> str:
    name = str(column).strip()
    return name.lower() if name.lower() in _CASE_FREE else name


def detect_format(columns: list[str]) -> BarFormat:
    """The first known format whose signature columns are all present."""
    present = {_column_name(c) for c in columns}
    for candidate in FORMATS:
        if candidate.signature <= present:
            return candidate
    raise DataError(f"unknown bar format: columns {', '.join(map(str, columns))}; expected an "
                    "akshare, tushare or baostock export, or date, open, high, low, close "
                    "[, volume, amount]", where="columns")


def unit_ratio(frame: pd.DataFrame) -> float | None:
    """Median of amount / (volume x close) over traded days (None when not measurable)."""
    if "amount" not in frame or "volume" not in frame:
        return None
    volume = pd.to_numeric(frame["volume"], errors="coerce")
    amount = pd.to_numeric(frame["amount"], errors="coerce")
    close = pd.to_numeric(frame["close"], errors="coerce")
    usable = (volume > 0) & (amount > 0) & (close > 0)
    if usable.sum() < 5:
        return None
    return float(np.median(amount[usable] / (volume[usable] * close[usable])))


def choose_units(fmt: BarFormat, ratio: float | None, tradable: bool
                 ) -> tuple[float, float, list[str]]:
    """(volume factor, amount factor, notes): the documented units unless the data of a
    tradable instrument says otherwise."""
    documented = (fmt.volume_factor, fmt.amount_factor)
    if ratio is None or not tradable:
        why = ("an index's points are not prices, so its units cannot be checked from the data"
               if not tradable else "too few traded days to check the units")
        return (*documented, [f"units as documented ({fmt.units}); {why}"])

    def distance(factors: tuple[float, float]) -> float:
        return abs(math.log(ratio * factors[1] / factors[0]))

    best = min(UNIT_CANDIDATES, key=distance)
    if distance(documented) <= math.log(1.25) or distance(best) >= distance(documented):
        return (*documented, [f"units: {fmt.units}; the data agrees (amount / (volume x close) "
                              f"= {ratio:.4g})"])
    note = (f"units: the data says volume in {UNIT_NAMES[best[0]]} and amount in "
            f"{AMOUNT_NAMES[best[1]]} (amount / (volume x close) = {ratio:.4g})")
    if fmt.units.startswith("undocumented"):
        return (*best, [note])
    return (*best, [note + f", not the format's {fmt.units}: using the data"])


def parse_numbers(values: pd.Series) -> pd.Series:
    """Cells as floats: thousands separators removed, an empty or missing cell NaN, and any
    other text that is not a number NaN too (the caller decides whether that is an error)."""
    text = values.astype("string").str.strip().str.replace(",", "")
    return pd.to_numeric(text.replace({"": None}), errors="coerce").astype("float64")


def parse_dates(values: pd.Series) -> pd.Series:
    """Cells as dates, each ``YYYYMMDD`` or any ISO-like form (rows may mix them); NaT for a
    missing cell or one that is not a date."""
    text = values.astype("string").str.strip()
    compact = text.str.fullmatch(r"\d{8}").fillna(False).astype(bool)
    parsed = pd.to_datetime(text.where(~compact), errors="coerce", format="mixed")
    parsed[compact] = pd.to_datetime(text[compact], format="%Y%m%d", errors="coerce")
    return parsed


def _numbers(values: pd.Series, column: str, source: str) -> pd.Series:
    """Cells as floats; an empty cell is missing, any other text that is not a number is an
    error naming its line (header = line 1)."""
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    parsed = pd.to_numeric(values, errors="coerce")  # surrounding blanks are allowed here too
    if parsed.notna().all():  # every cell a number: nothing to report (the usual file)
        return parsed.astype("float64")
    text = values.astype("string").str.strip()
    numbers = pd.to_numeric(text.replace({"": None}), errors="coerce")
    bad = numbers.isna() & text.notna() & (text != "")
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{column} {text.iloc[position]!r} is not a number", source=source,
                        line=position + 2, where=column)
    return numbers.astype("float64")


def _single_code(frame: pd.DataFrame, fmt: BarFormat, source: str) -> str | None:
    """The one instrument code a file holds (None when it names none)."""
    code_column = fmt.columns.get(fmt.code_column, fmt.code_column) if fmt.code_column else None
    if not code_column or code_column not in frame:
        return None
    codes = frame[code_column].dropna().astype(str).str.strip().unique()
    if len(codes) > 1:
        raise DataError(f"holds several instruments ({', '.join(codes[:5])}); import one "
                        "file per instrument", source=source, where=code_column)
    return str(codes[0]) if len(codes) else None


_WANTED = ("date", "open", "high", "low", "close", "volume", "amount", "shares", "nav",
           "dividend", "split_ratio", "pe", "pb", "pre_close", "change")


def _bar_columns(raw: pd.DataFrame, frame: pd.DataFrame, fmt: BarFormat, source: str,
                 tradable: bool | None) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The kept columns (a close-only index level filled out), and the columns left out."""
    if fmt.name == CLOSE_ONLY:
        if tradable:
            raise DataError("has only a close: a traded instrument needs open, high, low and "
                            "close (a close-only file is an index level, for a benchmark)",
                            source=source, where="columns")
        frame = frame.assign(open=frame["close"], high=frame["close"], low=frame["close"],
                             volume="0")
    keep = [c for c in _WANTED if c in frame.columns]
    missing = [c for c in ("date", "open", "high", "low", "close") if c not in frame.columns]
    if missing:
        found = ", ".join(map(str, raw.columns))
        raise DataError(f"no {', '.join(missing)} column (found: {found}); a bar file needs "
                        "date, open, high, low and close", source=source, line=1,
                        where="columns")
    used = set(fmt.columns) | set(_WANTED) | ({fmt.code_column} if fmt.code_column else set())
    left_out = [str(c) for c in raw.columns if _column_name(c) not in used
                and str(c).strip() not in {"name", "基金简称", "etf_name"}]
    frame = frame[keep].copy()
    if "change" in frame and "pre_close" in frame:  # tushare has both: pre_close is the source
        frame = frame.drop(columns="change")
        keep.remove("change")
    return frame, keep, left_out


def _parse_dates(frame: pd.DataFrame, fmt: BarFormat) -> None:
    text_dates = frame["date"].astype(str).str.strip()
    if fmt.compact_dates or text_dates.str.fullmatch(r"\d{8}").all():
        frame["date"] = pd.to_datetime(text_dates, format="%Y%m%d", errors="coerce")
    else:
        frame["date"] = pd.to_datetime(text_dates, errors="coerce", format="mixed")


def _drop_placeholders(frame: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Rows before the first traded day without volume, and rows with no price at all."""
    empty = frame[["open", "high", "low", "close"]].isna().all(axis=1)
    if "volume" in frame:
        placeholder = frame["volume"].isna() | empty
        traded = np.flatnonzero(~placeholder.to_numpy())
        leading = int(traded[0]) if len(traded) else 0
        if leading:
            frame = frame.iloc[leading:]
            notes.append(f"dropped {leading} placeholder row(s) without volume before the first "
                         "traded day")
    blank = frame[["open", "high", "low", "close"]].isna().all(axis=1)
    if blank.any():  # rows with no price at all are no bars (a source's placeholders)
        dropped = frame.loc[blank, "line"]
        shown = ", ".join(str(line) for line in dropped.iloc[:8]) + (
            " ..." if len(dropped) > 8 else "")
        frame = frame[~blank]
        notes.append(f"dropped {int(blank.sum())} row(s) with no open, high, low or close "
                     f"(lines {shown})")
    return frame


def _oldest_first(frame: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    if frame["date"].is_monotonic_decreasing and len(frame) > 1:
        frame = frame.iloc[::-1]
        notes.append("sorted oldest first (the file was newest first)")
    elif not frame["date"].is_monotonic_increasing:
        frame = frame.sort_values("date", kind="stable")
        notes.append("sorted by date")
    return frame.reset_index(drop=True)


def _convert_units(frame: pd.DataFrame, fmt: BarFormat, tradable: bool,
                   notes: list[str]) -> None:
    volume_factor, amount_factor, unit_notes = choose_units(fmt, unit_ratio(frame), tradable)
    notes += unit_notes
    if "volume" in frame and volume_factor != 1.0:
        frame["volume"] = frame["volume"] * volume_factor
        notes.append(f"volume x{volume_factor:g}")
    if "amount" in frame and amount_factor != 1.0:
        frame["amount"] = frame["amount"] * amount_factor
        notes.append(f"amount x{amount_factor:g}")


def normalise(raw: pd.DataFrame, *, source: str, tradable: bool | None = None) -> Imported:
    """Map a user's frame to canonical columns, convert units, drop placeholder rows, sort.

    ``tradable`` says whether amount / volume is a price (ETFs, stocks); None: decided by the
    caller later (the unit check is skipped).
    """
    fmt = detect_format(list(raw.columns))
    frame = raw.rename(columns={c: _column_name(c) for c in raw.columns})
    frame = frame.rename(columns=fmt.columns)
    code = _single_code(frame, fmt, source)
    notes = [f"format: {fmt.name}"]
    frame, keep, left_out = _bar_columns(raw, frame, fmt, source, tradable)
    frame["line"] = np.arange(len(frame)) + 2  # the file's own line numbers (header: line 1)
    for column, factor, unit in (("amount_yi", 1e8, "亿 CNY"), ("amount_wan", 1e4, "万 CNY")):
        if column in raw.columns and "amount" not in frame:  # same rows as raw here
            frame["amount"] = _numbers(raw[column], column, source).to_numpy() * factor
            notes.append(f"amount from {column} ({unit}): x{factor:g}")
            left_out.remove(column)
    if left_out:
        notes.append(f"columns left out (not bar data huice keeps): {', '.join(left_out)}")
    for column in keep[1:]:
        frame[column] = _numbers(frame[column], column, source)
    if "change" in frame:  # akshare's 涨跌额: the close minus the exchange's previous close
        frame["pre_close"] = (frame["close"] - frame.pop("change")).round(4)
    _parse_dates(frame, fmt)
    if fmt.name == CLOSE_ONLY:
        notes.append("close only: open, high and low set to the close and volume to 0 (an "
                     "index level for a benchmark; a run never trades a bar without volume)")
    frame = _oldest_first(_drop_placeholders(frame, notes), notes)
    if tradable is not None and ("volume" in frame or "amount" in frame):
        _convert_units(frame, fmt, tradable, notes)
    return Imported(frame=frame, format=fmt, code=code, notes=notes)
