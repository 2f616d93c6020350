"""``data import``: users' bar and shares-outstanding files into a catalog folder.

Each file's format is detected (:mod:`huice.feeds.formats`), its units converted, its rows
sorted and validated by the bar rules, its symbol and asset class inferred from its code (or
given), and the result written to the store (:mod:`huice.feeds.store`) in one atomic change.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from huice.feeds.action_tables import action_table_format
from huice.feeds.actions import actions_from_previous_close
from huice.feeds.bars import to_bar_frame
from huice.feeds.calendar import read_exchange_calendar
from huice.feeds.catalog import Instrument, bundled_bars, bundled_instrument
from huice.feeds.codes import classify_code, code_from_file_name, normalise_code
from huice.feeds.errors import DataError
from huice.feeds.formats import normalise
from huice.feeds.import_checks import (
    compare_with_stored,
    drop_non_trading_days,
    gap_warnings,
    index_amount_units,
    overnight_gap_warnings,
    repair_ohlc,
)
from huice.feeds.import_joins import FileReport, join_action_table, join_nav_file, join_shares
from huice.feeds.nav_import import nav_format
from huice.feeds.store import CatalogStore

READABLE = (".csv", ".gz", ".xlsx", ".parquet")
NO_ACTIONS = ("warning: no dividends or splits: the file has no previous-close column (pre_close, "
              "preclose, 涨跌额) and no dividend lines, so a run books none. Import the fund's "
              "dividend table with it (tushare fund_div, akshare fund_fh_em / fund_cf_em, "
              "baostock query_dividend_data, or date,dividend,split_ratio), or use "
              "forward-adjusted bars (.qfq)")


@dataclass(frozen=True)
class SharesFormat:
    """A shares-outstanding layout: code, date and shares columns and the unit of shares."""

    name: str
    code: str
    date: str | None
    shares: str
    factor: float


SHARES_FORMATS = (
    SharesFormat("tushare fund_share", "ts_code", "trade_date", "fd_share", 1e4),
    SharesFormat("tushare etf_share_size", "ts_code", "trade_date", "total_share", 1e4),
    SharesFormat("akshare fund_scale_daily_szse", "基金代码", "日期", "基金份额", 1.0),
    SharesFormat("akshare fund_etf_scale_sse", "基金代码", "统计日期", "基金份额", 1.0),
    SharesFormat("akshare fund_etf_scale_szse (a snapshot)", "基金代码", None, "基金份额", 1.0),
    SharesFormat("SZSE fund shares (份额(万份))", "代码", "日期", "份额(万份)", 1e4),
    SharesFormat("shares in 10,000 units (shares_10k)", "code", "date", "shares_10k", 1e4),
)


def read_table(path: Path) -> pd.DataFrame:
    """A user's file as text cells (CSV, gzip CSV, XLSX or Parquet). A CSV that is not UTF-8 is
    read as GB18030 (GBK's superset, what Chinese Windows tools write); ``attrs["encoding"]``
    says which."""
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        if path.suffix == ".xlsx":
            return pd.read_excel(path, dtype=str)
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                                    encoding=encoding)
            except UnicodeDecodeError:
                continue
            frame.attrs["encoding"] = encoding
            return frame
        raise DataError("cannot read: neither UTF-8 nor GB18030 text", source=path)
    except DataError:
        raise
    except ImportError as exc:
        raise DataError(f"cannot read {path.suffix} files: {exc}", source=path) from None
    except Exception as exc:  # a parser's own error: name the file and what it said
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot read: {detail}", source=path) from None


def expand(paths: Sequence[str | Path]) -> list[Path]:
    """Files, and the readable files inside folders, in name order."""
    found: list[Path] = []
    for item in map(Path, paths):
        if item.is_dir():
            found += sorted(p for p in item.iterdir()
                            if p.is_file() and p.name.lower().endswith(READABLE))
        elif item.is_file():
            found.append(item)
        else:
            raise DataError("not found", source=item)
    return found


def _shares_format(columns: list[str]) -> SharesFormat | None:
    present = set(map(str, columns))
    for candidate in SHARES_FORMATS:
        needed = {candidate.code, candidate.shares} | ({candidate.date} if candidate.date else set())
        if needed <= present and not {"open", "开盘"} & present:
            return candidate
    return None


def _instrument(symbol: str, asset_class: str | None, name: str, source: Path,
                report: FileReport, board: str | None = None) -> Instrument:
    known = bundled_instrument(symbol)
    if asset_class:
        report.lines.append(f"asset class {asset_class} (given)")
        klass, code_board = asset_class, None
    elif known is not None and known.asset_class != "index":
        klass, code_board = known.asset_class, None
        report.lines.append(f"asset class {klass} (as the bundled catalog has {known.symbol})")
    else:
        found = classify_code(symbol)
        if found is None:
            raise DataError(f"cannot tell the asset class of {symbol} from its code: pass "
                            "--asset-class", source=source)
        report.lines.append(f"asset class {found.asset_class} (from its code: {found.reason})")
        klass, code_board = found.asset_class, found.board
    tracks = known.tracks if known is not None else None
    if board:
        report.lines.append(f"board {board} (given)")
    elif known is not None and known.board:
        board = known.board
        report.lines.append(f"board {board} (as the bundled catalog has {known.symbol}"
                            + (f", which tracks {tracks}" if tracks else "") + ")")
    elif code_board:
        board = code_board
    elif klass not in ("index", "synthetic"):
        board = "main"
        report.lines.append("board main assumed (the code cannot tell which board the fund's "
                            "index trades on: pass --board chinext or --board star for an ETF "
                            "on ChiNext or STAR, whose limit is ±20%)")
    return Instrument(symbol, name or (known.name if known is not None else ""), klass, board,
                      tracks, source=str(source))


def _bundled_by_closes(name: str, frame: pd.DataFrame) -> tuple[str | None, str]:
    """A bare 000xxx file name is a Shenzhen stock or a Shanghai index: when the bundled
    catalog ships exactly one of them and the file's closes equal its closes (within 0.1% on
    the median shared day, over at least 20 days), that is the code."""
    match = re.match(r"(\d{6})", name)
    if match is None:
        return None, ""
    closes = pd.Series(pd.to_numeric(frame["close"], errors="coerce").to_numpy(),
                       index=pd.to_datetime(frame["date"], errors="coerce"))
    found = []
    for candidate in (f"{match.group(1)}.SH", f"{match.group(1)}.SZ", f"{match.group(1)}.CSI"):
        bars = bundled_bars(candidate)
        if bars is None:
            continue
        common = bars.index.intersection(closes.index[closes.index.notna()])
        common = common[~common.duplicated()]
        if len(common) < 20:
            continue
        shared = closes[~closes.index.duplicated()].loc[common]
        if float((shared / bars.loc[common, "close"] - 1).abs().median()) <= 0.001:
            found.append((candidate, len(common)))
    if len(found) != 1:
        return None, ""
    return found[0][0], (f"from the file name: its closes equal the bundled {found[0][0]}'s "
                         f"on {found[0][1]} shared days")


def _limit(instrument: Instrument) -> float:
    """The widest daily limit the instrument's board has had (docs/broker.md)."""
    return {"chinext": 0.20, "star": 0.20, "st": 0.05, "beijing": 0.30, "none": 0.0}.get(
        instrument.board or "main", 0.10)


