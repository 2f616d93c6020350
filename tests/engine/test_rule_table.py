"""The dated A-share rule table (issue 33), each rule with a worked example by hand: stamp duty
on both sides before 2008-09-19, new listings without a price limit for five days on the
registration-system boards, and a same-bar round trip in a T+0 fund."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import huice
from huice.feeds.catalog import Instrument
from tests.conftest import DATA


def flat_bars(days: list[str], prices: list[float] | None = None) -> pd.DataFrame:
    prices = prices or [10.0] * len(days)
    # volumes differ day to day: a bar repeating the previous one exactly is a stale bar
    return pd.DataFrame({"date": days, "open": prices, "high": prices, "low": prices,
                         "close": prices, "volume": [1e6 + n for n in range(len(days))]})


def replay(tmp_path, symbol: str, frame: pd.DataFrame, orders: list[tuple[str, str, int]],
           instrument: Instrument, broker: dict | None = None):
    path = tmp_path / "orders.csv"
    path.write_text("date,symbol,side,quantity\n"
                    + "".join(f"{d},{symbol},{side},{q}\n" for d, side, q in orders))
    config = {"name": "rules", "data": {"benchmark": None},
              "strategy": {"name": "orders", "params": {"path": str(path)}},
              "broker": broker or {}}
    return huice.backtest(config, frames={symbol: frame}, instruments={symbol: instrument})


STOCK = Instrument(symbol="600000.SH", name="a main-board stock", asset_class="stock",
                   board="main")


@pytest.mark.parametrize("days, buy_duty, sell_duty", [
    # June 2007: 0.3% on both sides: 10,000.00 x 0.3% = 30.00 each
    (["2007-06-04", "2007-06-05", "2007-06-06", "2007-06-07"], 30.0, 30.0),
    # May 2008: 0.1% on both sides: 10.00 each
    (["2008-05-05", "2008-05-06", "2008-05-07", "2008-05-08"], 10.0, 10.0),
    # October 2008: the seller only, 0.1%
    (["2008-10-06", "2008-10-07", "2008-10-08", "2008-10-09"], 0.0, 10.0),
    # September 2023: the seller only, 0.05%
    (["2023-09-04", "2023-09-05", "2023-09-06", "2023-09-07"], 0.0, 5.0),
])
def test_stamp_duty_by_date_and_side(tmp_path, days, buy_duty, sell_duty):
    """1,000 shares at 10.00 = 10,000.00 each way; commission 0.025% = 2.50, its minimum 5.00;
    transfer fee 0.001% from 2022-04-29 (0.10), none before 2015-08-01."""
    # order on day 1 (fills at day 2's open), sell on day 2 (fills at day 3's open)
    result = replay(tmp_path, STOCK.symbol, flat_bars(days),
                    [(days[0], "buy", 1000), (days[1], "sell", 1000)], STOCK)
    fills = result.fills
    assert fills["stamp_duty"].tolist() == [buy_duty, sell_duty]
    assert fills["commission"].tolist() == [5.0, 5.0]
    transfer = 0.10 if days[0] >= "2022-04-29" else 0.0
    assert fills["transfer_fee"].tolist() == [transfer, transfer]
    assert result.equity["cash"].iloc[-1] == pytest.approx(
        1_000_000 - buy_duty - sell_duty - 10.0 - 2 * transfer, abs=1e-9)


def listing(board: str, listed: str) -> Instrument:
    return Instrument(symbol="688001.SH" if board == "star" else "300999.SZ", name="new",
                      asset_class="stock", board=board, listed=pd.Timestamp(listed).date())


def test_a_star_listing_has_no_limit_for_five_days(tmp_path):
    """A STAR stock listed 2021-07-19 closes 40.00 on day 1; day 2 opens 25% above it at
    50.00: a buy placed on day 1 fills there (no limit for the first five trading days), not
    refused 'at its limit 48' and bought a day later at 52.00."""
    days = ["2021-07-19", "2021-07-20", "2021-07-21", "2021-07-22", "2021-07-23", "2021-07-26",
            "2021-07-27"]
    prices = [40.0, 50.0, 52.0, 53.0, 54.0, 55.0, 66.0]
    frame = flat_bars(days, prices)
    instrument = listing("star", days[0])
    result = replay(tmp_path, instrument.symbol, frame, [(days[0], "buy", 200)], instrument)
    assert result.fills["date"].dt.strftime("%Y-%m-%d").tolist() == ["2021-07-20"]
    assert result.fills["price"].tolist() == [50.0]
    # day 7 (2021-07-27, after the five days) is under the 20% limit again: it trades only at
    # 66.00 = 55.00 x 1.2, sealed at limit-up: a buy placed on day 6 is refused there
    late = replay(tmp_path, instrument.symbol, frame, [(days[5], "buy", 200)], instrument,
                  broker=None)
    order = late.orders.iloc[0]
    assert late.fills.empty and "limit_up" in order["codes"] and "66" in order["reason"]


def test_a_chinext_listing_day_3_jump_fills(tmp_path):
    """A ChiNext stock listed 2021-08-02 (registration system): day 3 opens 30% above day 2's
    close, and a buy placed on day 2 fills at that open."""
    days = ["2021-08-02", "2021-08-03", "2021-08-04", "2021-08-05", "2021-08-06", "2021-08-09"]
    prices = [20.0, 22.0, 28.6, 29.0, 29.5, 30.0]
    instrument = listing("chinext", days[0])
    result = replay(tmp_path, instrument.symbol, flat_bars(days, prices),
                    [(days[1], "buy", 100)], instrument)
    assert result.fills["price"].tolist() == [28.6]
    # listed before the reform (its +-20% began 2020-08-24), the same stock keeps its limit
    from huice.config.schema import BrokerConfig, RunConfig
    from huice.engine.run.instrument_rules import instrument_rules

    config = RunConfig.model_validate({"name": "x", "data": {}, "strategy": {"name": "orders"},
                                       "broker": BrokerConfig().model_dump()})
    calendar = pd.DatetimeIndex(pd.to_datetime(days))
    old = Instrument(symbol=instrument.symbol, asset_class="stock", board="chinext",
                     listed=pd.Timestamp("2019-01-02").date())
    assert instrument_rules(old.symbol, old, config, calendar).no_limit_through is None
    new = instrument_rules(instrument.symbol, instrument, config, calendar)
    assert new.no_limit_through == pd.Timestamp(days[4]).date()  # the fifth trading day
    assert new.day_limits(22.0, pd.Timestamp(days[2]).date()) == (None, None)
    assert new.day_limits(29.5, pd.Timestamp(days[5]).date()) == (35.4, 23.6)


def test_a_t0_fund_round_trips_on_one_bar_and_a_t1_fund_does_not(tmp_path):
    """Buy then sell 1,000 units in the same on_bar with execution at the close: the gold ETF
    (T+0) fills both at the close; a T+1 equity ETF's sell is refused (t_plus_1)."""
    from tests.helpers.parity_strategies import ScriptedPlugin  # noqa: F401 (module path)

    results = {}
    for symbol in ("518880.SH", "510300.SH"):
        script = [[3, {"op": "buy", "symbol": symbol, "qty": 1000}],
                  [3, {"op": "sell", "symbol": symbol, "qty": 1000}]]
        config = {"name": "t0", "data": {"start": "2021-03-01", "end": "2021-03-10",
                                         "benchmark": None},
                  "strategy": {"name": "tests.helpers.parity_strategies:ScriptedPlugin",
                               "params": {"symbols": [symbol], "script": json.dumps(script)}},
                  "broker": {"execution": "close"}}
        results[symbol] = huice.backtest(config)
    gold = results["518880.SH"]
    assert gold.fills["side"].tolist() == ["buy", "sell"]
    assert gold.fills["date"].nunique() == 1 and gold.fills["price"].nunique() == 1
    assert gold.positions[gold.positions["date"] == gold.positions["date"].max()].empty \
        or gold.positions.iloc[-1]["quantity"] == 0
    equity = results["510300.SH"]
    assert equity.fills["side"].tolist() == ["buy"]
    assert "t_plus_1" in equity.orders.iloc[1]["codes"]


