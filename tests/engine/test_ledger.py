"""A scripted ledger on real bundled bars, every figure worked out by hand (Decimal arithmetic,
shown in the comments), spanning the transfer-fee cut of 2022-04-29 and the stamp-duty cut of
2023-08-28. The engine must agree to the cent.

Set-up: 200,000 CNY; fills at the next day's open with 1 tick of slippage against the trader.
A = 510300.SH.qfq configured as a *stock* (commission 0.025%, min 5 CNY; stamp duty on sells
0.1% to 2023-08-27 then 0.05%; transfer fee 0.002% to 2022-04-28 then 0.001%; tick 0.01).
B = 159915.SZ.qfq as an ETF (commission 0.025%, no minimum, no stamp duty or transfer fee,
tick 0.001). Fees are rounded to the cent, half up.
"""

from __future__ import annotations

import pandas as pd
import pytest

from huice.engine.run.assembly import run_backtest
from huice.strategies.replay import ReplayOrders
from tests.helpers.configs import make_config
from tests.helpers.days import iso

A, B = "510300.SH.qfq", "159915.SZ.qfq"

ORDERS = """date,symbol,side,quantity
2022-04-27,A,buy,10000
2022-04-28,A,buy,5000
2022-04-28,B,buy,20000
2022-06-01,A,sell,6000
2022-09-01,A,buy,300
2022-11-01,B,sell,7000
2023-01-03,A,sell,4000
2023-03-01,B,buy,350
2023-08-24,A,sell,2000
2023-08-25,A,sell,1000
2023-08-25,B,sell,13300
2023-08-28,A,sell,2300
2023-08-29,B,buy,1000
""".replace(",A,", f",{A},").replace(",B,", f",{B},")

