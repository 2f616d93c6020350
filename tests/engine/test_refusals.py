"""Each refusal of the broker, on real bars where the market provides one, with the reason shown
in orders.csv: limit-up buy, limit-down sell, suspended day, cash short, T+1 sale, zero lot."""

from __future__ import annotations

import pandas as pd
import pytest

from huice.config.schema import DataConfig, RunConfig
from huice.engine.broker.ashare import AShareBroker
from huice.engine.broker.clock import MarketClock
from huice.engine.broker.refusals import Code
from huice.engine.run.assembly import resolve_all_rules, run_backtest
from huice.feeds.catalog import Instrument
from huice.feeds.loading import load_market
from huice.strategies.replay import ReplayOrders
from tests.helpers.configs import make_config
from tests.helpers.days import iso, isos

CHINEXT_ETF = "159915.SZ.qfq"


def replay(tmp_path, rows, start, end, broker=None, frames=None, instruments=None):
    path = tmp_path / "orders.csv"
    path.write_text("date,symbol,side,quantity\n" + "\n".join(rows) + "\n")
    params = {"path": str(path)}
    config = make_config("orders", params, start=start, end=end, broker=broker or {},
                         benchmark=None)
    return run_backtest(config, ReplayOrders.from_params(params), frames=frames,
                        instruments=instruments)


def test_buy_at_the_open_refused_when_it_opens_at_limit_up(tmp_path):
    # 159915 (ChiNext ETF, +-20%) closed at 2.232 on 2024-09-30; on 2024-10-08 it opened at the
    # limit-up round(2.232 x 1.2, 3) = 2.678: an order for that open cannot be filled.
    result = replay(tmp_path, [f"2024-09-30,{CHINEXT_ETF},buy,1000"], "2024-09-20", "2024-10-10")
    order = result.orders.iloc[0]
    assert order["status"] == "expired" and order["filled"] == 0
    assert "limit-up: 159915.SZ.qfq at its limit 2.678 on 2024-10-08, buy refused" in order["reason"]
    assert result.fills.empty


def test_buy_at_the_close_refused_when_it_closes_at_limit_up(tmp_path):
    # 2024-09-30 closed at its limit-up round(1.860 x 1.2, 3) = 2.232; with gtc the order waits
    # and fills at the next close (2024-10-08 also closed at its limit 2.678: refused again;
    # 2024-10-09 closed at 2.242, below its limit)
    result = replay(tmp_path, [f"2024-09-30,{CHINEXT_ETF},buy,1000"], "2024-09-20", "2024-10-10",
                    broker={"execution": "close", "order_validity": "gtc"})
    order = result.orders.iloc[0]
    assert "limit-up: 159915.SZ.qfq at its limit 2.232 on 2024-09-30" in order["reason"]
    assert "limit-up: 159915.SZ.qfq at its limit 2.678 on 2024-10-08" in order["reason"]
    fill = result.fills.iloc[0]
    assert (iso(fill["date"]), fill["price"]) == ("2024-10-09", 2.242)


def test_sell_refused_at_limit_down(tmp_path):
    # 510300 opened 7.3% down on 2020-02-03 (first day after the 2020 Spring Festival). With a
    # configured 7% limit the open is beyond the limit-down: the sale at that open is refused.
    symbol = "510300.SH.qfq"
    result = replay(tmp_path, [f"2020-01-20,{symbol},buy,1000", f"2020-01-23,{symbol},sell,1000"],
                    "2020-01-13", "2020-02-10",
                    broker={"instruments": {symbol: {"price_limit": 0.07}}})
    sell = result.orders.iloc[1]
    assert sell["status"] == "expired"
    assert "limit-down: 510300.SH.qfq at its limit" in sell["reason"]
    assert "on 2020-02-03, sell refused" in sell["reason"]


def one_price_bars(close_path, volume=None):
    dates = pd.bdate_range("2024-01-02", periods=len(close_path))
    return pd.DataFrame({"open": close_path, "high": close_path, "low": close_path,
                         "close": close_path, "volume": volume or [1e6] * len(close_path)},
                        index=pd.DatetimeIndex(dates, name="date"))


def test_sealed_limit_bars_refuse_buys_and_sells(tmp_path):
    # 10.00 -> 11.00 (+10%, one price all day: sealed limit-up) -> 9.90 (-10%, sealed down)
    frames = {"S": one_price_bars([10.0, 10.0, 11.0, 9.9, 9.9])}
    instruments = {"S": Instrument("S", "stock S", "stock", "main")}
    result = replay(tmp_path, ["2024-01-02,S,buy,100", "2024-01-03,S,buy,100",
                               "2024-01-04,S,sell,100"],
                    "2024-01-02", "2024-01-08", frames=frames, instruments=instruments)
    reasons = result.orders["reason"].tolist()
    assert isos(result.fills["date"]) == ["2024-01-03"]            # first buy, unlimited day
    assert "limit-up: S at its limit 11 on 2024-01-04, buy refused" in reasons[1]
    assert "limit-down: S at its limit 9.9 on 2024-01-05, sell refused" in reasons[2]