def _tick(asset_class: str) -> float:
    return 0.01 if asset_class == "stock" else 0.001


def import_bars(path: Path, raw: pd.DataFrame, *, symbol: str | None,
                asset_class: str | None, board: str | None = None, strict: bool = False,
                drop_bad_rows: bool = False) -> tuple[Instrument, pd.DataFrame, FileReport]:
    """One bar file to (instrument, canonical frame, report): its format and units, its
    non-trading days dropped, rounding glitches repaired (``strict``: refused), gaps listed
    (:mod:`huice.feeds.import_checks`)."""
    report = FileReport(path)
    probe = normalise(raw, source=str(path))
    code = symbol or normalise_code(probe.code or "") or code_from_file_name(path.name)
    how = ("given" if symbol else "from the code column" if probe.code else "from the file name")
    if code is None:
        code, how = _bundled_by_closes(path.name, probe.frame)
    if code is None:
        raise DataError("cannot tell the symbol from the file's code column or name: pass "
                        "--symbol (e.g. 510300.SH)", source=path)
    report.lines.append(f"symbol {code} ({how})")
    name = ""
    for column in ("name", "基金简称", "etf_name"):
        if column in raw and raw[column].notna().any():
            name = str(raw[column].dropna().iloc[0])
            break
    instrument = _instrument(code, asset_class, name, path, report, board)
    tradable = instrument.asset_class not in ("index", "synthetic")
    imported = normalise(raw, source=str(path), tradable=tradable)
    encoding = raw.attrs.get("encoding")
    report.lines = ([f"read as {encoding.upper()} text"] if encoding == "gb18030" else []) \
        + imported.notes + report.lines
    frame = imported.frame.set_index("date")
    lines = frame.pop("line")
    calendar = read_exchange_calendar()
    frame, lines, dropped = drop_non_trading_days(frame, lines, calendar)
    report.lines += dropped
    try:
        if len(frame) and frame[["open", "high", "low", "close"]].notna().all().all():
            frame, lines, repaired = repair_ohlc(frame, lines, _tick(instrument.asset_class),
                                                 path, strict, drop_bad_rows)
            report.lines += repaired
        unadjusted = tradable and not code.endswith(".qfq")
        if "pre_close" in frame:
            if unadjusted:
                frame, derived = actions_from_previous_close(
                    frame, calendar, _tick(instrument.asset_class),
                    stock=instrument.asset_class == "stock", strict=strict)
                report.lines += derived
            else:
                frame = frame.drop(columns="pre_close")
        elif unadjusted and not {"dividend", "split_ratio"} & set(frame.columns):
            report.lines.append(NO_ACTIONS)
        frame = to_bar_frame(frame, path, first_line=lines.tolist())
    except DataError as exc:
        exc.source = str(path)
        raise
    report.lines += gap_warnings(frame, calendar)
    if instrument.asset_class == "index":
        frame, notes = index_amount_units(frame, code, path, bundled_bars(code))
        report.lines += notes
    elif not code.endswith(".qfq"):
        report.lines += overnight_gap_warnings(frame, _limit(instrument))
    report.lines.append(f"{len(frame)} bars {frame.index[0].date()} .. {frame.index[-1].date()}")
    report.symbols.append(code)
    return instrument, frame, report


