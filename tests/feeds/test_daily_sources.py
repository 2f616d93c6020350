"""Each update source's failures, as real sources fail: a timeout, an empty frame, an HTML page
instead of data, a renamed column, baostock's error code, tushare's refused token; and the
failover that passes over them."""

from __future__ import annotations

import datetime as dt
import types

import pandas as pd
import pytest

from huice.feeds.akshare_source import AkshareClient, fetch
from huice.feeds.daily_sources import (
    BaostockSource,
    SinaSource,
    SourceFailure,
    TencentSource,
    TushareSource,
)
from huice.feeds.failover import update_with_failover
from huice.feeds.store import CatalogStore
from tests.fakes import akshare_fake, tushare_fake

START, END = dt.date(2021, 3, 1), dt.date(2021, 3, 5)


def client(module) -> AkshareClient:
    return AkshareClient(module=module, retries=2, throttle_seconds=0.0, sleep=lambda s: None)


def module(**functions) -> types.SimpleNamespace:
    return types.SimpleNamespace(**functions)


def test_a_timeout_names_the_source_and_the_symbol():
    def timeout(**kwargs):
        raise TimeoutError("HTTPSConnectionPool(host='finance.sina.com.cn'): Read timed out.")
    with pytest.raises(SourceFailure, match=r"510300.SH: akshare.fund_etf_hist_sina failed 2 "
                                             r"times; last error TimeoutError"):
        SinaSource(client(module(fund_etf_hist_sina=timeout))).bars("510300.SH", START, END)


def test_an_empty_frame_html_and_a_renamed_column_are_failures():
    empty = module(fund_etf_hist_sina=lambda **k: pd.DataFrame())
    with pytest.raises(SourceFailure, match="sina answered an empty table"):
        SinaSource(client(empty)).bars("510300.SH", START, END)
    html = module(stock_zh_a_hist_tx=lambda **k: "<html><body>502 Bad Gateway</body></html>")
    with pytest.raises(SourceFailure, match=r"510300.SH: akshare.stock_zh_a_hist_tx returned "
                                            r"str, not a DataFrame"):
        TencentSource(client(html)).bars("510300.SH", START, END)
    renamed = akshare_fake.fund_etf_hist_sina(symbol="sh510300").rename(columns={"close": "收盘"})
    with pytest.raises(SourceFailure, match=r"sina's answer has no close column \(it has date, "
                                            r"open, high, low, 收盘, volume\): its layout changed"):
        SinaSource(client(module(fund_etf_hist_sina=lambda **k: renamed))).bars(
            "510300.SH", START, END)
    with pytest.raises(SourceFailure, match="sina serves SSE and SZSE codes only"):
        SinaSource(client(empty)).bars("801080.SI", START, END)


def test_sina_and_tencent_give_the_real_bars():
    sina = SinaSource(client(akshare_fake)).bars("159915.SZ", START, END)
    tencent = TencentSource(client(akshare_fake)).bars("159915.SZ", START, END)
    bundled = pd.read_csv(akshare_fake.DATA / "159915.SZ.csv.gz", parse_dates=["date"]
                          ).set_index("date").loc[str(START):str(END)]
    for answer in (sina, tencent):
        assert not answer.has_actions and len(answer.bars) == 5
        assert (answer.bars["close"] == bundled["close"]).all()
        assert (answer.bars["volume"] == bundled["volume"]).all()
    assert (tencent.bars["amount"] == bundled["amount"]).all()


class _Result:
    def __init__(self, frame=None, code="0", message="success"):
        self.frame, self.error_code, self.error_msg = frame, code, message

    def get_data(self):
        return self.frame


def test_baostock_error_code_and_its_previous_close():
    refused = module(login=lambda: None, logout=lambda: None,
                     query_history_k_data_plus=lambda *a, **k: _Result(code="10002007",
                                                                       message="网络接收错误"))
    with pytest.raises(SourceFailure, match=r"510300\.SH: baostock error 10002007: 网络接收错误"):
        BaostockSource(client(refused)).bars("510300.SH", START, END)
    rows = pd.DataFrame({"date": ["2021-01-15", "2021-01-18"], "code": "sh.510300",
                         "open": ["5.5430", "5.4510"], "high": ["5.5760", "5.5470"],
                         "low": ["5.4600", "5.4150"], "close": ["5.5260", "5.5130"],
                         "preclose": ["5.5430", "5.4540"], "volume": ["709049177", "396768553"],
                         "amount": ["3916989378.0", "2176480901.0"], "adjustflag": "3",
                         "tradestatus": "1"})
    answer = BaostockSource(client(module(login=lambda: None, logout=lambda: None,
                                          query_history_k_data_plus=lambda *a, **k: _Result(
                                              rows)))).bars("510300.SH", START, END)
    assert answer.has_actions and answer.bars.loc["2021-01-18", "dividend"] == 0.072


def test_tushare_refuses_a_wrong_token_without_saying_it(monkeypatch):
    monkeypatch.setenv(tushare_fake.EXPECTED_TOKEN_ENV, "right-token")
    with pytest.raises(SourceFailure) as refused:
        TushareSource(client(tushare_fake), "wrong-token-123").bars("510300.SH", START, END)
    assert "tushare refused the token" in str(refused.value)
    assert "wrong-token-123" not in str(refused.value)


def test_the_failover_passes_over_what_fails(tmp_path, monkeypatch):
    store = CatalogStore(tmp_path / "cat")
    fetch(store, client(akshare_fake), ["510300.SH"], dt.date(2021, 2, 1), dt.date(2021, 2, 26))
    html = module(fund_etf_hist_em=lambda **k: "<!DOCTYPE html><title>403</title>",
                  fund_etf_hist_sina=lambda **k: pd.DataFrame())
    from huice.feeds.daily_sources import EastmoneySource

    lines = update_with_failover(store, [EastmoneySource(client(html)), SinaSource(client(html)),
                                         TencentSource(client(akshare_fake))], END, check_days=0)
    assert any("510300.SH: em failed:" in line and "returned str, not a DataFrame" in line
               for line in lines), lines
    assert "510300.SH: sina failed: 510300.SH: sina answered an empty table; trying the next " \
           "source" in lines
    assert "510300.SH: 5 new day(s) from tencent, through 2021-03-05" in lines
    assert store.bars("510300.SH").index[-1] == pd.Timestamp("2021-03-05")


def test_an_update_asks_for_shares_of_its_new_days_only(tmp_path):
    """Shanghai's shares endpoint answers one day per call: an evening's update of an ETF with
    weeks of history asks for the new days' shares, not the whole history's again (each call
    waits a second's throttle in real use)."""
    from huice.feeds.daily_sources import EastmoneySource

    store = CatalogStore(tmp_path / "cat")
    fetch(store, client(akshare_fake), ["510300.SH"], dt.date(2021, 1, 4), dt.date(2021, 2, 26))
    akshare_fake.CALLS.clear()
    lines = update_with_failover(store, [EastmoneySource(client(akshare_fake))], END,
                                 check_days=0)
    assert "510300.SH: 5 new day(s) from em, through 2021-03-05" in lines
    asked = [kwargs["date"] for name, kwargs in akshare_fake.CALLS
             if name == "fund_etf_scale_sse"]
    assert asked == ["20210301", "20210302", "20210303", "20210304", "20210305"]
    bars = store.bars("510300.SH")
    # the new days carry the exchange's figures, the stored ones are unchanged
    expected = akshare_fake._bars("510300.SH").loc["2021-01-04":"2021-03-05", "shares"]
    pd.testing.assert_series_equal(bars["shares"], expected, check_names=False,
                                   check_freq=False)