def tushare_stock_file(path, ratio: float, cash: float):
    """A tushare daily file of a main-board stock at 10.00 whose ex-date 2021-05-14 has the
    exchange's reference price (previous close - cash) / ratio, rounded to the cent."""
    days = ["20210510", "20210511", "20210512", "20210513", "20210514", "20210517", "20210518"]
    reference = round((10.0 - cash) / ratio, 2)
    rows = []
    for day in days:
        close = reference if day >= "20210514" else 10.0
        pre = reference if day == "20210514" else close
        rows.append(f"600001.SH,{day},{close},{close},{close},{close},{pre},0,0,10000,{close * 10}")
    path.write_text("ts_code,trade_date,open,high,low,close,pre_close,change,pct_chg,vol,amount\n"
                    + "\n".join(reversed(rows)) + "\n")
    return path


@pytest.mark.parametrize("ratio, cash, shares, credited, label", [
    (1.2, 0.0, 1200, 0.0, "10送转2"),         # 10转2: 1,000 shares become 1,200
    (1.3, 0.1, 1300, 100.0, "10送转3 派1"),   # 10送3派1: 1,300 shares and 0.10 a share
    (1.5, 0.0, 1500, 0.0, "10送转5"),         # 10转5: 1,500, not 1,499
    (1.0, 0.3, 1000, 300.0, "派3"),           # a cash dividend of 0.30 (3%)
])
def test_bonus_shares_are_inferred_from_pre_close_on_import(tmp_path, ratio, cash, shares,
                                                            credited, label):
    from tests.conftest import run_cli

    source = tushare_stock_file(tmp_path / "600001.csv", ratio, cash)
    result = run_cli("data", "import", str(source), "--catalog", str(tmp_path / "market"),
                     "--symbol", "600001.SH", "--asset-class", "stock")
    assert result.code == 0, result.stderr
    assert f"2021-05-14 {label}" in result.stdout
    orders = tmp_path / "orders.csv"
    orders.write_text("date,symbol,side,quantity\n2021-05-10,600001.SH,buy,1000\n")
    run = huice.backtest({"name": "bonus", "data": {"catalog": str(tmp_path / "market" /
                                                                    "catalog.csv"),
                                                    "benchmark": None},
                          "strategy": {"name": "orders", "params": {"path": str(orders)}}})
    held = run.positions[run.positions["date"] == run.positions["date"].max()]
    assert held["quantity"].tolist() == [shares]
    assert run.metrics.dividends == credited  # 1,000 old shares x the cash per share


