"""Fresh daily bars from akshare (the optional extra ``huice[akshare]``), into a catalog.

Endpoints used, by what a symbol is (its code):

- ETFs: ``fund_etf_hist_em`` unadjusted (the traded prices, with the cash dividend and split
  of each ex-date derived from the forward-adjusted series, as for the bundled data) and
  forward-adjusted (stored as ``<symbol>.qfq``); shares outstanding from
  ``fund_scale_daily_szse`` (Shenzhen) or ``fund_etf_scale_sse`` (Shanghai, one call per day);
- indices: ``index_zh_a_hist``; Shenwan industries (``.SI``): ``index_hist_sw``.

Each call is retried with exponential backoff and spaced by a throttle; a failure names the
symbol and the endpoint. ``data update`` (:mod:`huice.feeds.failover`) fetches only the days
after each symbol's last stored one.
Nothing is written until every symbol of the call has been fetched and validated, and then in
one atomic change of the catalog (:mod:`huice.feeds.store`).
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from loguru import logger

from huice.feeds.catalog import Instrument
from huice.feeds.codes import classify_code, normalise_code
from huice.feeds.errors import DataError
from huice.feeds.formats import normalise
from huice.feeds.store import CatalogStore

AKSHARE_MODULE_ENV = "HUICE_AKSHARE_MODULE"


def unresolvable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says a host name does not resolve."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, socket.gaierror) or "NameResolutionError" in type(current).__name__ \
                or "Name or service not known" in str(current) \
                or "Temporary failure in name resolution" in str(current):
            return True
        current = current.__cause__ or current.__context__
        if current is None and exc.args and isinstance(exc.args[0], BaseException):
            current = exc.args[0]
    return False


class FetchError(DataError):
    """A download failed after its retries."""


@dataclass
class AkshareClient:
    """Calls akshare with retries, backoff and a throttle. ``module`` is akshare itself (tests
    pass an object with the same functions, returning frames shaped as akshare's do)."""

    module: Any = None
    retries: int = 4
    backoff_seconds: float = 2.0
    throttle_seconds: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    _last_call: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        if self.module is None:
            # HUICE_AKSHARE_MODULE names a stand-in with akshare's functions (an offline mirror,
            # or the tests' fake); the default is akshare itself
            name = os.environ.get(AKSHARE_MODULE_ENV) or "akshare"
            try:
                self.module = importlib.import_module(name)
            except ImportError:
                raise DataError("akshare is not installed: pip install -e \".[akshare]\" in a "
                                "checkout (pip install 'huice[akshare]' from a wheel)",
                                where="data fetch") from None

    def call(self, endpoint: str, label: str, **kwargs: Any) -> pd.DataFrame:
        """``akshare.<endpoint>(**kwargs)`` with retries; FetchError naming both on failure."""
        function = getattr(self.module, endpoint, None)
        if function is None:
            raise FetchError(f"{label}: this akshare has no {endpoint} (an older version? "
                             "pip install -U akshare)", where="data fetch")
        for attempt in range(1, self.retries + 1):
            wait = self.throttle_seconds - (time.monotonic() - self._last_call)
            if wait > 0:
                self.sleep(wait)
            self._last_call = time.monotonic()
            try:
                frame = function(**kwargs)
            except Exception as exc:  # akshare raises whatever its HTTP client raised
                if unresolvable(exc):  # a host name that does not resolve will not on retry
                    raise FetchError(f"{label}: akshare.{endpoint} cannot reach its server: the "
                                     f"host name does not resolve ({type(exc).__name__}); "
                                     "check the network or DNS", where="data fetch") from None
                if attempt == self.retries:
                    raise FetchError(f"{label}: akshare.{endpoint} failed {self.retries} times; "
                                     f"last error {type(exc).__name__}: {exc}",
                                     where="data fetch") from None
                delay = self.backoff_seconds * 2 ** (attempt - 1)
                logger.warning("{}: akshare.{} failed ({}); retry {} of {} in {:.0f} s", label,
                               endpoint, type(exc).__name__, attempt, self.retries - 1, delay)
                self.sleep(delay)
                continue
            if not isinstance(frame, pd.DataFrame):
                raise FetchError(f"{label}: akshare.{endpoint} returned {type(frame).__name__}, "
                                 "not a DataFrame", where="data fetch")
            return frame
        raise AssertionError("unreachable")


def _yyyymmdd(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def _bars(frame: pd.DataFrame, symbol: str, endpoint: str, tradable: bool) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame()
    imported = normalise(frame, source=f"akshare.{endpoint}({symbol})", tradable=tradable)
    # 涨跌额's previous close is not used here: actions come from the qfq series (below)
    return imported.frame.drop(columns=["line", "pre_close"], errors="ignore").set_index("date")


def corporate_actions(raw: pd.DataFrame, adjusted: pd.DataFrame, tick: float = 0.001
                      ) -> pd.DataFrame:
    """``raw`` with ``dividend`` and ``split_ratio`` lines derived from the forward-adjusted
    series: the exchange's ex-rights previous close is the raw previous close times the change
    of the adjustment factor; a gap of at least a tick is a dividend, or a split when the ratio
    is outside 0.77..1.3 (the rule the bundled data was built with)."""
    frame = raw.copy()
    factor = (adjusted["close"].reindex(frame.index) / frame["close"])
    previous = frame["close"].shift()
    reference = previous * factor.shift() / factor
    ratio = previous / reference
    changed = (previous - reference).abs() >= tick - 1e-12
    split = changed & ((ratio > 1.3) | (ratio < 0.77))
    dividend = changed & ~split & (previous > reference)
    frame["dividend"] = (previous - reference).where(dividend, 0.0).round(3).fillna(0.0)
    frame["split_ratio"] = ratio.where(split, 1.0).round(6).fillna(1.0)
    return frame


@dataclass(frozen=True)
class Download:
    """What one symbol's fetch produced: catalog entries by symbol."""

    entries: dict[str, tuple[Instrument, pd.DataFrame]]
    lines: list[str]


def fetch_symbol(client: AkshareClient, symbol: str, start: dt.date, end: dt.date,
                 with_shares: bool = True, shares_from: dt.date | None = None) -> Download:
    """Bars of ``symbol`` between ``start`` and ``end`` (an ETF: also ``<symbol>.qfq``).

    ``shares_from``: ask for shares outstanding only from that day on (an update keeps only its
    new days; the Shanghai endpoint is one call per day, so a history's worth of calls would be
    an evening's worth of waiting); the earlier rows' shares are left empty."""
    found = classify_code(symbol)
    if found is None:
        raise DataError(f"cannot tell what {symbol} is from its code", where="data fetch")
    code = symbol.split(".")[0]
    source = f"akshare ({dt.date.today().isoformat()})"
    if symbol.upper().endswith(".SI"):
        raw = client.call("index_hist_sw", symbol, symbol=code, period="day")
        bars = _bars(raw, symbol, "index_hist_sw", tradable=False).loc[str(start):str(end)]
        return Download({symbol: (Instrument(symbol, symbol, "index", source=source), bars)},
                        [f"{symbol}: {len(bars)} bars from index_hist_sw"])
    if found.asset_class == "index":
        raw = client.call("index_zh_a_hist", symbol, symbol=code, period="daily",
                          start_date=_yyyymmdd(start), end_date=_yyyymmdd(end))
        bars = _bars(raw, symbol, "index_zh_a_hist", tradable=False)
        return Download({symbol: (Instrument(symbol, symbol, "index", source=source), bars)},
                        [f"{symbol}: {len(bars)} bars from index_zh_a_hist"])
    raw = client.call("fund_etf_hist_em", symbol, symbol=code, period="daily",
                      start_date=_yyyymmdd(start), end_date=_yyyymmdd(end), adjust="")
    qfq = client.call("fund_etf_hist_em", symbol, symbol=code, period="daily",
                      start_date=_yyyymmdd(start), end_date=_yyyymmdd(end), adjust="qfq")
    bars = _bars(raw, symbol, "fund_etf_hist_em", tradable=True)
    adjusted = _bars(qfq, symbol, "fund_etf_hist_em", tradable=True)
    lines = [f"{symbol}: {len(bars)} unadjusted bars and {len(adjusted)} forward-adjusted "
             "(.qfq) from fund_etf_hist_em"]
    if len(bars) and len(adjusted):
        bars = corporate_actions(bars, adjusted)
        events = int((bars["dividend"] > 0).sum() + (bars["split_ratio"] != 1).sum())
        lines.append(f"{symbol}: {events} dividend/split ex-date(s) derived from the qfq series")
    days = bars.index if shares_from is None else bars.index[
        bars.index >= pd.Timestamp(shares_from)]
    if with_shares and len(days):
        shares = fetch_shares(client, symbol, days)
        if shares is not None:
            bars["shares"] = shares.reindex(bars.index).to_numpy()
            lines.append(f"{symbol}: shares outstanding on {int(shares.notna().sum())} days")
    etf = Instrument(symbol, symbol, found.asset_class, found.board, source=source)
    entries = {symbol: (etf, bars)}
    if len(adjusted):
        entries[f"{symbol}.qfq"] = (Instrument(f"{symbol}.qfq", f"{symbol} (forward-adjusted)",
                                               found.asset_class, found.board,
                                               source=source + ", forward-adjusted"), adjusted)
    return Download(entries, lines)


def fetch_shares(client: AkshareClient, symbol: str, days: pd.DatetimeIndex) -> pd.Series | None:
    """Shares outstanding on ``days`` from the exchange's own disclosure endpoint."""
    code = symbol.split(".")[0]
    values: dict[pd.Timestamp, float] = {}
    if symbol.endswith(".SZ"):
        start = days[0]
        while start <= days[-1]:  # the endpoint serves at most 6 months per call
            end = min(start + pd.DateOffset(months=6) - pd.Timedelta(days=1), days[-1])
            frame = client.call("fund_scale_daily_szse", symbol, start_date=_yyyymmdd(start),
                                end_date=_yyyymmdd(end), symbol="ETF")
            rows = frame[frame["基金代码"].astype(str).str.zfill(6) == code]
            for day, shares in zip(pd.to_datetime(rows["日期"]), rows["基金份额"]):
                values[pd.Timestamp(day)] = float(shares)
            start = end + pd.Timedelta(days=1)
    elif symbol.endswith(".SH"):
        for day in days:
            frame = client.call("fund_etf_scale_sse", symbol, date=_yyyymmdd(day))
            rows = frame[frame["基金代码"].astype(str).str.zfill(6) == code]
            if len(rows):
                values[day] = float(rows["基金份额"].iloc[0])
    if not values:
        return None
    return pd.Series(values, dtype=float).sort_index()


Entries = dict[str, tuple[Instrument, pd.DataFrame]]


def fetch(store: CatalogStore, client: AkshareClient, symbols: Sequence[str],
          start: dt.date, end: dt.date, *, merge: bool = False,
          complete: Callable[[Entries], list[str]] | None = None) -> list[str]:
    """Download ``symbols`` and write them in one atomic change; with ``merge`` the new days
    are appended to what the catalog holds (an update); ``complete`` adds to the entries
    before they are written (their NAV line) and says what it did. Returns the report
    lines."""
    entries: Entries = {}
    lines: list[str] = []
    for text in symbols:
        symbol = normalise_code(text) or text
        download = fetch_symbol(client, symbol, start, end)
        lines += download.lines
        for name, (instrument, bars) in download.entries.items():
            if merge and not name.endswith(".qfq"):  # a qfq series is replaced whole
                stored = store.bars(name)
                if stored is not None and len(bars):
                    bars = pd.concat([stored, bars[bars.index > stored.index[-1]]])
                elif stored is not None:
                    continue
            if len(bars):
                entries[name] = (instrument, bars)
    if complete is not None:
        lines += complete(entries)
    if entries:
        store.write(entries)
    return lines
