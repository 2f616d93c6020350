"""A stand-in for akshare with the functions huice calls, returning DataFrames shaped exactly as
akshare's source builds them (column names, order and dtypes), from the bundled real bars.

fund_etf_hist_em / index_zh_a_hist: 日期 as text, 开盘..最低 float, 成交量 int (lots of 100),
成交额 float (CNY), 振幅, 涨跌幅, 涨跌额, 换手率 float. index_hist_sw: 代码 text, 日期 as
datetime.date, 收盘..最低 float, 成交量 (100 million shares), 成交额 (100 million CNY).
fund_scale_daily_szse: 日期, 基金代码, 基金简称, 基金份额 (shares). fund_etf_scale_sse: 序号,
基金代码, 基金简称, ETF类型, 统计日期 (datetime.date), 基金份额 (shares).

``FAIL_FIRST`` makes the next N calls raise a ConnectionError (the endpoints' known flakiness).
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parents[2] / "data" / "bars"
FAIL_FIRST = {"count": 0}
CALLS: list[tuple[str, dict]] = []


@functools.cache
def _read_bars(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"{name}.csv.gz", parse_dates=["date"]).set_index("date")


def _bars(name: str) -> pd.DataFrame:
    """The bundled bars of ``name`` (read once per process; a copy each call, as a server's
    answer would be)."""
    return _read_bars(name).copy()


def _window(frame: pd.DataFrame, start_date: str, end_date: str) -> pd.DataFrame:
    return frame.loc[pd.Timestamp(start_date):pd.Timestamp(end_date)]


def _flaky(name: str, kwargs: dict) -> None:
    CALLS.append((name, kwargs))
    if FAIL_FIRST["count"] > 0:
        FAIL_FIRST["count"] -= 1
        raise ConnectionError("('Connection aborted.', RemoteDisconnected('Remote end closed "
                              "connection without response'))")


def _em(frame: pd.DataFrame) -> pd.DataFrame:
    previous = frame["close"].shift()
    result = pd.DataFrame({
        "日期": frame.index.strftime("%Y-%m-%d"),
        "开盘": frame["open"].to_numpy(), "收盘": frame["close"].to_numpy(),
        "最高": frame["high"].to_numpy(), "最低": frame["low"].to_numpy(),
        "成交量": (frame["volume"] / 100).round().astype("int64").to_numpy(),
        "成交额": frame["amount"].astype(float).to_numpy(),
        "振幅": ((frame["high"] - frame["low"]) / previous * 100).round(2).to_numpy(),
        "涨跌幅": ((frame["close"] / previous - 1) * 100).round(2).to_numpy(),
        "涨跌额": (frame["close"] - previous).round(3).to_numpy(),
        "换手率": 0.0,
    })
    return result


def fund_etf_hist_em(symbol="159707", period="daily", start_date="19700101",
                     end_date="20500101", adjust=""):
    _flaky("fund_etf_hist_em", dict(symbol=symbol, start_date=start_date, end_date=end_date,
                                    adjust=adjust))
    code = {"510300": "510300.SH", "159915": "159915.SZ"}[symbol]
    name = code + (".qfq" if adjust == "qfq" else "")
    if adjust != "qfq":
        return _em(_window(_seen_by("em", code, _bars(code)), start_date, end_date))
    if adjust == "qfq":
        # forward-adjusted from the unadjusted bars and their dividends (the factor steps on
        # each ex-date), rounded to the tick as eastmoney serves them
        raw = _seen_by("em", code, _bars(code))
        factor = ((raw["close"].shift() - raw["dividend"]) / raw["split_ratio"]
                  / raw["close"].shift()).fillna(1.0)
        cumulative = factor[::-1].cumprod()[::-1].shift(-1).fillna(1.0)
        adjusted = raw.copy()
        for column in ("open", "high", "low", "close"):
            adjusted[column] = (raw[column] * cumulative).round(3)
        return _em(_window(adjusted, start_date, end_date))
    return _em(_window(_bars(name), start_date, end_date))


def index_zh_a_hist(symbol="000300", period="daily", start_date="19700101",
                    end_date="20500101"):
    _flaky("index_zh_a_hist", dict(symbol=symbol, start_date=start_date, end_date=end_date))
    code = f"{symbol}.SH"
    return _em(_window(_seen_by("em", code, _bars(code)), start_date, end_date))


def index_hist_sw(symbol="801030", period="day"):
    _flaky("index_hist_sw", dict(symbol=symbol))
    frame = _bars(f"{symbol}.SI")
    return pd.DataFrame({"代码": symbol, "日期": frame.index.date,
                         "收盘": frame["close"].to_numpy(), "开盘": frame["open"].to_numpy(),
                         "最高": frame["high"].to_numpy(), "最低": frame["low"].to_numpy(),
                         "成交量": (frame["volume"] / 1e8).to_numpy(),
                         "成交额": (frame["amount"] / 1e8).to_numpy()})


def fund_scale_daily_szse(start_date="20260401", end_date="20260401", symbol="ETF"):
    _flaky("fund_scale_daily_szse", dict(start_date=start_date, end_date=end_date))
    frame = _window(_bars("159915.SZ"), start_date, end_date)
    frame = frame[frame["shares"].notna()]
    return pd.DataFrame({"日期": frame.index.strftime("%Y-%m-%d"), "基金代码": "159915",
                         "基金简称": "创业板ETF", "基金份额": frame["shares"].to_numpy()})


def fund_etf_scale_sse(date="20250115"):
    _flaky("fund_etf_scale_sse", dict(date=date))
    frame = _bars("510300.SH")
    day = pd.Timestamp(date)
    if day not in frame.index or pd.isna(frame.loc[day, "shares"]):
        return pd.DataFrame(columns=["序号", "基金代码", "基金简称", "ETF类型", "统计日期", "基金份额"])
    return pd.DataFrame({"序号": [1], "基金代码": ["510300"], "基金简称": ["沪深300ETF"],
                         "ETF类型": ["股票型"], "统计日期": [day.date()],
                         "基金份额": [float(frame.loc[day, "shares"])]})


# -- a world for rehearsals: what the sources know on a given evening ---------------------------
# HUICE_FAKE_WORLD names a JSON file: {"today": "2021-03-05", "down": ["em"],
# "missing": {"159915.SZ": [["2021-03-12", "2021-03-15"]]}, "stale": {"em": {"510300.SH":
# "2021-03-19"}}}: the sources serve bars up to today; a source in "down" raises; a bar listed
# under "missing" is absent from every source until the second date (null: never); a stale
# entry makes that source serve the previous bar under that date.
WORLD_ENV = "HUICE_FAKE_WORLD"


def world() -> dict:
    import json
    import os

    path = os.environ.get(WORLD_ENV)
    return json.loads(Path(path).read_text()) if path else {}


def _fail_if_down(now: dict, source: str) -> None:
    if source in now.get("down", []):
        raise ConnectionError(f"('Connection aborted.', ConnectionResetError(104, "
                              f"'Connection reset by peer')) [{source}]")


def _seen_by(source: str, symbol: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as ``source`` serves it tonight (raises when the source is down)."""
    now = world()
    if not now:
        return frame
    _fail_if_down(now, source)
    today = pd.Timestamp(now["today"])
    frame = frame.loc[:today]
    for day, until in now.get("missing", {}).get(symbol, []):
        if until is None or today < pd.Timestamp(until):
            frame = frame.drop(pd.Timestamp(day), errors="ignore")
    stale = now.get("stale", {}).get(source, {}).get(symbol)
    if stale and pd.Timestamp(stale) in frame.index:
        position = frame.index.get_loc(pd.Timestamp(stale))
        frame = frame.copy()
        frame.iloc[position] = frame.iloc[position - 1]
    return frame


