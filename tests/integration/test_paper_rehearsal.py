"""The evening routine rehearsed over 30 trading days (issue 21): `data update` from fake
sources shaped like akshare's Eastmoney, Sina and Tencent endpoints and tushare's, then
`paper --once`, with the faults real sources have injected on chosen evenings:

- 2021-03-05: Eastmoney is down (every call resets): Sina answers;
- 2021-03-16: no source has 159915.SZ's bar yet: nothing is booked that evening (exit 3); the
  bar arrives with the next evening's, and both days are booked;
- 2021-03-19: Eastmoney serves 510300.SH's 03-18 bar again under 03-19: the update passes it
  over and takes Sina's;
- 2021-03-25: 159915.SZ is suspended (no source ever has the day): exit 3 that evening and the
  next, then `paper-accept ... --as suspension` and the step books both days;
- the broker's statement (GBK, 券商 headers) has the 510300.SH buy two ticks worse than the paper
  fill and the 159915.SZ buy only partly filled.

The tushare token lives in the environment only; no output of the rehearsal contains it.
"""

from __future__ import annotations

import json
import sqlite3
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest

from huice.config.schema import BrokerConfig
from huice.engine.broker.rules import resolve_rules
from huice.engine.paper.tickets import Ticket, check_tickets
from tests.conftest import DATA, run_cli
from tests.fakes import akshare_fake, tushare_fake

TOKEN = "tk-REHEARSAL-7f3a9c1e5b2d"
SYMBOLS = ("510300.SH", "159915.SZ", "000300.SH")
ORDERS = [("2021-03-02", "510300.SH", "buy", 20000), ("2021-03-10", "159915.SZ", "buy", 30000),
          ("2021-03-30", "510300.SH", "sell", 10000)]
WORLD = {"2021-03-05": {"down": ["em"]},
         "2021-03-19": {"stale": {"em": {"510300.SH": "2021-03-19"}}}}
BASKET_ACCOUNT = "1395dc4f-3601-11eb-bda5-001018b67b94"  # a terminal's account ID, as it looks
MISSING = {"159915.SZ": [["2021-03-16", "2021-03-17"], ["2021-03-25", None]]}


def bars(symbol: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"bars/{symbol}.csv.gz", parse_dates=["date"]).set_index("date")


def evenings() -> list[str]:
    days = bars("000300.SH").loc["2021-03-01":"2021-04-12"].index
    return [d.strftime("%Y-%m-%d") for d in days]


@pytest.fixture()
def rehearsal(tmp_path, monkeypatch):
    world_file = tmp_path / "world.json"
    monkeypatch.setenv(akshare_fake.WORLD_ENV, str(world_file))
    monkeypatch.setenv("HUICE_AKSHARE_MODULE", "tests.fakes.akshare_fake")
    monkeypatch.setenv("HUICE_TUSHARE_MODULE", "tests.fakes.tushare_fake")
    monkeypatch.setenv(tushare_fake.EXPECTED_TOKEN_ENV, TOKEN)
    monkeypatch.setenv("TUSHARE_TOKEN", TOKEN)
    orders = tmp_path / "orders.csv"
    pd.DataFrame(ORDERS, columns=["date", "symbol", "side", "quantity"]).to_csv(orders,
                                                                              index=False)
    config = tmp_path / "account.yaml"
    config.write_text(json.dumps({
        "name": "rehearsal",
        "data": {"catalog": str(tmp_path / "market" / "catalog.csv"), "start": "2021-02-01",
                 "benchmark": "000300.SH"},
        "strategy": {"name": "orders", "params": {"path": str(orders)}},
        "paper": {"state": str(tmp_path / "state" / "account.sqlite"),
                  "source": {"kind": "catalog", "path": str(tmp_path / "market")},
                  "poll_seconds": 0, "basket": {"account_id": BASKET_ACCOUNT}}}))

    def tonight(day: str) -> None:
        world_file.write_text(json.dumps({"today": day, "missing": MISSING, **WORLD.get(day, {})}))

    tonight("2021-02-26")
    fetched = run_cli("data", "fetch", *SYMBOLS, "--catalog", str(tmp_path / "market"),
                      "--start", "2021-01-04", "--end", "2021-02-26", "--throttle-seconds", "0",
                      "--retries", "1")
    assert fetched.code == 0, fetched.stderr
    first = run_cli("paper", str(config), "--once")
    assert first.code == 0, first.stderr
    return tmp_path, config, tonight


def evening(config: Path, tmp_path: Path, day: str) -> tuple[str, int]:
    update = run_cli("data", "update", "--catalog", str(tmp_path / "market"), "--end", day,
                     "--sources", "em,sina,tencent,tushare", "--check-days", "2",
                     "--throttle-seconds", "0", "--retries", "1")
    assert update.code == 0, update.stderr
    step = run_cli("paper", str(config), "--once")
    assert step.code in (0, 3), step.stderr
    return update.stdout + update.stderr + step.stdout + step.stderr, step.code


