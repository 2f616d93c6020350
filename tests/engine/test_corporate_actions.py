"""Cash dividends and splits booked on real ex-dates of the unadjusted ETF bars."""

from __future__ import annotations

import pytest

from huice.engine.run.assembly import run_backtest
from huice.strategies.replay import ReplayOrders
from tests.helpers.configs import make_config
from tests.helpers.days import iso


def replay(tmp_path, rows, start, end):
    path = tmp_path / "orders.csv"
    path.write_text("date,symbol,side,quantity\n" + "\n".join(rows) + "\n")
    params = {"path": str(path)}
    config = make_config("orders", params, start=start, end=end, benchmark=None)
    return run_backtest(config, ReplayOrders.from_params(params))


def test_cash_dividend_on_a_real_ex_date(tmp_path):
    # 510300 went ex on 2021-01-18 (Mon): previous close 5.526, adjusted previous close 5.454,
    # so 0.072 CNY per share. 10,000 shares held at the 2021-01-15 close receive 720.00.
    result = replay(tmp_path, ["2021-01-11,510300.SH,buy,10000"], "2021-01-04", "2021-01-29")
    action = result.actions.iloc[0]
    assert (iso(action["date"]), action["kind"], action["quantity_before"]) == \
        ("2021-01-18", "dividend", 10000)
    assert action["per_unit"] == pytest.approx(0.072, abs=1e-9)
    assert action["cash"] == 720.00
    equity = result.equity
    before, after = equity.loc["2021-01-15"], equity.loc["2021-01-18"]
    assert after["cash"] == pytest.approx(before["cash"] + 720.00, abs=1e-9)
    # the ex-date price drop (5.526 -> 5.513 close) is offset by the dividend
    assert after["equity"] - before["equity"] == pytest.approx(10000 * (5.513 - 5.526) + 720,
                                                               abs=1e-6)
    assert result.metrics["dividends"] == 720.00
    contributions = result.metrics["contribution"]
    assert sum(contributions.values()) == pytest.approx(result.metrics["total_return"], abs=1e-12)


def test_split_multiplies_the_units_held(tmp_path):
    # 512480 split on 2021-03-29: previous close 1.734, adjusted previous close 0.883
    result = replay(tmp_path, ["2021-03-22,512480.SH,buy,10000"], "2021-03-15", "2021-04-09")
    action = result.actions.iloc[0]
    assert (iso(action["date"]), action["kind"]) == ("2021-03-29", "split")
    assert action["quantity_after"] == 19637  # floor(10000 x 1.734 / 0.883): whole units
    value_before = result.equity.loc["2021-03-26", "holdings"]
    value_after = result.positions[(result.positions["date"] == "2021-03-29")]["value"].iloc[0]
    assert value_after / value_before == pytest.approx(19637 * 0.883 / (10000 * 1.734), rel=0.06)