_SINA_CODES = {"sh510300": "510300.SH", "sz159915": "159915.SZ", "sh000300": "000300.SH"}


def _sina(symbol: str) -> pd.DataFrame:
    code = _SINA_CODES[symbol]
    frame = _seen_by("sina", code, _bars(code))
    return pd.DataFrame({"date": frame.index.date, "open": frame["open"].to_numpy(),
                         "high": frame["high"].to_numpy(), "low": frame["low"].to_numpy(),
                         "close": frame["close"].to_numpy(),
                         "volume": frame["volume"].astype("int64").to_numpy()})


def fund_etf_hist_sina(symbol="sh510050"):
    _flaky("fund_etf_hist_sina", dict(symbol=symbol))
    return _sina(symbol)


def stock_zh_index_daily(symbol="sh000922"):
    _flaky("stock_zh_index_daily", dict(symbol=symbol))
    return _sina(symbol)


def stock_zh_a_hist_tx(symbol="sz000001", start_date="19000101", end_date="20500101",
                       adjust="", timeout=None):
    _flaky("stock_zh_a_hist_tx", dict(symbol=symbol, start_date=start_date, end_date=end_date))
    code = _SINA_CODES[symbol]
    frame = _window(_seen_by("tencent", code, _bars(code)), start_date, end_date)
    return pd.DataFrame({"date": frame.index.date, "open": frame["open"].to_numpy(),
                         "close": frame["close"].to_numpy(), "high": frame["high"].to_numpy(),
                         "low": frame["low"].to_numpy(),
                         "volume": frame["volume"].astype(float).to_numpy(),
                         "turnover": 0.0, "amount": frame["amount"].astype(float).to_numpy()})