def test_a_drop_no_reading_explains_is_refused_with_strict(tmp_path):
    from tests.conftest import run_cli

    # x1.08 with no cash: a 7.4% cash dividend (above 5%), and 10送1 would need cash < 0
    source = tushare_stock_file(tmp_path / "600001.csv", 1.08, 0.0)
    loose = run_cli("data", "import", str(source), "--catalog", str(tmp_path / "a"),
                    "--symbol", "600001.SH", "--asset-class", "stock")
    assert loose.code == 0 and "no cash dividend and bonus of whole shares" in loose.stdout
    strict = run_cli("data", "import", str(source), "--catalog", str(tmp_path / "b"),
                     "--symbol", "600001.SH", "--asset-class", "stock", "--strict")
    assert strict.code == 2 and "import the stock's action table" in strict.stderr


def test_transfer_fee_and_commission_minimum_by_hand():
    """100,000.00 of a stock: commission 0.025% = 25.00 (a 1,000.00 trade pays its 5.00
    minimum, not 0.25); transfer fee 0.002% = 2.00 on 2016-03-01, 0.001% = 1.00 on 2022-05-05,
    none on 2015-07-31; an ETF pays 0.025% with no minimum and no transfer fee."""
    import datetime as dt

    from huice.config.schema import BrokerConfig
    from huice.engine.broker.commission import compute_fees
    from huice.engine.broker.rules import resolve_rules

    stock = resolve_rules("600000.SH", "stock", "main", BrokerConfig())
    etf = resolve_rules("510300.SH", "etf", "main", BrokerConfig())
    fees = compute_fees(stock, True, 100_000.0, dt.date(2016, 3, 1))
    assert (fees.commission, fees.transfer_fee, fees.stamp_duty) == (25.0, 2.0, 0.0)
    assert compute_fees(stock, True, 100_000.0, dt.date(2022, 5, 5)).transfer_fee == 1.0
    assert compute_fees(stock, True, 100_000.0, dt.date(2015, 7, 31)).transfer_fee == 0.0
    assert compute_fees(stock, True, 1_000.0, dt.date(2022, 5, 5)).commission == 5.0
    small = compute_fees(etf, True, 1_000.0, dt.date(2022, 5, 5))
    assert (small.commission, small.transfer_fee, small.stamp_duty) == (0.25, 0.0, 0.0)


