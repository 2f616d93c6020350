"""Limit, stop and stop-limit orders with day, gtc and until-a-date validity, on real bars of
510300.SH (an ETF: lots of 100, tick 0.001, commission 0.025% without minimum, no stamp duty),
each fill worked out by hand from the bars below (open high low close):

    2019-06-18  3.678 3.692 3.647 3.681
    2019-06-19  3.772 3.807 3.732 3.735
    2019-06-20  3.734 3.875 3.732 3.843
    2019-06-21  3.855 3.880 3.833 3.850
"""

from __future__ import annotations

import pytest

from huice.engine.run.assembly import run_backtest
from huice.strategies.replay import ReplayOrders
from tests.helpers.configs import make_config
from tests.helpers.days import iso

ETF = "510300.SH"


def replay(tmp_path, rows, broker=None, end="2019-06-21"):
    path = tmp_path / "orders.csv"
    path.write_text("date,symbol,side,quantity,limit,stop,valid\n" + "\n".join(rows) + "\n")
    params = {"path": str(path)}
    config = make_config("orders", params, start="2019-06-14", end=end, broker=broker or {},
                         benchmark=None)
    return run_backtest(config, ReplayOrders.from_params(params))


@pytest.mark.parametrize("row,date,price", [
    # limit 3.75: the open 3.772 is above it, the low 3.732 reaches it: filled at the limit
    (f"2019-06-18,{ETF},buy,1000,3.75,,", "2019-06-19", 3.75),
    # limit 3.80: the open 3.772 is already better: filled at the open
    (f"2019-06-18,{ETF},buy,1000,3.80,,", "2019-06-19", 3.772),
    # stop 3.80: the open 3.772 is below, the high 3.807 reaches it: triggered, filled at 3.80
    (f"2019-06-18,{ETF},buy,1000,,3.80,", "2019-06-19", 3.80),
    # stop 3.75: the open 3.772 gaps through it: filled at the open
    (f"2019-06-18,{ETF},buy,1000,,3.75,", "2019-06-19", 3.772),
    # stop 3.80 limit 3.79: triggered at 3.80 inside 06-19, above the limit; the bar opened
    # above its close (3.772 > 3.735), so after the trigger it fell through 3.79 on its way to
    # the close: filled at the limit that day (backtrader's rule)
    (f"2019-06-18,{ETF},buy,1000,3.79,3.80,gtc", "2019-06-19", 3.79),
    # stop 3.85 limit 3.84 (gtc): triggered at 3.85 inside 06-20, a bar that closed above its
    # open (3.734 -> 3.843), so nothing shows it came back to 3.84 after the trigger: it rests as
    # a limit order; 06-21 opens at 3.855 above the limit and its low 3.833 reaches it
    (f"2019-06-19,{ETF},buy,1000,3.84,3.85,gtc", "2019-06-21", 3.84),
    # stop 3.76 limit 3.75: 06-19 opens at 3.772, through the stop: a limit order for the whole
    # bar, whose low 3.732 reaches 3.75 (the gap case, mirrored for a buy)
    (f"2019-06-18,{ETF},buy,1000,3.75,3.76,", "2019-06-19", 3.75),
])
def test_buy_fill_prices_by_hand(tmp_path, row, date, price):
    result = replay(tmp_path, [row], broker={"order_validity": "day"})
    fill = result.fills.iloc[0]
    assert (iso(fill["date"]), fill["price"], fill["quantity"]) == (date, price, 1000.0)
    # commission 0.025% of the value, to the cent (half up); an ETF pays nothing else
    value = round(1000 * price, 2)
    assert fill["value"] == value
    assert fill["commission"] == float(f"{value * 0.00025 + 1e-9:.2f}")
    assert fill["cash_after"] == round(1_000_000 - value - fill["commission"], 2)


def test_limit_not_reached_expires_as_a_day_order(tmp_path):
    result = replay(tmp_path, [f"2019-06-18,{ETF},buy,1000,3.70,,day"])
    order = result.orders.iloc[0]
    assert result.fills.empty and order["status"] == "expired" and iso(order["closed"]) == "2019-06-19"
    assert "limit: 510300.SH did not reach the limit price on 2019-06-19" in order["reason"]


def test_valid_until_a_date(tmp_path):
    # lows 3.732, 3.732, 3.833: a limit of 3.70 is never reached; valid through 2019-06-20
    result = replay(tmp_path, [f"2019-06-18,{ETF},buy,1000,3.70,,2019-06-20"])
    order = result.orders.iloc[0]
    assert result.fills.empty
    assert (order["status"], iso(order["closed"])) == ("expired", "2019-06-20")


def test_gtc_limit_waits_until_the_end_of_the_run(tmp_path):
    result = replay(tmp_path, [f"2019-06-18,{ETF},buy,1000,3.70,,gtc"])
    order = result.orders.iloc[0]
    assert (order["status"], iso(order["closed"])) == ("cancelled", "2019-06-21")
    assert "run ended before the order could fill" in order["reason"]


def test_limit_sell_fills_at_the_limit(tmp_path):
    # bought at the 2019-06-18 open (3.678); a sell limit 3.85 placed on 06-19 (sellable from
    # 06-20 under T+1): 06-20 opens at 3.734 below the limit, its high 3.875 reaches it
    result = replay(tmp_path, [f"2019-06-17,{ETF},buy,1000,,,",
                               f"2019-06-19,{ETF},sell,1000,3.85,,"])
    buy, sell = result.fills.iloc[0], result.fills.iloc[1]
    assert (iso(buy["date"]), buy["price"]) == ("2019-06-18", 3.678)
    assert (iso(sell["date"]), sell["price"], sell["side"]) == ("2019-06-20", 3.85, "sell")
    assert sell["commission"] == 0.96  # 3850 x 0.025% = 0.9625
    assert sell["cash_after"] == round(buy["cash_after"] + 3850.0 - 0.96, 2)


def test_slippage_never_takes_a_limit_order_past_its_limit(tmp_path):
    # limit 3.75 reached intraday; 5 ticks of slippage would make 3.755: capped at the limit
    result = replay(tmp_path, [f"2019-06-18,{ETF},buy,1000,3.75,,"],
                    broker={"slippage": {"kind": "ticks", "value": 5}})
    assert result.fills.iloc[0]["price"] == 3.75


def test_limit_orders_at_the_close(tmp_path):
    # execution close: a limit buy placed on 06-19 fills at that day's close 3.735 when the
    # limit is at or above it, and not at all when below
    filled = replay(tmp_path, [f"2019-06-19,{ETF},buy,1000,3.74,,"],
                    broker={"execution": "close"})
    assert (iso(filled.fills.iloc[0]["date"]), filled.fills.iloc[0]["price"]) == ("2019-06-19", 3.735)
    refused = replay(tmp_path, [f"2019-06-19,{ETF},buy,1000,3.73,,"],
                     broker={"execution": "close"})
    assert refused.fills.empty
