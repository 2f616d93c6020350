"""The daily-bar sources ``data update`` can fail over between (docs/data.md, "Sources").

Each source returns one instrument's unadjusted bars for a date range as the canonical bar frame
(indexed by date; open, high, low, close, volume in shares, amount in CNY where it has one) or
raises :class:`SourceFailure` saying what went wrong: the call failed after its retries, the
answer is empty, is not a table (an HTML error page), or lacks a column it always had.

- ``em``: akshare's Eastmoney ``fund_etf_hist_em`` / ``index_zh_a_hist``; code ``510300``;
  成交量 in lots, 成交额 in CNY.
- ``sina``: akshare's Sina ``fund_etf_hist_sina`` / ``stock_zh_index_daily``; ``sh510300``;
  volume in shares (documented as lots, the data is shares), no amount; the whole history per
  call.
- ``tencent``: akshare's Tencent ``stock_zh_a_hist_tx``; ``sh510300``; volume in shares and
  amount in CNY (akshare converts them).
- ``baostock``: ``query_history_k_data_plus``; ``sh.510300``; every value as text, volume in
  shares, amount in CNY; ``adjustflag="3"`` (unadjusted).
- ``tushare``: pro ``fund_daily`` / ``index_daily`` (a token); ``510300.SH``; vol in lots,
  amount in thousand CNY.

The ``em`` source is the full fetch of :mod:`huice.feeds.akshare_source` (forward-adjusted
twin, dividends, shares outstanding); the others give unadjusted bars only, and those from
baostock and tushare carry the exchange's previous close, from which the day's dividend or
split is derived (:mod:`huice.feeds.actions`). Sina and Tencent carry neither: a day taken from
them books no dividend, and the update says so.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from huice.feeds.actions import actions_from_previous_close
from huice.feeds.akshare_source import AkshareClient, FetchError, fetch_symbol
from huice.feeds.calendar import read_exchange_calendar
from huice.feeds.codes import classify_code
from huice.feeds.errors import DataError
from huice.feeds.formats import normalise

SOURCE_NAMES = ("em", "sina", "tencent", "baostock", "tushare")
TUSHARE_TOKEN_ENV = "TUSHARE_TOKEN"
BAOSTOCK_MODULE_ENV = "HUICE_BAOSTOCK_MODULE"
TUSHARE_MODULE_ENV = "HUICE_TUSHARE_MODULE"


class SourceFailure(DataError):
    """A source did not give usable bars (down, empty, not a table, a column missing)."""


@dataclass(frozen=True)
class SourceBars:
    """One source's answer for one symbol: the bars, whether they carry dividends and splits,
    and the catalog entries a full fetch also produced (the ``em`` source's ``.qfq`` twin)."""

    bars: pd.DataFrame
    has_actions: bool
    extra: dict[str, Any]
    lines: list[str]


def checked_table(frame: Any, source: str, symbol: str, needed: tuple[str, ...]) -> pd.DataFrame:
    """``frame`` when it is a non-empty table with the ``needed`` columns, else a
    :class:`SourceFailure` saying what the source answered instead."""
    if not isinstance(frame, pd.DataFrame):
        text = str(frame)[:60].replace("\n", " ")
        raise SourceFailure(f"{symbol}: {source} answered {type(frame).__name__} ({text!r}), "
                            "not a table", where="data update")
    if frame.empty:
        raise SourceFailure(f"{symbol}: {source} answered an empty table", where="data update")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise SourceFailure(f"{symbol}: {source}'s answer has no {', '.join(missing)} column "
                            f"(it has {', '.join(map(str, frame.columns))}): its layout "
                            "changed", where="data update")
    return frame


def _canonical(frame: pd.DataFrame, source: str, symbol: str, tradable: bool
               ) -> pd.DataFrame:
    imported = normalise(frame, source=f"{source}({symbol})", tradable=tradable)
    return imported.frame.drop(columns="line").set_index("date")


def _window(frame: pd.DataFrame, start: dt.date, end: dt.date) -> pd.DataFrame:
    return frame.loc[pd.Timestamp(start):pd.Timestamp(end)]


class DailySource:
    """One source: ``bars(symbol, start, end)``; ``client`` calls its module with retries,
    backoff and a throttle."""

    name = ""

    def __init__(self, client: AkshareClient) -> None:
        self.client = client

    def bars(self, symbol: str, start: dt.date, end: dt.date) -> SourceBars:
        raise NotImplementedError

    def call(self, function: str, label: str, **kwargs: Any) -> Any:
        try:
            return self.client.call(function, label, **kwargs)
        except FetchError as exc:
            raise SourceFailure(exc.message, where="data update") from None


class EastmoneySource(DailySource):
    """akshare's Eastmoney endpoints, the full fetch (qfq twin, dividends, shares)."""

    name = "em"

    def bars(self, symbol: str, start: dt.date, end: dt.date,
             shares_from: dt.date | None = None, with_shares: bool = True) -> SourceBars:
        """As every source's; ``shares_from``: shares outstanding only from that day on (see
        ``fetch_symbol``); ``with_shares=False``: none at all (a cross-check compares prices
        and volumes only)."""
        try:
            download = fetch_symbol(self.client, symbol, start, end, with_shares=with_shares,
                                    shares_from=shares_from)
        except FetchError as exc:
            raise SourceFailure(exc.message, where="data update") from None
        except (KeyError, ValueError) as exc:
            raise SourceFailure(f"{symbol}: em's answer could not be read ({exc})",
                                where="data update") from None
        frame = download.entries[symbol][1]
        if frame.empty:
            raise SourceFailure(f"{symbol}: em answered an empty table", where="data update")
        extra = {name: entry for name, entry in download.entries.items() if name != symbol}
        return SourceBars(frame, "dividend" in frame, extra, download.lines)


class SinaSource(DailySource):
    """akshare's Sina endpoints (the whole history per call; no amount, no dividends)."""

    name = "sina"

    def bars(self, symbol: str, start: dt.date, end: dt.date) -> SourceBars:
        code, exchange = _exchange_code(symbol, self.name)
        index = _is_index(symbol)
        function = "stock_zh_index_daily" if index else "fund_etf_hist_sina"
        frame = checked_table(self.call(function, symbol, symbol=f"{exchange}{code}"), "sina",
                         symbol, ("date", "open", "high", "low", "close", "volume"))
        frame = frame[["date", "open", "high", "low", "close", "volume"]]
        bars = _window(_canonical(frame, f"akshare.{function}", symbol, tradable=False),
                       start, end)
        return SourceBars(bars, False, {}, [f"{symbol}: {len(bars)} bar(s) from sina "
                                            f"({function}); no dividend information"])


class TencentSource(DailySource):
    """akshare's Tencent endpoint ``stock_zh_a_hist_tx`` (volume in shares, amount in CNY)."""

    name = "tencent"

    def bars(self, symbol: str, start: dt.date, end: dt.date) -> SourceBars:
        code, exchange = _exchange_code(symbol, self.name)
        frame = checked_table(self.call("stock_zh_a_hist_tx", symbol, symbol=f"{exchange}{code}",
                                   start_date=start.strftime("%Y%m%d"),
                                   end_date=end.strftime("%Y%m%d"), adjust=""),
                         "tencent", symbol, ("date", "open", "close", "high", "low", "volume"))
        columns = [c for c in ("date", "open", "high", "low", "close", "volume", "amount")
                   if c in frame.columns]
        bars = _window(_canonical(frame[columns], "akshare.stock_zh_a_hist_tx", symbol,
                                  tradable=False), start, end)
        return SourceBars(bars, False, {}, [f"{symbol}: {len(bars)} bar(s) from tencent "
                                            "(stock_zh_a_hist_tx); no dividend information"])


class BaostockSource(DailySource):
    """baostock's ``query_history_k_data_plus`` (unadjusted; ``preclose`` gives dividends)."""

    name = "baostock"
    FIELDS = "date,code,open,high,low,close,preclose,volume,amount,adjustflag,tradestatus"

    def bars(self, symbol: str, start: dt.date, end: dt.date) -> SourceBars:
        code, exchange = _exchange_code(symbol, self.name)
        module = self.client.module
        try:
            module.login()
            result = module.query_history_k_data_plus(
                f"{exchange}.{code}", self.FIELDS, start_date=start.isoformat(),
                end_date=end.isoformat(), frequency="d", adjustflag="3")
            if str(getattr(result, "error_code", "0")) != "0":
                raise SourceFailure(f"{symbol}: baostock error {result.error_code}: "
                                    f"{result.error_msg}", where="data update")
            frame = result.get_data()
        except SourceFailure:
            raise
        except Exception as exc:  # baostock raises whatever its socket raised
            raise SourceFailure(f"{symbol}: baostock failed: {type(exc).__name__}: {exc}",
                                where="data update") from None
        finally:
            with contextlib.suppress(Exception):  # a failed logout changes nothing fetched
                module.logout()
        frame = checked_table(frame, "baostock", symbol, ("date", "open", "close", "preclose"))
        if "tradestatus" in frame:
            frame = frame[frame["tradestatus"].astype(str) != "0"]  # 0: suspended that day
        return _with_actions(_canonical(frame, "baostock.query_history_k_data_plus", symbol,
                                        tradable=not _is_index(symbol)), symbol, "baostock")


class TushareSource(DailySource):
    """tushare pro ``fund_daily`` / ``index_daily`` (needs a token)."""

    name = "tushare"

    def __init__(self, client: AkshareClient, token: str) -> None:
        super().__init__(client)
        self._pro = None
        self._token = token

    def bars(self, symbol: str, start: dt.date, end: dt.date) -> SourceBars:
        if self._pro is None:
            try:
                self._pro = self.client.module.pro_api(self._token)
            except Exception as exc:
                raise SourceFailure(f"tushare refused the token ({type(exc).__name__})",
                                    where="data update") from None
        function = "index_daily" if _is_index(symbol) else "fund_daily"
        try:
            frame = getattr(self._pro, function)(ts_code=symbol, start_date=start.strftime(
                "%Y%m%d"), end_date=end.strftime("%Y%m%d"))
        except Exception as exc:
            raise SourceFailure(f"{symbol}: tushare.{function} failed: {type(exc).__name__}",
                                where="data update") from None
        frame = checked_table(frame, "tushare", symbol, ("trade_date", "open", "close", "vol"))
        return _with_actions(_canonical(frame, f"tushare.{function}", symbol,
                                        tradable=not _is_index(symbol)), symbol, "tushare")


def _with_actions(bars: pd.DataFrame, symbol: str, source: str) -> SourceBars:
    if "pre_close" not in bars:
        return SourceBars(bars, False, {}, [f"{symbol}: {len(bars)} bar(s) from {source}"])
    if _is_index(symbol):
        return SourceBars(bars.drop(columns="pre_close"), False, {},
                          [f"{symbol}: {len(bars)} bar(s) from {source}"])
    bars, notes = actions_from_previous_close(bars, read_exchange_calendar(), 0.001)
    return SourceBars(bars, True, {}, [f"{symbol}: {len(bars)} bar(s) from {source}"] + notes)


def _exchange_code(symbol: str, source: str) -> tuple[str, str]:
    """(code, "sh" | "sz") of an SSE/SZSE symbol; other families are not served."""
    code, _, exchange = symbol.partition(".")
    if exchange not in ("SH", "SZ"):
        raise SourceFailure(f"{symbol}: {source} serves SSE and SZSE codes only",
                            where="data update")
    return code, exchange.lower()


def _is_index(symbol: str) -> bool:
    found = classify_code(symbol)
    return found is not None and found.asset_class == "index"


def tushare_token(token_file: str | Path | None = None) -> str | None:
    """The tushare token: from ``token_file`` (a file outside the repo), else the environment
    variable ``TUSHARE_TOKEN``; None when neither has one. The token is never printed, logged
    or written anywhere by huice."""
    if token_file is not None:
        path = Path(token_file)
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise DataError(f"cannot read the tushare token file: {exc.strerror}",
                            source=path) from None
        if not token:
            raise DataError("the tushare token file is empty", source=path)
        return token
    return os.environ.get(TUSHARE_TOKEN_ENV) or None


def _module(environment: str, default: str, extra: str) -> Any:
    name = os.environ.get(environment) or default
    try:
        return importlib.import_module(name)
    except ImportError:
        raise DataError(f"{default} is not installed: pip install {default} (or leave "
                        f"{extra} out of --sources)", where="data update") from None


def make_sources(names: list[str], token: str | None,
                 client_for: Callable[[Any], AkshareClient] | None = None) -> list[DailySource]:
    """The sources named, in order. tushare without a token is left out (said by the caller)."""
    unknown = [n for n in names if n not in SOURCE_NAMES]
    if unknown:
        raise DataError(f"unknown source(s) {', '.join(unknown)}; one of "
                        f"{', '.join(SOURCE_NAMES)}", where="--sources")
    client_for = client_for or (lambda module: AkshareClient(module=module))
    sources: list[DailySource] = []
    akshare = None
    for name in names:
        if name in ("em", "sina", "tencent"):
            akshare = akshare or client_for(None)
            sources.append({"em": EastmoneySource, "sina": SinaSource,
                            "tencent": TencentSource}[name](akshare))
        elif name == "baostock":
            sources.append(BaostockSource(client_for(_module(BAOSTOCK_MODULE_ENV, "baostock",
                                                             "baostock"))))
        elif token is not None:
            sources.append(TushareSource(client_for(_module(TUSHARE_MODULE_ENV, "tushare",
                                                            "tushare")), token))
    return sources
