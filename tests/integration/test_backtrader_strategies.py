"""An unmodified backtrader strategy (the SMA crossover of docs/backtrader-strategies.md, as
backtrader's documentation writes it) runs on 510300.SH from YAML and from the API, and its
fills equal a ledger worked out independently from the raw bars with pandas: signals from the
two moving averages, orders at the next open, whole lots, 0.025% commission to the cent, cash
dividends on ex-dates. backtrader's own analyzers agree with huice's figures."""

from __future__ import annotations

import sys
from decimal import ROUND_HALF_UP, Decimal

import backtrader as bt
import pandas as pd
import pytest

import huice
from tests.conftest import DATA, run_cli
from tests.helpers import docs
from tests.helpers.days import iso


def doc_block(language: str, index: int) -> str:
    return docs.doc_block("backtrader-strategies.md", language, index)


@pytest.fixture
def user_folder(tmp_path):
    (tmp_path / "sma_cross.py").write_text(doc_block("python", 0))
    (tmp_path / "sma_cross.yaml").write_text(doc_block("yaml", 0))
    yield tmp_path
    sys.modules.pop("huice_user_sma_cross", None)


def cents(value: float) -> float:
    return float(Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def oracle_ledger(start: str, end: str, fast: int, slow: int, stake: int) -> pd.DataFrame:
    """The crossover strategy's fills, from the raw bar file alone."""
    bars = pd.read_csv(DATA / "bars/510300.SH.csv.gz", index_col="date", parse_dates=True)
    bars = bars.loc[start:end]
    close = bars["close"]
    diff = close.rolling(fast).mean() - close.rolling(slow).mean()
    up = (diff.shift(1) < 0) & (diff > 0)
    down = (diff.shift(1) > 0) & (diff < 0)
    quantity = stake // 100 * 100
    cash, held, rows, pending = 1_000_000.0, 0, [], None
    for position, day in enumerate(bars.index):
        row = bars.iloc[position]
        if held and row["dividend"] > 0:
            cash = cents(cash + cents(held * row["dividend"]))
        if pending is not None:  # an order placed yesterday fills at today's open
            value = cents(quantity * row["open"])
            commission = cents(value * 0.00025)
            if pending == "buy":
                cash, held = cents(cash - value - commission), quantity
            else:
                cash, held = cents(cash + value - commission), 0
            rows.append((day.date().isoformat(), pending, quantity, row["open"], value,
                         commission, cash))
            pending = None
        if position < slow:  # the crossover needs both averages today and yesterday
            continue
        if not held and up.iloc[position]:
            pending = "buy"
        elif held and down.iloc[position]:
            pending = "sell"
    return pd.DataFrame(rows, columns=["date", "side", "quantity", "price", "value",
                                       "commission", "cash_after"])


def test_sma_crossover_from_yaml_equals_the_hand_ledger(user_folder):
    config = user_folder / "sma_cross.yaml"
    result = run_cli("backtest", str(config), "--out", str(user_folder / "out"))
    assert result.code == 0, result.stderr
    fills = pd.read_csv(user_folder / "out" / "fills.csv")
    expected = oracle_ledger("2019-01-02", "2020-12-31", 10, 30, 1050)
    assert len(expected) >= 10
    got = fills[["date", "side", "quantity", "price", "value", "commission", "cash_after"]]
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert (fills["stamp_duty"] == 0).all() and (fills["transfer_fee"] == 0).all()
    orders = pd.read_csv(user_folder / "out" / "orders.csv", keep_default_na=False)
    buys = orders[orders["side"] == "buy"]
    assert (buys["reason"] == "rounded down from 1050 to whole lots of 100").all()
    for name in ("metrics.json", "equity.csv", "trades.csv", "positions.csv", "report.html"):
        assert (user_folder / "out" / name).is_file()
    assert "is a backtrader strategy run unchanged" in (user_folder / "out" /
                                                        "report.html").read_text()


def test_backtrader_analyzers_agree_with_huice(user_folder):
    result = huice.backtest(user_folder / "sma_cross.yaml", analyzers=[
        (bt.analyzers.TradeAnalyzer, {"_name": "trades"}),
        (bt.analyzers.TimeReturn, {"_name": "total", "timeframe": bt.TimeFrame.NoTimeFrame})])
    trades = result.analyzers["trades"]
    closed = result.trades[result.trades["closed"].notna()]
    assert trades["total"]["closed"] == len(closed)
    assert trades["pnl"]["net"]["total"] == pytest.approx(closed["pnl"].sum(), abs=1e-6)
    total = next(iter(result.analyzers["total"].values()))
    assert total == pytest.approx(result.metrics.total_return, abs=1e-12)


def test_statuses_reasons_and_t_plus_1(tmp_path):
    # execution at the close: a buy and a sale of the same units on the same bar; the sale
    # could only sell units bought that day, so T+1 rejects it (at once, never Accepted)
    (tmp_path / "same_day.py").write_text('''
import backtrader as bt


class SameDay(bt.Strategy):
    def __init__(self):
        self.seen = []

    def notify_order(self, order):
        self.seen.append((order.ordtypename(), order.getstatusname(),
                          order.info.get("reason", "")))

    def next(self):
        if len(self) == 3:
            self.buy(size=250)
            self.sell(size=200)
''')
    config = {"name": "same_day", "data": {"start": "2019-06-17", "end": "2019-06-21"},
              "strategy": {"name": str(tmp_path / "same_day.py") + ":SameDay",
                           "instruments": ["510300.SH"]},
              "broker": {"execution": "close"}}
    captured = []

    class Capture(bt.Analyzer):
        def stop(self):
            captured.extend(self.strategy.seen)

    result = huice.backtest(config, analyzers=[Capture])
    buy = [s for s in captured if s[0] == "Buy"]
    sell = [s for s in captured if s[0] == "Sell"]
    assert [s[1] for s in buy] == ["Submitted", "Accepted", "Completed"]
    assert buy[-1][2] == "rounded down from 250 to whole lots of 100"
    assert [s[1] for s in sell] == ["Submitted", "Rejected"]
    assert sell[-1][2] == ("T+1: the 510300.SH of pending buy #1 are bought on 2019-06-19 at "
                           "the earliest and cannot be sold before the next trading day")
    assert result.fills["quantity"].tolist() == [200.0]


def test_target_orders_and_unknown_params(tmp_path):
    (tmp_path / "target.py").write_text('''
import backtrader as bt


class Target(bt.Strategy):
    params = dict(weight=0.5)

    def next(self):
        if len(self) == 1:
            self.order_target_percent(target=self.p.weight)
        elif len(self) == 5:
            self.order_target_size(target=0)
''')
    config = {"name": "target", "data": {"start": "2019-06-17", "end": "2019-06-28"},
              "strategy": {"name": str(tmp_path / "target.py") + ":Target",
                           "instruments": ["510300.SH"], "params": {"weight": 0.5}}}
    result = huice.backtest(config)
    buy, sell = result.fills.iloc[0], result.fills.iloc[1]
    # half the equity at the 2019-06-17 close 3.673 = 136,128 units, cut to 136,100
    assert (iso(buy["date"]), buy["quantity"], buy["price"]) == ("2019-06-18", 136100.0, 3.678)
    assert (sell["side"], sell["quantity"]) == ("sell", 136100.0)
    with pytest.raises(huice.api.ConfigError, match=r"unknown backtrader param 'wieght'.*"
                                                    "did you mean 'weight'"):
        huice.backtest(config, params={"wieght": 0.4})


def test_sweep_and_paper_run_a_backtrader_strategy(user_folder):
    config = user_folder / "sma_cross.yaml"
    text = config.read_text()
    sweep = user_folder / "sweep.yaml"
    sweep.write_text(text + "sweep:\n  grid:\n    strategy.params.pfast: [5, 10]\n"
                            "  rank_by: total_return\n")
    result = run_cli("sweep", str(sweep), "--workers", "2", "--out", str(user_folder / "sw"))
    assert result.code == 0, result.stderr
    rows = pd.read_csv(user_folder / "sw" / "results.csv")
    assert list(rows["status"]) == ["ok", "ok"]
    single = huice.backtest(config)
    assert rows.loc[rows["strategy.params.pfast"] == 10, "total_return"].item() == \
        single.metrics.total_return
    # a paper account rehearsed by replay, a few days per poll, books the backtest's ledger
    paper = user_folder / "paper.yaml"
    paper.write_text(text + "paper:\n  state: state.sqlite\n"
                            "  source: {kind: replay, start: 2020-06-01, days_per_poll: 60}\n")
    for _ in range(5):
        assert run_cli("paper", str(paper), "--once").code == 0
    import sqlite3
    with sqlite3.connect(user_folder / "state.sqlite") as db:
        booked = pd.read_sql_query("SELECT * FROM fills ORDER BY seq", db).drop(columns=["seq"])
    booked["date"] = pd.to_datetime(booked["date"])  # the store keeps ISO text
    pd.testing.assert_frame_equal(booked, single.fills, check_dtype=False)
