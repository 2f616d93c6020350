"""The unit-NAV (单位净值) sources ``data fetch --nav`` and ``data update`` fail over between.

Both are akshare's Eastmoney (天天基金) endpoints, read as akshare builds them (akfamily/akshare
``akshare/fund/fund_em.py``, checked at its commit of 2026-08-21):

- ``em_lsjz``: ``fund_etf_fund_info_em(fund="510300", start_date="20210301",
  end_date="20210305")``, the 历史净值明细 pages of api.fund.eastmoney.com/f10/lsjz, 20 rows a
  call; columns 净值日期 (datetime.date), 单位净值, 累计净值, 日增长率 (float), 申购状态,
  赎回状态 (text), sorted by date.
- ``em_trend``: ``fund_open_fund_info_em(symbol="510300", indicator="单位净值走势")``, the
  fund's whole ``Data_netWorthTrend`` from fund.eastmoney.com/pingzhongdata (the series the
  bundled NAV of SOURCES.md section 7A came from); columns 净值日期 (datetime.date), 单位净值,
  日增长率 (float). It needs py_mini_racer, which akshare installs.

Each returns the NAV by date or raises :class:`SourceFailure` saying what went wrong (the call
failed after its retries, not a table, empty, a column missing, a NAV that is not positive).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from huice.feeds.akshare_source import AkshareClient, FetchError
from huice.feeds.daily_sources import SourceFailure, checked_table

NAV_SOURCE_NAMES = ("em_lsjz", "em_trend")
DATE, NAV = "净值日期", "单位净值"


def nav_from_table(frame: Any, source: str, symbol: str) -> pd.Series:
    """The unit NAV of a source's answer (rows without a NAV, which eastmoney leaves blank on
    some days, left out); :class:`SourceFailure` when the answer is not a usable table."""
    frame = checked_table(frame, source, symbol, (DATE, NAV))
    dates = pd.to_datetime(frame[DATE], errors="coerce")
    values = pd.to_numeric(frame[NAV], errors="coerce")
    usable = dates.notna() & values.notna()
    if (values[usable] <= 0).any():
        day = dates[usable][values[usable] <= 0].iloc[0].date()
        raise SourceFailure(f"{symbol}: {source} gives a NAV that is not positive on {day}",
                            where="data update")
    series = pd.Series(values[usable].to_numpy(dtype=float),
                       index=pd.DatetimeIndex(dates[usable]).normalize())
    return series[~series.index.duplicated(keep="last")].sort_index()


class NavSource:
    """One NAV source: ``nav(symbol, start, end)``; ``client`` calls akshare with retries,
    backoff and a throttle."""

    name = ""

    def __init__(self, client: AkshareClient) -> None:
        self.client = client

    def nav(self, symbol: str, start: dt.date, end: dt.date) -> pd.Series:
        """The unit NAV of ``symbol`` (510300.SH) between ``start`` and ``end``."""
        raise NotImplementedError

    def _call(self, function: str, label: str, **kwargs: Any) -> Any:
        try:
            return self.client.call(function, f"{label} NAV", **kwargs)
        except FetchError as exc:
            raise SourceFailure(exc.message, where="data update") from None


class EastmoneyNavHistory(NavSource):
    """``fund_etf_fund_info_em``: the NAV pages between two dates."""

    name = "em_lsjz"

    def nav(self, symbol: str, start: dt.date, end: dt.date) -> pd.Series:
        frame = self._call("fund_etf_fund_info_em", symbol, fund=symbol.split(".")[0],
                           start_date=start.strftime("%Y%m%d"), end_date=end.strftime("%Y%m%d"))
        return nav_from_table(frame, self.name, symbol).loc[pd.Timestamp(start):
                                                            pd.Timestamp(end)]


class EastmoneyNavTrend(NavSource):
    """``fund_open_fund_info_em(indicator="单位净值走势")``: the whole NAV history."""

    name = "em_trend"

    def nav(self, symbol: str, start: dt.date, end: dt.date) -> pd.Series:
        frame = self._call("fund_open_fund_info_em", symbol, symbol=symbol.split(".")[0],
                           indicator="单位净值走势")
        return nav_from_table(frame, self.name, symbol).loc[pd.Timestamp(start):
                                                            pd.Timestamp(end)]


def make_nav_sources(client: AkshareClient) -> list[NavSource]:
    """Both NAV sources, in the order tried (em_lsjz, then em_trend)."""
    return [EastmoneyNavHistory(client), EastmoneyNavTrend(client)]