def statement(tmp_path: Path) -> Path:
    """The broker's fills, from the paper fills: the 510300.SH buy 2 ticks worse, the 159915.SZ
    buy 20,000 of 30,000, the sale as booked; GBK, as a broker's client exports it."""
    db = sqlite3.connect(tmp_path / "state" / "account.sqlite")
    fills = pd.read_sql_query("SELECT * FROM fills ORDER BY seq", db)
    db.close()
    rows = []
    for fill in fills.itertuples():
        quantity, price = fill.quantity, fill.price
        if fill.symbol == "510300.SH" and fill.side == "buy":
            price = round(price + 0.002, 3)
        if fill.symbol == "159915.SZ":
            quantity = 20000
        value = round(quantity * price, 2)
        rows.append({"成交日期": fill.date.replace("-", ""), "成交时间": "09:30:05",
                     "证券代码": fill.symbol[:6], "证券名称": "ETF",
                     "买卖标志": "证券买入" if fill.side == "buy" else "证券卖出",
                     "成交数量": int(quantity), "成交价格": price, "成交金额": value,
                     "佣金": round(max(value * 0.0002, 5.0), 2), "印花税": 0.0, "过户费": 0.0})
    rows.append({"成交日期": "20210312", "成交时间": "", "证券代码": "", "证券名称": "",
                 "买卖标志": "银证转入", "成交数量": 0, "成交价格": 0, "成交金额": 0, "佣金": 0,
                 "印花税": 0, "过户费": 0})
    path = tmp_path / "交割单.csv"
    pd.DataFrame(rows).to_csv(path, index=False, encoding="gbk")
    return path