# the NAV endpoints, from the bundled unit NAV (data/nav); the world's "down" may name em_lsjz
# or em_trend, and "nav_missing" lists {symbol: [[day, until]]} as "missing" does for bars
NAV = DATA.parent / "nav"


@functools.cache
def _read_nav(code: str) -> pd.Series:
    path = next(NAV.glob(f"{code}.*.csv.gz"))
    frame = pd.read_csv(path, parse_dates=["date"]).set_index("date")
    return frame["nav"].rename(path.name[:9])


def _nav_seen_by(source: str, code: str) -> pd.Series:
    nav = _read_nav(code).copy()
    now = world()
    if not now:
        return nav
    _fail_if_down(now, source)
    nav = nav.loc[:pd.Timestamp(now["today"])]
    for day, until in now.get("nav_missing", {}).get(str(nav.name), []):
        if until is None or pd.Timestamp(now["today"]) < pd.Timestamp(until):
            nav = nav.drop(pd.Timestamp(day), errors="ignore")
    for day, value in now.get("nav_wrong", {}).get(source, {}).get(str(nav.name), {}).items():
        nav.loc[pd.Timestamp(day)] = value
    return nav


def fund_etf_fund_info_em(fund="511280", start_date="20000101", end_date="20500101"):
    """As akshare's: 净值日期 (datetime.date), 单位净值, 累计净值, 日增长率 (float), 申购状态,
    赎回状态 (text), sorted by date (累计净值 here is the unit NAV: the bundle has no other)."""
    _flaky("fund_etf_fund_info_em", dict(fund=fund, start_date=start_date, end_date=end_date))
    nav = _nav_seen_by("em_lsjz", fund).loc[pd.Timestamp(start_date):pd.Timestamp(end_date)]
    return pd.DataFrame({"净值日期": nav.index.date, "单位净值": nav.to_numpy(),
                         "累计净值": nav.to_numpy(),
                         "日增长率": (nav.pct_change() * 100).round(2).to_numpy(),
                         "申购状态": "场内买入", "赎回状态": "场内卖出"})


def fund_open_fund_info_em(symbol="710001", indicator="单位净值走势", period="成立来"):
    """As akshare's 单位净值走势: 净值日期 (datetime.date), 单位净值, 日增长率 (float), the whole
    history."""
    _flaky("fund_open_fund_info_em", dict(symbol=symbol, indicator=indicator))
    nav = _nav_seen_by("em_trend", symbol)
    return pd.DataFrame({"净值日期": nav.index.date, "单位净值": nav.to_numpy(),
                         "日增长率": (nav.pct_change() * 100).round(2).to_numpy()})
