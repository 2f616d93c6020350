"""A buy that cash cannot pay ends on the bar it is due, as backtrader's BackBroker ends it
(Margin), instead of resting until it becomes affordable: the issue's case (cash 50, a buy of
one unit at 100, opens 100, 100, 40, 60), the same under lots of 100, and the unpaid rest of a
buy that cash pays in part. Each is run on backtrader's own broker and on huice's."""

from __future__ import annotations

import pandas as pd
import pytest

import huice
from tests.helpers.scripted_bt import RELAXED_BROKER, SYMBOL, ScriptedStrategy, run_backbroker

OPENS = [100.0, 100.0, 100.0, 40.0, 60.0, 60.0]


def synthetic_bars() -> pd.DataFrame:
    """Opens 100, 100, 100, 40, 60, 60; each bar closes at its open (one price a day); the
    volumes differ (a bar repeating the previous one exactly is a stale bar)."""
    dates = pd.DatetimeIndex(pd.to_datetime(["2021-01-04", "2021-01-05", "2021-01-06",
                                             "2021-01-07", "2021-01-08", "2021-01-11"]),
                             name="date")
    return pd.DataFrame({"open": OPENS, "high": OPENS, "low": OPENS, "close": OPENS,
                         "volume": [1e6 + n for n in range(len(OPENS))]}, index=dates)


def run_ours(script: list, cash: float, lot: int = 1):
    import json

    from tests.helpers.scripted_bt import RECORDS

    broker = {**RELAXED_BROKER, "initial_cash": cash,
              "instruments": {SYMBOL: {**RELAXED_BROKER["instruments"][SYMBOL], "lot": lot}}}
    # opens 100 -> 40 is a move no real day makes: accepted on purpose (the data gate)
    config = {"name": "margin", "data": {"benchmark": None, "accept": [
                  {"symbol": SYMBOL, "date": "2021-01-07", "as": "bar"}]},
              "strategy": {"name": "x", "instruments": [SYMBOL]}, "broker": broker}
    frame = synthetic_bars().reset_index()
    result = huice.backtest(config, strategy=ScriptedStrategy, frames={SYMBOL: frame},
                            params={"script": json.dumps(script), "sink": "huice"})
    return RECORDS["huice"], result


def statuses(record: dict) -> list[tuple[int, str, int, float]]:
    return [(index, status, bar, float(size))
            for index, status, bar, _day, size, _price in record["notifications"]]


def buy(bar: int, size: int) -> list:
    return [bar, {"op": "order", "side": "buy", "size": size, "type": "Market"}]


def test_a_buy_that_cannot_pay_one_unit_gets_margin_on_its_first_bar():
    script = [buy(1, 1)]
    reference = run_backbroker(synthetic_bars(), script, cash=50.0)
    ours, result = run_ours(script, cash=50.0)
    # backtrader costs the order when it is submitted, at the close it was placed on, and
    # ends it before accepting it; huice tells the same two statuses on the same bar
    assert statuses(reference) == [(0, "Submitted", 2, 0.0), (0, "Margin", 2, 0.0)]
    assert statuses(ours) == statuses(reference)
    assert result.fills.empty
    assert result.metrics.final_equity == 50.0  # backtrader's final value too (not 70)
    order = result.orders.iloc[0]
    assert (order["status"], order["filled"], str(order["closed"])[:10]) == \
        ("rejected", 0, "2021-01-04")
    assert "cash_short" in order["codes"]


def test_with_lots_of_100_the_buy_is_told_margin_not_cancelled_at_the_end():
    script = [buy(1, 100)]
    ours, result = run_ours(script, cash=5_000.0, lot=100)
    reference = run_backbroker(synthetic_bars(), script, cash=5_000.0)
    assert [s for _, s, *_ in statuses(ours)] == ["Submitted", "Margin"]
    assert statuses(ours) == statuses(reference)
    assert result.fills.empty
    assert "run ended" not in result.orders.iloc[0]["reason"]


def test_the_unpaid_rest_of_a_partly_paid_buy_ends_with_margin_the_same_bar():
    # 250 CNY at 100 a unit pays 2 of 5 (lots of 1): huice buys the whole lots cash allows
    # (backtrader would refuse all 5 when submitted) and the 3 left end with Margin on that
    # bar, never bought at 40 later
    ours, result = run_ours([buy(1, 5)], cash=250.0)
    assert [(s, bar, size) for _, s, bar, size in statuses(ours)] == [
        ("Submitted", 2, 0.0), ("Accepted", 2, 0.0), ("Partial", 2, 2.0), ("Margin", 2, 2.0)]
    assert result.fills["quantity"].tolist() == [2]
    assert result.fills["price"].tolist() == [100.0]
    order = result.orders.iloc[0]
    assert (order["status"], order["filled"]) == ("expired", 2)
    assert result.metrics.final_equity == pytest.approx(250.0 - 200.0 + 2 * 60.0)