@pytest.mark.slow
def test_thirty_evenings_with_faults(rehearsal):
    tmp_path, config, tonight = rehearsal
    log, codes = {}, {}
    for day in evenings():
        tonight(day)
        log[day], codes[day] = evening(config, tmp_path, day)
        if day == "2021-03-26":  # the second evening without 03-25: accept the suspension
            assert codes[day] == 3 and ("gate: 2021-03-25 159915.SZ: no bar, though the source "
                                        "has later ones") in log[day]
            accepted = run_cli("paper-accept", str(config), "159915.SZ", "2021-03-25", "--as",
                               "suspension", "--note", "SZSE notice: suspended")
            assert accepted.code == 0, accepted.stderr
            step = run_cli("paper", str(config), "--once")
            assert step.code == 0, step.stderr
            log[day] += step.stdout
            codes[day] = 0
    # every alert, on its evening
    assert "510300.SH: em failed" in log["2021-03-05"] and "new day(s) from sina" \
        in log["2021-03-05"]
    assert "159915.SZ: no source gave fresh bars after 2021-03-15" in log["2021-03-16"]
    assert codes["2021-03-16"] == 3 and "gate: 2021-03-16 159915.SZ: no bar yet" \
        in log["2021-03-16"]
    assert "2021-03-16  equity" in log["2021-03-17"] and "2021-03-17  equity" in log["2021-03-17"]
    assert ("510300.SH: em repeats 2021-03-18's bar under 2021-03-19 (a stale bar): not "
            "stored; trying the next source") in log["2021-03-19"]
    assert codes["2021-03-25"] == 3 and "gate: 2021-03-25 159915.SZ: no bar yet" \
        in log["2021-03-25"]
    assert [d for d, c in codes.items() if c] == ["2021-03-16", "2021-03-25"]
    assert all("cross-checked" in text for text in log.values())
    # the ledger: one backtest over the bars the account saw (03-25 suspended) agrees exactly
    import huice

    result = huice.backtest(huice.load_config(config, overrides={"data.end": "2021-04-12"}))
    db = sqlite3.connect(tmp_path / "state" / "account.sqlite")
    equity = pd.read_sql_query("SELECT * FROM equity ORDER BY date", db)
    fills = pd.read_sql_query("SELECT * FROM fills ORDER BY seq", db)
    db.close()
    assert equity["date"].iloc[-1] == "2021-04-12"
    assert equity["equity"].tolist() == result.equity["equity"].tolist()
    assert len(fills) == 3 and fills["quantity"].tolist() == [20000, 30000, 10000]
    # worked by hand: each fill at the next day's open, commission 0.025% (no minimum for ETFs)
    for fill, (signal, symbol, _, quantity) in zip(fills.itertuples(), ORDERS):
        frame = bars(symbol)
        execution = frame.index[frame.index > pd.Timestamp(signal)][0]
        assert fill.date == execution.strftime("%Y-%m-%d")
        assert fill.price == frame.loc[execution, "open"]
        value = Decimal(str(quantity)) * Decimal(str(fill.price))
        assert fill.commission == float((value * Decimal("0.00025")).quantize(
            Decimal("0.01"), ROUND_HALF_UP))  # 106,660.00 x 0.025% = 26.665 -> 26.67
    # the tickets of every evening pass the exchange-rule check; the buy's was written on 03-02
    rules = {s: resolve_rules(s, "etf", "chinext" if s.endswith("SZ") else "main",
                              BrokerConfig()) for s in SYMBOLS[:2]}
    folder = tmp_path / "state" / "account.tickets"
    written = sorted(folder.glob("*.json"))
    sessions = {p.name[:10] for p in written}
    # one per booked evening (and the first step's); none after the two refused evenings
    assert len(sessions) == 29 and not {"2021-03-17", "2021-03-26"} & sessions
    for path in written:
        if path.name.endswith("easytrader.json"):
            continue
        tickets = [Ticket(**t) for t in json.loads(path.read_text())]
        assert check_tickets(tickets, rules, {"510300.SH": 20000, "159915.SZ": 30000}) == []
    buy = json.loads((folder / "2021-03-03.json").read_text())
    assert [(t["code"], t["side"], t["quantity"], t["lots"]) for t in buy] == \
        [("510300", "buy", 20000, 200.0)]
    close = bars("510300.SH").loc["2021-03-02", "close"]
    assert buy[0]["limit_price"] == round(close * 1.1 + 1e-9, 3)  # limit-up from the close
    calls = json.loads((folder / "2021-03-03.easytrader.json").read_text())
    assert calls[0]["method"] == "buy" and calls[0]["kwargs"]["amount"] == 20000
    # the same tickets as the terminal's file order, one per evening, in its own folder
    baskets = sorted((folder / "myquant").iterdir())
    assert [p.name for p in baskets] == sorted(f"{s.replace('-', '')}.order.csv"
                                               for s in sessions)
    basket = (folder / "myquant" / "20210303.order.csv").read_bytes()
    assert basket.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark
    assert basket.decode("utf-8-sig").splitlines() == [
        "sid,account_id,symbol,volume,order_type,order_business(order_biz),price,comment",
        f"huice-20210303-{buy[0]['order_id']},{BASKET_ACCOUNT},SHSE.510300,20000,1,1,"
        f"{buy[0]['limit_price']},huice order {buy[0]['order_id']}"]
    sell = json.loads((folder / "2021-03-31.json").read_text())
    assert (folder / "myquant" / "20210331.order.csv").read_text("utf-8-sig").splitlines()[1] \
        == (f"huice-20210331-{sell[0]['order_id']},{BASKET_ACCOUNT},SHSE.510300,10000,1,2,"
            f"{sell[0]['limit_price']},huice order {sell[0]['order_id']}")
    szse = (folder / "myquant" / "20210311.order.csv").read_text("utf-8-sig").splitlines()
    assert szse[1].split(",")[2:6] == ["SZSE.159915", "30000", "1", "1"]
    # reconciliation against the broker's statement
    statement_path = statement(tmp_path)
    report = run_cli("paper-reconcile", str(config), str(statement_path))
    assert report.code == 4, report.stderr  # differences found: cron's `|| mail` fires
    assert "difference(s) between the broker and the paper account" in report.stderr
    paper_buy = fills.iloc[0]
    assert "2021-03-12 cash flow: transfer +0.00 (a deposit or withdrawal: not P&L)" \
        in report.stdout
    assert (f"2021-03-03 510300 buy: filled {paper_buy.price + 0.002:g} against the paper "
            f"{paper_buy.price:g}: +2 tick(s), 40.00 CNY") in report.stdout
    assert "2021-03-11 159915 buy: partial (paper 30,000, broker 20,000)" in report.stdout
    status = json.loads(run_cli("paper-status", str(config), "--json").stdout)
    assert status["drift"]["positions"] == {"159915": -10000}
    second = fills.iloc[1]
    real_fees = sum(max(round(q * p * 0.0002, 2), 5.0) for q, p in (
        (20000, round(paper_buy.price + 0.002, 3)), (20000, second.price),
        (10000, fills.iloc[2].price)))
    expected_cash = round(-(20000 * 0.002) + 10000 * second.price
                          - real_fees + fills["fees"].sum(), 2)
    assert status["drift"]["cash"] == pytest.approx(expected_cash, abs=0.011)
    assert status["positions"][0]["cost"] > 0 and "realised_pnl" in status
    # following the broker: from the next step the account holds what the broker holds
    before = status["cash"]
    followed = run_cli("paper-reconcile", str(config), str(statement_path), "--follow")
    assert followed.code == 4 and "following the broker from the next step:" in followed.stdout
    assert "159915.SZ: -10,000 unit(s) from 2021-03-11's buy" in followed.stdout
    again = run_cli("paper-reconcile", str(config), str(statement_path), "--follow")
    assert again.code == 2 and "already follows the broker through 2021-03-31" in again.stderr
    tonight("2021-04-13")
    text, code = evening(config, tmp_path, "2021-04-13")
    assert code == 0, text
    after = json.loads(run_cli("paper-status", str(config), "--json").stdout)
    held = {p["symbol"]: p["quantity"] for p in after["positions"]}
    assert held == {"510300.SH": 10000, "159915.SZ": 20000}
    assert after["cash"] == pytest.approx(before + expected_cash, abs=0.011)
    closes = {s: bars(s).loc["2021-04-13", "close"] for s in held}
    assert after["equity"] == pytest.approx(after["cash"] + sum(
        q * closes[s] for s, q in held.items()), abs=0.011)
    # the token: used by the tushare cross-check, written nowhere
    assert tushare_fake.USED
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    assert all(TOKEN not in text for text in log.values())