@pytest.mark.parametrize("board, day, base, expected", [
    ("main", "2021-03-01", 10.00, (11.00, 9.00)),
    ("chinext", "2020-08-21", 10.00, (11.00, 9.00)),    # 10% until the reform
    ("chinext", "2020-08-24", 10.00, (12.00, 8.00)),    # 20% from 2020-08-24
    ("star", "2021-03-01", 10.00, (12.00, 8.00)),
    ("st", "2021-03-01", 3.15, (3.31, 2.99)),           # 3.15 x 1.05 = 3.3075 -> 3.31
    ("beijing", "2022-03-01", 10.00, (13.00, 7.00)),
])
def test_daily_limits_by_board_and_date(board, day, base, expected):
    """The day's limits from the previous close, rounded half up to the 0.01 tick as the
    exchange does; and a main-board stock listed 2023-04-10 or later has none for its first
    five trading days, one listed before keeps them."""
    import datetime as dt

    from huice.config.schema import RunConfig
    from huice.engine.broker.rules import resolve_rules
    from huice.engine.run.instrument_rules import instrument_rules

    rules = resolve_rules("X", "stock", board, RunConfig.model_validate(
        {"name": "x", "data": {}, "strategy": {"name": "orders"}}).broker)
    assert rules.tick == 0.01
    assert rules.day_limits(base, dt.date.fromisoformat(day)) == pytest.approx(expected)
    config = RunConfig.model_validate({"name": "x", "data": {}, "strategy": {"name": "orders"}})
    calendar = pd.DatetimeIndex(pd.to_datetime(["2023-04-10", "2023-04-11", "2023-04-12",
                                                "2023-04-13", "2023-04-14", "2023-04-17"]))
    fresh = Instrument(symbol="603999.SH", asset_class="stock", board="main",
                       listed=dt.date(2023, 4, 10))
    older = Instrument(symbol="603998.SH", asset_class="stock", board="main",
                       listed=dt.date(2023, 4, 7))
    assert instrument_rules("603999.SH", fresh, config, calendar).no_limit_through == \
        dt.date(2023, 4, 14)
    assert instrument_rules("603998.SH", older, config, calendar).no_limit_through is None


def test_the_published_rule_table_is_current_and_every_rule_has_a_test():
    """docs/rules.md is what the rule table generates, and each row's test exists (a rule
    added without a test, or a test renamed, fails here)."""
    import ast

    from huice.engine.broker.rule_table import rules, rules_markdown
    from tests.conftest import REPO

    assert (REPO / "docs" / "rules.md").read_text(encoding="utf-8") == rules_markdown(), \
        "docs/rules.md is stale: python -m huice.engine.broker.rule_table > docs/rules.md"
    for row in rules():
        path, name = row.test.split("::")
        tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
        names = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        assert name in names, f"{row.rule} ({row.applies_to}): no test {row.test}"
        assert row.source, f"{row.rule}: no source"


def taxed_stock_bars() -> pd.DataFrame:
    """600000.SH at 10.00 on every trading day 2015-02-27 .. 2016-08-05, cash dividends of
    0.50 going ex on 2016-06-20 and 0.30 on 2016-07-15."""
    calendar = pd.read_csv(DATA / "calendar.csv.gz")["date"]
    days = calendar[(calendar >= "2015-02-27") & (calendar <= "2016-08-05")].tolist()
    frame = flat_bars(days)
    frame["dividend"] = [0.5 if d == "2016-06-20" else 0.3 if d == "2016-07-15" else 0.0
                         for d in days]
    return frame