def import_shares(path: Path, raw: pd.DataFrame, fmt: SharesFormat, snapshot_date: str | None
                  ) -> tuple[dict[str, pd.Series], FileReport]:
    """A shares file to one series of shares outstanding per symbol."""
    report = FileReport(path, lines=[f"format: {fmt.name} (shares outstanding"
                                     + (f", x{fmt.factor:g}" if fmt.factor != 1 else "") + ")"])
    if fmt.date is None:
        if snapshot_date is None:
            raise DataError("a shares snapshot has no date column: pass --date (the trading "
                            "day it describes)", source=path)
        dates = pd.Series(pd.Timestamp(snapshot_date), index=raw.index)
    else:
        text = raw[fmt.date].astype(str).str.strip()
        dates = pd.to_datetime(text, format="%Y%m%d", errors="coerce") \
            if text.str.fullmatch(r"\d{8}").all() else pd.to_datetime(text, errors="coerce")
    shares = pd.to_numeric(raw[fmt.shares].astype(str).str.replace(",", ""), errors="coerce")
    series: dict[str, pd.Series] = {}
    for code, rows in raw.groupby(raw[fmt.code].astype(str).str.strip().str.zfill(6)):
        symbol = normalise_code(code)
        if symbol is None:
            continue
        values = (shares[rows.index] * fmt.factor).set_axis(dates[rows.index]).dropna()
        series[symbol] = values[~values.index.duplicated(keep="last")].sort_index()
    report.symbols = sorted(series)
    report.lines.append(f"{len(series)} instrument(s)")
    return series, report


def _table_kind(raw: pd.DataFrame) -> tuple[str, Any]:
    """What a file is: a NAV, a shares or an action table (with its format), or bars."""
    if (found_nav := nav_format(raw)) is not None:
        return "nav", found_nav
    if (shares := _shares_format(list(raw.columns))) is not None:
        return "shares", shares
    if (actions := action_table_format(list(raw.columns))) is not None:
        return "actions", actions
    return "bars", None


def import_paths(paths: Sequence[str | Path], catalog: str | Path, *, symbol: str | None = None,
                 asset_class: str | None = None, snapshot_date: str | None = None,
                 board: str | None = None, strict: bool = False, replace: bool = False,
                 drop_bad_rows: bool = False) -> list[FileReport]:
    """Import every file into the catalog folder in one atomic change; return the reports.

    Shares files join the ``shares`` line of bars imported in the same call or already stored.
    Bars of a code the catalog already holds must agree with it on their overlapping days, or
    ``replace`` (the previous catalog stays restorable: :meth:`CatalogStore.undo`).
    """
    files = expand(paths)
    if symbol and len(files) > 1:
        raise DataError("--symbol names one instrument: import one file at a time with it")
    store = CatalogStore(catalog)
    entries: dict[str, tuple[Instrument, pd.DataFrame]] = {}
    reports: list[FileReport] = []
    shares_files: list[tuple[Path, pd.DataFrame, Any]] = []
    action_files: list[tuple[Path, pd.DataFrame, Any]] = []
    nav_files: list[tuple[Path, pd.DataFrame, Any]] = []
    for path in files:
        raw = read_table(path)
        kind, table_format = _table_kind(raw)
        if kind != "bars":
            {"nav": nav_files, "shares": shares_files, "actions": action_files}[kind].append(
                (path, raw, table_format))
            continue
        try:
            instrument, frame, report = import_bars(path, raw, symbol=symbol,
                                                    asset_class=asset_class, board=board,
                                                    strict=strict, drop_bad_rows=drop_bad_rows)
            stored = store.bars(instrument.symbol)
            if stored is not None:
                report.lines += compare_with_stored(instrument.symbol, frame, stored, path,
                                                    replace)
        except DataError as exc:
            exc.source = exc.source or str(path)
            raise
        if instrument.symbol in entries:
            raise DataError(f"{instrument.symbol} is in two of the files imported",
                            source=path)
        entries[instrument.symbol] = (instrument, frame)
        reports.append(report)
    for path, raw, fmt in shares_files:
        reports.append(join_shares(store, entries, import_shares(path, raw, fmt,
                                                                 snapshot_date)))
    for path, raw, nav_fmt in nav_files:
        reports.append(join_nav_file(store, entries, path, raw, nav_fmt, symbol))
    for path, raw, action_format in action_files:
        reports.append(join_action_table(store, entries, path, raw, action_format, symbol,
                                         replace))
    if entries:
        store.write(entries)
    return reports