# (fill date, symbol, side, quantity, price, value, commission, stamp duty, transfer fee, cash)
EXPECTED = [
    # open 3.651 + 0.01 = 3.661 -> up to tick 3.67; 3.67 x 10000 = 36700.00;
    # commission max(5, 36700 x 0.00025 = 9.175 -> 9.18); transfer 36700 x 0.00002 = 0.734 -> 0.73
    # cash 200000 - 36700 - 9.18 - 0.73 = 163290.09
    ("2022-04-28", A, "buy", 10000, 3.67, 36700.00, 9.18, 0.00, 0.73, 163290.09),
    # open 3.708 + .01 -> 3.72; 18600.00; commission 4.65 -> minimum 5; transfer at the new
    # 0.001% from 2022-04-29: 0.186 -> 0.19; cash 163290.09 - 18600 - 5 - 0.19 = 144684.90
    ("2022-04-29", A, "buy", 5000, 3.72, 18600.00, 5.00, 0.00, 0.19, 144684.90),
    # open 2.166 + 0.001 = 2.167; 43340.00; commission 10.835 -> 10.84; ETF: no transfer fee
    ("2022-04-29", B, "buy", 20000, 2.167, 43340.00, 10.84, 0.00, 0.00, 101334.06),
    # open 3.845 - .01 = 3.835 -> down to tick 3.83, below the bar's low 3.837: filled at the low
    # 3.837; 23022.00; commission 5.7555 -> 5.76; stamp 0.1% 23.022 -> 23.02; transfer 0.23
    # cash 101334.06 + 23022 - 5.76 - 23.02 - 0.23 = 124327.05
    ("2022-06-02", A, "sell", 6000, 3.837, 23022.00, 5.76, 23.02, 0.23, 124327.05),
    # open 3.889 + .01 = 3.899 -> 3.90, above the high 3.898: filled at the high; 1169.40;
    # commission 0.29 -> minimum 5; transfer 0.0117 -> 0.01
    ("2022-09-02", A, "buy", 300, 3.898, 1169.40, 5.00, 0.00, 0.01, 123152.64),
    # open 2.261 - .001 = 2.260; 15820.00; commission 3.955 -> 3.96
    ("2022-11-02", B, "sell", 7000, 2.260, 15820.00, 3.96, 0.00, 0.00, 138968.68),
    # open 3.727 - .01 = 3.717 -> 3.71 (= the low); 14840.00; commission 3.71 -> 5;
    # stamp 14.84; transfer 0.1484 -> 0.15
    ("2023-01-04", A, "sell", 4000, 3.71, 14840.00, 5.00, 14.84, 0.15, 153788.69),
    # 350 requested, rounded down to 300 (lots of 100); open 2.368 + .001 = 2.369; 710.70;
    # commission 0.177675 -> 0.18
    ("2023-03-02", B, "buy", 300, 2.369, 710.70, 0.18, 0.00, 0.00, 153077.81),
    # last day of the 0.1% stamp duty: open 3.619 - .01 = 3.609 -> 3.60, below the low 3.611:
    # filled at 3.611; 7222.00; commission 1.81 -> 5; stamp 7.222 -> 7.22; transfer 0.07
    ("2023-08-25", A, "sell", 2000, 3.611, 7222.00, 5.00, 7.22, 0.07, 160287.52),
    # first day of the 0.05% stamp duty: open 3.854 - .01 = 3.844 -> 3.84; 3840.00;
    # commission 0.96 -> 5; stamp 3840 x 0.0005 = 1.92; transfer 0.0384 -> 0.04
    ("2023-08-28", A, "sell", 1000, 3.84, 3840.00, 5.00, 1.92, 0.04, 164120.56),
    # the whole B position (20000 - 7000 + 300 = 13300); open 2.136 - .001 = 2.135;
    # 28395.50; commission 7.098875 -> 7.10
    ("2023-08-28", B, "sell", 13300, 2.135, 28395.50, 7.10, 0.00, 0.00, 192508.96),
    # the whole A position (10000 + 5000 - 6000 + 300 - 4000 - 2000 - 1000 = 2300);
    # open 3.663 - .01 = 3.653 -> 3.65, below the low 3.661: 3.661; 8420.30; commission 2.105
    # -> 5; stamp 0.05% 4.21015 -> 4.21; transfer 0.084203 -> 0.08
    ("2023-08-29", A, "sell", 2300, 3.661, 8420.30, 5.00, 4.21, 0.08, 200919.97),
    # open 2.064 + .001 = 2.065; 2065.00; commission 0.51625 -> 0.52
    ("2023-08-30", B, "buy", 1000, 2.065, 2065.00, 0.52, 0.00, 0.00, 198854.45),
]


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    path = tmp_path_factory.mktemp("ledger") / "orders.csv"
    path.write_text(ORDERS)
    params = {"path": str(path)}
    config = make_config("orders", params, start="2022-04-01", end="2023-09-29",
                         broker={"initial_cash": 200000, "execution": "open",
                                 "slippage": {"kind": "ticks", "value": 1},
                                 "instruments": {A: {"asset_class": "stock"}}})
    return run_backtest(config, ReplayOrders.from_params(params))


def test_every_fill_matches_the_hand_ledger_to_the_cent(ledger):
    fills = ledger.fills
    assert len(fills) == len(EXPECTED)
    for row, expected in zip(fills.itertuples(), EXPECTED):
        day, symbol, side, quantity, price, value, commission, stamp, transfer, cash = expected
        assert (iso(row.date), row.symbol, row.side, row.quantity) == (day, symbol, side, quantity)
        assert row.price == pytest.approx(price, abs=1e-9), day
        assert row.value == pytest.approx(value, abs=1e-9), day
        assert row.commission == pytest.approx(commission, abs=1e-9), day
        assert row.stamp_duty == pytest.approx(stamp, abs=1e-9), day
        assert row.transfer_fee == pytest.approx(transfer, abs=1e-9), day
        assert row.cash_after == pytest.approx(cash, abs=1e-9), day