TAXED_ORDERS = [("2015-02-27", "buy", 1000), ("2016-05-31", "buy", 1000),
                ("2016-06-30", "buy", 1000), ("2016-07-27", "sell", 1000),
                ("2016-07-28", "sell", 2000)]


def test_dividend_tax_by_holding_period_first_in_first_out(tmp_path):
    """Three lots of 1,000: bought 2015-03-02, 2016-06-01 and 2016-07-01. The dividends: 0.50
    (ex 2016-06-20) on the first two lots, 0.30 (ex 2016-07-15) on all three: 800, 800 and
    300 CNY. The sale of 1,000 on 2016-07-28 takes the first lot, held over a year: no tax
    (exempt from 2015-09-08). The sale of 2,000 on 2016-07-29 takes the second lot, held
    more than a month (2016-06-01 .. 07-29): 10% of 800 = 80.00, and the third, held within a
    month (2016-07-01 .. 07-29, the month ending 08-01): 20% of 300 = 60.00: 140.00 in all,
    its own fee line, withheld from the sale's proceeds."""
    stock = Instrument(symbol="600000.SH", name="a main-board stock", asset_class="stock",
                       board="main", listed=pd.Timestamp("2000-01-04").date())
    result = replay(tmp_path, stock.symbol, taxed_stock_bars(), TAXED_ORDERS, stock)
    fills = result.fills
    assert fills["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2015-03-02", "2016-06-01", "2016-07-01", "2016-07-28", "2016-07-29"]
    assert fills["dividend_tax"].tolist() == [0.0, 0.0, 0.0, 0.0, 140.0]
    assert result.metrics.dividends == 1000.0 + 900.0   # 2,000 x 0.50 + 3,000 x 0.30
    assert result.metrics.fees.dividend_tax == 140.0
    sale = fills.iloc[4]
    # 20,000.00 of proceeds less commission 5.00, stamp duty 20.00, transfer fee 0.40 and tax
    assert sale["commission"] == 5.0 and sale["stamp_duty"] == 20.0
    assert sale["transfer_fee"] == 0.4
    assert sale["cash_after"] == round(fills.iloc[3]["cash_after"] + 20_000.0 - 5.0 - 20.0
                                       - 0.4 - 140.0, 2)
    assert sale["fees"] == round(5.0 + 20.0 + 0.4 + 140.0, 2)


def test_an_etf_pays_no_dividend_tax_and_a_paper_account_books_the_stocks(tmp_path):
    """The same orders on an ETF: no tax. On the stock as a paper account replayed a few days a
    poll: the same fills and tax as the backtest (the lots cross each step boundary)."""
    etf = Instrument(symbol="510300.SH", asset_class="etf", board="main")
    frame = taxed_stock_bars()
    orders = [(d, s, q) for d, s, q in TAXED_ORDERS]
    result = replay(tmp_path, etf.symbol, frame, orders, etf)
    assert result.fills["dividend_tax"].sum() == 0.0
    bars = tmp_path / "600000.SH.csv"
    frame.to_csv(bars, index=False)
    path = tmp_path / "orders.csv"
    path.write_text("date,symbol,side,quantity\n"
                    + "".join(f"{d},600000.SH,{side},{q}\n" for d, side, q in TAXED_ORDERS))
    config = {"name": "taxed", "data": {"benchmark": None, "files": {"600000.SH": {
        "path": str(bars), "asset_class": "stock", "listed": "2000-01-04"}}},
        "strategy": {"name": "orders", "params": {"path": str(path)}},
        "paper": {"state": str(tmp_path / "state.sqlite"), "poll_seconds": 0,
                  "source": {"kind": "replay", "start": "2016-06-10", "days_per_poll": 7}}}
    expected = huice.backtest({k: v for k, v in config.items() if k != "paper"}).fills
    yaml_path = tmp_path / "paper.yaml"
    yaml_path.write_text(json.dumps(config))
    while huice.paper_run(yaml_path, once=True).booked:
        pass
    import sqlite3

    db = sqlite3.connect(tmp_path / "state.sqlite")
    booked = pd.read_sql_query("SELECT * FROM fills ORDER BY seq", db)
    db.close()
    assert booked["dividend_tax"].tolist() == expected["dividend_tax"].tolist() == \
        [0.0, 0.0, 0.0, 0.0, 140.0]
    assert booked["cash_after"].tolist() == expected["cash_after"].tolist()


