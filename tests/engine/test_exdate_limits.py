"""Price limits on ex-dates and fills at a sealed limit (issue 10, items 1 and 2).

The exchange sets an ex-date's limits from the ex-rights reference price
(previous close - cash dividend) / split ratio; a bar that closes at its limit-up cannot be
bought at that limit (the queue is full), nor sold at a limit-down it closes on.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest

from huice.engine.run.assembly import run_backtest
from huice.strategies.replay import ReplayOrders
from tests.helpers.configs import make_config
from tests.helpers.days import iso

REPO = Path(__file__).resolve().parents[2]


def replay(tmp_path, rows, start, end, broker=None):
    path = tmp_path / "orders.csv"
    path.write_text("date,symbol,side,quantity\n" + "\n".join(rows) + "\n")
    params = {"path": str(path)}
    config = make_config("orders", params, start=start, end=end, broker=broker or {},
                         benchmark=None)
    return run_backtest(config, ReplayOrders.from_params(params))


def limit(value: float) -> float:
    return float(Decimal(repr(float(value))).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def test_split_day_limits_come_from_the_ex_rights_price(tmp_path):
    # 512010 split x3.904994 on 2021-06-28 (suspended on 2021-06-25, the day before, as ETFs
    # are before a split: the order waits as gtc); the previous close (2021-06-24) was 3.206, so the
    # reference is 3.206 / 3.904994 = 0.82100 and the limits 0.739..0.903, around the bar's
    # 0.821..0.837. Raw previous close would give 2.885..3.527 and refuse everything.
    result = replay(tmp_path, ["2021-06-24,512010.SH,buy,10000"], "2021-06-21", "2021-06-30",
                    broker={"order_validity": "gtc"})
    order = result.orders.iloc[0]
    assert order["status"] == "filled", order["reason"]
    fill = result.fills.iloc[0]
    assert (iso(fill["date"]), fill["price"], fill["quantity"]) == ("2021-06-28", 0.821, 10000.0)


def test_dividend_day_limits_come_from_the_ex_rights_price(tmp_path):
    # 510500 went ex a 0.916 CNY dividend on 2022-08-29 after closing at 7.220 (hence
    # (7.220 - 0.916) x 1.1 = 6.934 up, 5.674 down); the bar trades 6.199..6.31 and opens 6.200
    result = replay(tmp_path, ["2022-08-26,510500.SH,buy,1000"], "2022-08-22", "2022-08-31")
    order = result.orders.iloc[0]
    assert order["status"] == "filled", order["reason"]
    fill = result.fills.iloc[0]
    assert (iso(fill["date"]), fill["price"]) == ("2022-08-29", 6.2)


def listed_splits() -> list[tuple[str, str, float]]:
    log = (REPO / "data" / "BUILD_LOG.md").read_text(encoding="utf-8")
    found = re.findall(r"(\d{6}) split x([\d.]+) on (\d{4}-\d{2}-\d{2})", log)
    assert len(found) >= 13
    catalog = pd.read_csv(REPO / "data" / "catalog.csv", dtype=str)
    symbols = {s.split(".")[0]: s for s in catalog["symbol"] if s.count(".") == 1}
    return [(symbols[code], day, float(ratio)) for code, ratio, day in found]


@pytest.mark.parametrize("symbol,day,ratio", listed_splits())
def test_every_listed_split_day_can_be_traded(tmp_path, symbol, day, ratio):
    bars = pd.read_csv(REPO / "data" / "catalog.csv", dtype=str).set_index("symbol")
    frame = pd.read_csv(REPO / "data" / bars.loc[symbol, "path"], index_col=0, parse_dates=True)
    position = frame.index.get_loc(pd.Timestamp(day))
    previous, today = frame.iloc[position - 1], frame.iloc[position]
    assert today["split_ratio"] == pytest.approx(ratio, rel=1e-5)
    # an independent reading of the rule: the day's limits around the ex-rights price
    base = (previous["close"] - today["dividend"]) / today["split_ratio"]
    up, down = limit(base * 1.1), limit(base * 0.9)
    assert down <= today["open"] <= up, "the data itself opens outside the ex-rights limits"
    result = replay(tmp_path, [f"{frame.index[position - 1].date()},{symbol},buy,1000"],
                    str(frame.index[position - 3].date()), str(frame.index[position + 1].date()),
                    broker={"order_validity": "gtc"})  # ETFs are suspended the day before
    order = result.orders.iloc[0]
    assert order["status"] == "filled", order["reason"]
    assert iso(result.fills.iloc[0]["date"]) == day
    assert result.fills.iloc[0]["price"] == today["open"]


def test_no_fill_at_limit_up_on_a_bar_that_closes_sealed(tmp_path):
    # 159915 closed 2.298 on 2015-07-10; 2015-07-13 opened 2.524 and closed at its limit-up
    # round(2.298 x 1.1, 3) = 2.528. Five ticks of slippage take the buy to 2.529, beyond the
    # limit; at the limit itself the queue is full, so nothing fills.
    result = replay(tmp_path, ["2015-07-10,159915.SZ,buy,1000"], "2015-07-06", "2015-07-13",
                    broker={"slippage": {"kind": "ticks", "value": 5}})
    order = result.orders.iloc[0]
    assert order["status"] == "expired" and result.fills.empty
    assert ("limit-up: 159915.SZ closed sealed at its limit 2.528 on 2015-07-13, a buy at the "
            "limit is refused") in order["reason"]


def test_fill_below_a_sealed_limit_stays_allowed(tmp_path):
    # the same day with 2 ticks: 2.524 + 0.002 = 2.526, below the limit: filled there
    result = replay(tmp_path, ["2015-07-10,159915.SZ,buy,1000"], "2015-07-06", "2015-07-13",
                    broker={"slippage": {"kind": "ticks", "value": 2}})
    fill = result.fills.iloc[0]
    assert (iso(fill["date"]), fill["price"], fill["quantity"]) == ("2015-07-13", 2.526, 1000.0)