def test_fee_totals_by_kind(ledger):
    fees = ledger.metrics["fees"]
    assert fees["commission"] == pytest.approx(sum(e[6] for e in EXPECTED), abs=1e-9)
    assert fees["stamp_duty"] == pytest.approx(23.02 + 14.84 + 7.22 + 1.92 + 4.21, abs=1e-9)
    assert fees["transfer_fee"] == pytest.approx(0.73 + 0.19 + 0.23 + 0.01 + 0.15 + 0.07
                                                 + 0.04 + 0.08, abs=1e-9)
    assert fees["total"] == pytest.approx(fees["commission"] + fees["stamp_duty"]
                                          + fees["transfer_fee"], abs=1e-9)


def test_rounded_order_says_why(ledger):
    orders = ledger.orders.set_index("order_id")
    assert "rounded down from 350 to whole lots of 100" in orders.loc[8, "reason"]


def test_equity_after_the_last_fill(ledger):
    # after 2023-08-30: cash 198854.45 and 1000 B valued at each day's close
    final = ledger.equity.iloc[-1]
    assert final["cash"] == pytest.approx(198854.45, abs=1e-9)
    assert final["equity"] == pytest.approx(final["cash"] + final["holdings"], abs=1e-9)


def test_result_tables_carry_datetimes_integers_and_cents(ledger):
    days = {"equity": ledger.equity.index.dtype, "signals": ledger.signals.index.dtype,
            "fills.date": ledger.fills["date"].dtype, "orders.created": ledger.orders["created"].dtype,
            "orders.closed": ledger.orders["closed"].dtype,
            "trades.opened": ledger.trades["opened"].dtype,
            "trades.closed": ledger.trades["closed"].dtype,
            "positions.date": ledger.positions["date"].dtype}
    assert set(map(str, days.values())) == {"datetime64[ns]"}, days
    # the 1,000 B bought on 2023-08-30 are still held: that round trip has no closing day
    still_open = ledger.trades[ledger.trades["closed"].isna()]
    assert (still_open["symbol"].tolist(), iso(still_open["opened"].iloc[0])) == ([B], "2023-08-30")
    assert str(ledger.fills["quantity"].dtype) == "int64"
    assert str(ledger.positions["quantity"].dtype) == "int64"
    fees = ledger.fills[["value", "commission", "stamp_duty", "transfer_fee", "cash_after"]]
    assert ((fees * 100).round(6) % 1 == 0).all().all()
    monthly = ledger.equity["equity"].resample("ME").last()  # no conversion first
    assert monthly.index[0] == pd.Timestamp("2022-04-30")


def test_paper_store_rows_equal_the_ledger_frames(tmp_path):
    """The paper account books each bar from row builders (no DataFrame per bar); their rows must
    be the ledger frames' rows, value for value and type for type (whole quantities as int),
    here over a run with partial and refused orders, round trips and dividends."""
    from huice.engine.results import ledger_frames as lf
    from huice.engine.run.assembly import execute_run, prepare_run
    from huice.feeds.loading import load_market

    path = tmp_path / "orders.csv"
    path.write_text(ORDERS + "2021-01-14,510300.SH,buy,10050\n2021-01-20,510300.SH,sell,5000\n")
    params = {"path": str(path)}
    config = make_config("orders", params, start="2021-01-04", end="2023-09-29",
                         broker={"initial_cash": 200000,
                                 "instruments": {A: {"asset_class": "stock"}}})
    plugin = ReplayOrders.from_params(params)
    run = prepare_run(config, plugin, load_market(config.data, plugin.symbols() + ["000300.SH"]))
    execute_run(run)
    broker = run.broker
    closed = broker.account.closed_trades
    assert broker.actions and closed and any(o.reasons for o in broker.orders)

    def frame_rows(frame):
        return list(frame.itertuples(index=False, name=None))

    def typed(rows):
        return [tuple((type(v).__name__, v) for v in row) for row in rows]

    pairs = [(lf.order_rows(broker.orders), lf.orders_frame(broker.orders)),
             (lf.fill_rows(broker.fills), lf.fills_frame(broker.fills)),
             (lf.action_rows(broker.actions), lf.actions_frame(broker.actions)),
             (lf.trade_rows(closed), lf.trades_frame(closed, []))]
    for rows, frame in pairs:
        assert typed(rows) == typed(frame_rows(frame))