def test_a_dated_st_history_sets_the_5_percent_limit_on_its_days(tmp_path):
    """600000.SH under risk warning 2021-03-03 .. 2021-03-05 (broker.st_history): 2021-03-04
    trades only at 10.50, 5% above the previous close 10.00, sealed at its ST limit-up: a buy
    is refused there; the same bars without the history fill it (10% limit)."""
    days = ["2021-03-01", "2021-03-02", "2021-03-03", "2021-03-04", "2021-03-05", "2021-03-08"]
    frame = flat_bars(days, [10.0, 10.0, 10.0, 10.5, 10.6, 10.7])
    history = tmp_path / "st.csv"
    history.write_text("symbol,from,to\n600000.SH,2021-03-03,2021-03-05\n")
    st = replay(tmp_path, STOCK.symbol, frame, [("2021-03-03", "buy", 1000)], STOCK,
                broker={"st_history": str(history)})
    order = st.orders.iloc[0]
    assert "limit_up" in order["codes"] and "10.5" in order["reason"]
    plain = replay(tmp_path, STOCK.symbol, frame, [("2021-03-03", "buy", 1000)], STOCK)
    assert plain.fills["price"].tolist() == [10.5]

    import datetime as dt

    from huice.config.schema import RunConfig
    from huice.engine.run.instrument_rules import instrument_rules

    config = RunConfig.model_validate({"name": "x", "data": {}, "strategy": {"name": "orders"},
                                       "broker": {"st_history": str(history)}})
    rules = instrument_rules(STOCK.symbol, STOCK, config, None)
    assert rules.day_limits(10.0, dt.date(2021, 3, 4)) == (10.5, 9.5)
    assert rules.day_limits(10.0, dt.date(2021, 3, 8)) == (11.0, 9.0)
    bad = tmp_path / "bad.csv"
    bad.write_text("symbol,from,to\n600000.SH,2021-03-05,2021-03-01\n")
    from huice.config.errors import HuiceError

    with pytest.raises(HuiceError, match=r"bad\.csv.*to 2021-03-01 is before from 2021-03-05"):
        instrument_rules(STOCK.symbol, STOCK, config.model_copy(
            update={"broker": config.broker.model_copy(update={"st_history": bad})}), None)


def test_after_hours_fixed_price_fills_a_star_stock_at_the_close(tmp_path):
    """execution close_fixed: an order a STAR stock's bar produced fills at that bar's close
    exactly, slippage notwithstanding (the price is fixed); an ETF has no such session (the
    order is refused, invalid); a STAR stock before 2019-07-22 neither."""
    days = ["2021-03-01", "2021-03-02", "2021-03-03"]
    frame = flat_bars(days, [30.0, 31.0, 32.0])
    frame["open"] = [29.5, 30.5, 31.5]
    frame["low"] = frame["open"]
    star = Instrument(symbol="688001.SH", asset_class="stock", board="star",
                      listed=pd.Timestamp("2019-07-22").date())
    broker = {"execution": "close_fixed", "slippage": {"kind": "ticks", "value": 3}}
    result = replay(tmp_path, star.symbol, frame, [("2021-03-02", "buy", 200)], star, broker)
    assert result.fills["price"].tolist() == [31.0]  # 2021-03-02's close, no ticks added
    assert result.fills["date"].dt.strftime("%Y-%m-%d").tolist() == ["2021-03-02"]
    etf = Instrument(symbol="510300.SH", asset_class="etf", board="main")
    refused = replay(tmp_path, etf.symbol, frame, [("2021-03-02", "buy", 200)], etf, broker)
    assert refused.fills.empty and "close_fixed" in refused.orders.iloc[0]["reason"]
    early = flat_bars(["2019-07-01", "2019-07-02", "2019-07-03"], [30.0, 31.0, 32.0])
    before = replay(tmp_path, star.symbol, early, [("2019-07-02", "buy", 200)], star, broker)
    assert before.fills.empty