def test_suspended_day_waits_or_expires(tmp_path):
    # SW Electronics has no bar on 2023-09-08 (missing in every source): an order for that open
    # expires as a day order, and waits for the next bar as gtc
    rows = ["2023-09-07,801080.SI,buy,1000"]
    day = replay(tmp_path, rows, "2023-09-01", "2023-09-15")
    assert day.orders.iloc[0]["status"] == "expired"
    assert "suspended: no bar for 801080.SI on 2023-09-08" in day.orders.iloc[0]["reason"]
    waiting = replay(tmp_path, rows, "2023-09-01", "2023-09-15", broker={"order_validity": "gtc"})
    assert iso(waiting.fills.iloc[0]["date"]) == "2023-09-11"


def test_zero_volume_bar_is_a_suspension(tmp_path):
    frames = {"S": one_price_bars([10.0, 10.0, 10.0, 10.0], volume=[1e6, 1e6, 0.0, 1e6])}
    instruments = {"S": Instrument("S", "stock S", "stock", "main")}
    result = replay(tmp_path, ["2024-01-03,S,buy,100"], "2024-01-02", "2024-01-05",
                    frames=frames, instruments=instruments)
    assert "suspended: zero volume for S on 2024-01-04" in result.orders.iloc[0]["reason"]
    assert result.fills.empty


def test_cash_short_buy_is_cut_to_whole_lots(tmp_path):
    # 100,000 CNY; open 2.166 on 2022-04-29 (no slippage): 100000 / (2.166 x 1.00025) = 46156.6
    # -> 46100 shares = 99852.60 + commission 24.96 = 99877.56 <= 100000
    result = replay(tmp_path, [f"2022-04-28,{CHINEXT_ETF},buy,60000"], "2022-04-20", "2022-05-10",
                    broker={"initial_cash": 100000})
    fill = result.fills.iloc[0]
    assert (fill["quantity"], fill["value"], fill["commission"]) == (46100, 99852.60, 24.96)
    assert fill["cash_after"] == pytest.approx(122.44, abs=1e-9)
    assert "cash short: 100000.00 CNY buys 46100 of 60000" in result.orders.iloc[0]["reason"]


def test_zero_lot_order_is_not_sent(tmp_path):
    result = replay(tmp_path, [f"2022-04-28,{CHINEXT_ETF},buy,99"], "2022-04-20", "2022-05-10")
    order = result.orders.iloc[0]
    assert order["status"] == "rejected" and order["quantity"] == 0
    assert "zero lot: 99 rounds to 0 (lots of 100)" in order["reason"]


def test_same_day_resale_refused_under_t_plus_1():
    market = load_market(DataConfig(start="2023-07-03", end="2023-07-14", benchmark=None),
                         [CHINEXT_ETF])
    config = RunConfig.model_validate({"name": "t", "data": {}, "strategy": {"name": "x"},
                                       "broker": {"execution": "close"}})
    rules = resolve_all_rules(config, market)
    broker = AShareBroker(config.broker, rules, MarketClock(market, {}))
    broker.next()
    broker.submit_order(CHINEXT_ETF, True, 1000)
    broker.fill_at_close()
    sale = broker.submit_order(CHINEXT_ETF, False, 1000)
    broker.fill_at_close()
    # refused when placed (an A-share broker checks the sellable quantity at the order)
    assert sale.status.value == "rejected" and sale.filled == 0 and sale.codes == [Code.T_PLUS_1]
    assert "T+1: 1000 159915.SZ.qfq bought on 2023-07-03 cannot be sold before the next " \
           "trading day" in sale.reasons[0]
    # a T+0 class (gold, bond, money, cross-border ETFs, or an override) may sell the same day
    config = RunConfig.model_validate({"name": "t", "data": {}, "strategy": {"name": "x"},
                                       "broker": {"execution": "close", "instruments": {
                                           CHINEXT_ETF: {"t_plus": 0}}}})
    broker = AShareBroker(config.broker, resolve_all_rules(config, market), MarketClock(market, {}))
    broker.next()
    broker.submit_order(CHINEXT_ETF, True, 1000)
    broker.fill_at_close()
    broker.submit_order(CHINEXT_ETF, False, 1000)
    broker.fill_at_close()
    assert [f.is_buy for f in broker.fills] == [True, False]


def test_volume_cap_fills_a_share_of_the_bar_and_cancels_or_keeps_the_rest(tmp_path):
    # 2022-04-29 volume of 159915.SZ.qfq is read from the bundle; a cap of 1e-5 of it is tiny
    from huice.feeds.csv_source import read_bars_csv
    from tests.conftest import DATA

    volume = read_bars_csv(DATA / f"bars/{CHINEXT_ETF}.csv.gz").loc["2022-04-29", "volume"]
    allowed = int(volume * 1e-5 // 100 * 100)
    assert 0 < allowed < 50000
    rows = [f"2022-04-28,{CHINEXT_ETF},buy,50000"]
    cancel = replay(tmp_path, rows, "2022-04-20", "2022-05-10",
                    broker={"volume_cap": {"max_participation": 1e-5, "remainder": "cancel"}})
    order = cancel.orders.iloc[0]
    assert (order["status"], order["filled"]) == ("cancelled", allowed)
    assert "volume cap" in order["reason"]
    wait = replay(tmp_path, rows, "2022-04-20", "2022-05-10",
                  broker={"volume_cap": {"max_participation": 1e-5, "remainder": "wait"}})
    assert len(wait.fills) > 1 and wait.fills["quantity"].sum() <= 50000
    assert wait.fills["date"].iloc[1] > wait.fills["date"].iloc[0]
