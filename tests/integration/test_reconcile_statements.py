"""Reconciliation against statements in the layouts of two real clients' exports (issue 32).

同花顺 (THS) exports fills as 成交日期, 成交时间, 证券代码, 证券名称, 操作, 成交数量, 成交均价,
成交金额, 手续费, 印花税, 过户费, 发生金额, with a 合计 row at the end; 通达信 (TDX) as 成交日期,
证券代码, 证券名称, 买卖标志, 成交数量, 成交价格, 成交金额, 佣金, 印花税, 过户费, 其他费, 发生金额,
摘要, where a transfer's 买卖标志 is empty and its 摘要 says 银证转账 (both column sets as these
clients' 交割单 exports are commonly laid out; huice reads either without a mapping). The account:
the bundled 510300.SH and 159915.SZ bars, three dated orders booked through 2021-03-31."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import DATA, run_cli

ORDERS = [("2021-03-02", "510300.SH", "buy", 20000), ("2021-03-10", "159915.SZ", "buy", 30000),
          ("2021-03-15", "510300.SH", "sell", 10000)]


@pytest.fixture()
def account(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    orders = tmp_path / "orders.csv"
    orders.write_text("date,symbol,side,quantity\n"
                      + "".join(f"{d},{s},{side},{q}\n" for d, s, side, q in ORDERS))
    config = {"name": "reconciled", "data": {"catalog": str(DATA / "catalog.csv"),
                                             "start": "2021-02-01", "end": "2021-04-30",
                                             "benchmark": None},
              "strategy": {"name": "orders", "params": {"path": str(orders)}},
              "broker": {"initial_cash": 200000},
              "paper": {"state": "state/paper.sqlite", "poll_seconds": 0,
                        "source": {"kind": "replay", "start": "2021-03-31",
                                   "days_per_poll": 1}}}
    path = tmp_path / "paper.yaml"
    path.write_text(json.dumps(config))
    assert run_cli("paper", str(path), "--once").code == 0
    db = sqlite3.connect(tmp_path / "state" / "paper.sqlite")
    fills = pd.read_sql_query("SELECT * FROM fills ORDER BY seq", db)
    db.close()
    assert len(fills) == 3
    return path, fills


def ths(fills: pd.DataFrame, extra: list[dict] | None = None) -> pd.DataFrame:
    rows = [{"成交日期": f.date.replace("-", ""), "成交时间": "09:30:01", "证券代码": f.symbol[:6],
             "证券名称": "ETF", "操作": "买入" if f.side == "buy" else "卖出",
             "成交数量": int(f.quantity), "成交均价": f.price, "成交金额": f.value,
             "手续费": f.commission, "印花税": 0.0, "过户费": 0.0,
             "发生金额": -(f.value + f.fees) if f.side == "buy" else f.value - f.fees}
            for f in fills.itertuples()]
    rows += extra or []
    total = {"成交日期": "合计", "成交数量": sum(r.get("成交数量", 0) or 0 for r in rows),
             "成交金额": round(sum(r.get("成交金额", 0) or 0 for r in rows), 2)}
    return pd.DataFrame(rows + [total])


def write_gbk(frame: pd.DataFrame, path: Path) -> Path:
    path.write_bytes(frame.to_csv(index=False).encode("gb18030"))
    return path


def test_a_ths_export_with_totals_and_a_transfer_matches_and_exits_0(account, tmp_path):
    config, fills = account
    statement = ths(fills, [{"成交日期": "20210305", "操作": "银证转入", "发生金额": 50000.0}])
    report = run_cli("paper-reconcile", str(config),
                     str(write_gbk(statement, tmp_path / "ths.csv")))
    assert report.code == 0, report.stdout + report.stderr
    assert "1 totals row(s) skipped" in report.stdout
    assert "2021-03-05 cash flow: transfer +50,000.00 (a deposit or withdrawal: not P&L)" \
        in report.stdout
    assert "drift since the first reconciled day: cash +0.00" in report.stdout


def test_dividends_and_interest_are_cash_the_paper_account_did_not_book(account, tmp_path):
    config, fills = account
    statement = ths(fills, [{"成交日期": "20210320", "证券代码": "510300", "操作": "红利入账",
                             "发生金额": 120.0},
                            {"成交日期": "20210321", "操作": "利息归本", "发生金额": 3.21}])
    report = run_cli("paper-reconcile", str(config),
                     str(write_gbk(statement, tmp_path / "ths.csv")))
    assert report.code == 4  # the paper booked no dividend and no interest: a drift
    assert "cash flows: transfers +0.00, dividends +120.00 (the paper booked +0.00), " \
           "interest +3.21" in report.stdout
    assert "drift since the first reconciled day: cash +123.21" in report.stdout


def tdx(fills: pd.DataFrame) -> pd.DataFrame:
    """The broker's side of the same fills in TDX's layout, with four differences: the
    159915.SZ buy reported a day late (2021-03-12 for 03-11), the 510300.SH buy one tick worse
    (0.001), the sale's commission 5.00 (the paper's 12.xx was 0.025% with no minimum) and its
    amount 300.00 short of price x quantity (3 cents a unit: beyond a cent, flagged), and a
    transfer with an empty 买卖标志."""
    rows = []
    for f in fills.itertuples():
        price, date, commission = f.price, f.date.replace("-", ""), f.commission
        value = f.value
        if f.symbol == "510300.SH" and f.side == "buy":
            price = round(price + 0.001, 3)
            value = round(f.quantity * price, 2)
        if f.symbol == "159915.SZ":
            date = "20210312"
        if f.side == "sell":
            commission, value = 5.0, round(f.value - 300.0, 2)
        rows.append({"成交日期": date, "证券代码": f.symbol[:6], "证券名称": "ETF",
                     "买卖标志": "证券买入" if f.side == "buy" else "证券卖出",
                     "成交数量": int(f.quantity), "成交价格": price, "成交金额": value,
                     "佣金": commission, "印花税": 0.0, "过户费": 0.0, "其他费": 0.0,
                     "发生金额": 0.0, "摘要": "证券买入" if f.side == "buy" else "证券卖出"})
    rows.append({"成交日期": "20210308", "证券代码": "", "证券名称": "", "买卖标志": None,
                 "成交数量": None, "成交价格": None, "成交金额": None, "佣金": None,
                 "印花税": None, "过户费": None, "其他费": None, "发生金额": -10000.0,
                 "摘要": "银证转账"})
    return pd.DataFrame(rows)


def test_a_tdx_export_with_a_late_fill_a_tick_off_and_a_fee_difference(account, tmp_path):
    config, fills = account
    report = run_cli("paper-reconcile", str(config), "--from", "2021-03-01",
                     str(write_gbk(tdx(fills), tmp_path / "tdx.csv")))
    out = report.stdout
    assert report.code == 4, out + report.stderr
    assert "reconciled 2021-03-01 .. 2021-03-16" in out  # --from, and the last entry
    late = fills[fills["symbol"] == "159915.SZ"].iloc[0]
    assert (f"2021-03-12 159915 buy: moved: the broker filled 30,000 on 2021-03-12, the paper "
            f"account on 2021-03-11 (order {late.order_id})") in out
    buy = fills[(fills["symbol"] == "510300.SH") & (fills["side"] == "buy")].iloc[0]
    sale = fills[fills["side"] == "sell"].iloc[0]
    # the sale's stated price is the one compared (not amount / quantity, 0.03 less)
    assert (f"flagged: line 4: 510300 sell 10,000 at {sale.price:g} is {sale.value:,.2f}, but "
            f"its amount says {sale.value - 300:,.2f}: the price is taken as stated") in out
    assert (f"2021-03-03 510300 buy: filled {round(buy.price + 0.001, 3):g} against the paper "
            f"{buy.price:g}: +1 tick(s), 20.00 CNY") in out
    assert (f"2021-03-16 510300 sell: fees 5.00 against the paper's {sale.fees:,.2f} "
            f"({5.0 - sale.fees:+,.2f})") in out
    assert "2021-03-08 cash flow: transfer -10,000.00" in out
    status = json.loads(run_cli("paper-status", str(config), "--json").stdout)
    assert status["drift"]["positions"] == {}  # the late fill makes no false drift
    # cash: 20.00 more paid for the buy, the sale's fees 5.00 against the paper's
    assert status["drift"]["cash"] == pytest.approx(round(-20.0 - (5.0 - sale.fees), 2))


def test_follow_books_a_partial_fill_and_cash_never_goes_negative(account, tmp_path):
    config, fills = account
    partial = ths(fills)
    partial.loc[partial["证券代码"] == "159915", "成交数量"] = 20000
    partial.loc[partial["证券代码"] == "159915", "成交金额"] = round(
        20000 * fills[fills["symbol"] == "159915.SZ"].iloc[0].price, 2)
    report = run_cli("paper-reconcile", str(config), "--follow",
                     str(write_gbk(partial, tmp_path / "partial.csv")))
    assert report.code == 4 and "159915.SZ: -10,000 unit(s) from 2021-03-11's buy" in report.stdout
    config_tree = json.loads(config.read_text())
    config_tree["data"]["end"] = "2021-04-06"
    config.write_text(json.dumps(config_tree))
    for _ in range(3):  # three more steps
        assert run_cli("paper", str(config), "--once").code == 0
        status = json.loads(run_cli("paper-status", str(config), "--json").stdout)
        assert status["cash"] >= 0
    held = {p["symbol"]: p["quantity"] for p in status["positions"]}
    assert held == {"510300.SH": 10000, "159915.SZ": 20000}


def test_follow_refuses_a_booking_that_makes_cash_negative(account, tmp_path):
    config, fills = account
    statement = ths(fills, [{"成交日期": "20210329", "成交时间": "10:00:00", "证券代码": "510300",
                             "证券名称": "ETF", "操作": "买入", "成交数量": 100000,
                             "成交均价": 5.0, "成交金额": 500000.0, "手续费": 125.0}])
    report = run_cli("paper-reconcile", str(config), "--follow",
                     str(write_gbk(statement, tmp_path / "big.csv")))
    assert report.code == 2
    assert "--follow refused: 2021-03-29 510300 buy (paper 0, broker 100,000) would leave cash" \
        in report.stderr and "nothing was booked" in report.stderr
    status = json.loads(run_cli("paper-status", str(config), "--json").stdout)
    assert status["drift"] is None  # the refusal wrote nothing


def test_the_live_vs_paper_section_shows_whole_units_cents_and_cash_flows(account, tmp_path):
    config, fills = account
    statement = ths(fills, [{"成交日期": "20210305", "操作": "银证转入", "发生金额": 50000.0}])
    run_cli("paper-reconcile", str(config), str(write_gbk(statement, tmp_path / "ths.csv")))
    out = tmp_path / "report"
    assert run_cli("paper-report", str(config), "--out", str(out)).code == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    section = page.split('id="live-vs-paper"')[1]
    assert ">20,000<" in section and "20,000.0000" not in section
    assert "+50,000.00" in section and "transfer" in section  # the cash-flow ledger


def test_fills_one_row_each_with_price_quantity_and_every_fee_against_the_papers(account,
                                                                                 tmp_path):
    config, fills = account
    statement = tdx(fills)
    # the broker split the 159915.SZ buy into two fills (lines 3 and 6), with a 0.10 经手费
    late = statement.index[statement["证券代码"] == "159915"][0]
    split = statement.loc[late].copy()
    statement.loc[late, ["成交数量", "成交金额", "佣金"]] = [
        10000, round(10000 * split["成交价格"], 2), round(split["佣金"] / 3, 2)]
    split["成交数量"], split["成交金额"] = 20000, round(20000 * split["成交价格"], 2)
    split["佣金"], split["其他费"] = round(split["佣金"] * 2 / 3, 2), 0.10
    statement = pd.concat([statement, split.to_frame().T], ignore_index=True)
    out = tmp_path / "reports" / "fills.csv"
    report = run_cli("paper-reconcile", str(config), "--from", "2021-03-01", "--fills", str(out),
                     str(write_gbk(statement, tmp_path / "tdx.csv")))
    assert report.code == 4, report.stdout + report.stderr
    assert f"4 broker fill(s), one row each, written to {out}" in report.stdout
    rows = pd.read_csv(out, dtype={"code": str})
    assert list(rows["line"]) == [2, 3, 6, 4]  # by day, code, side, then statement line
    paper = {(f.symbol[:6], f.side): f for f in fills.itertuples()}
    buy = rows.iloc[0]
    assert (buy["code"], buy["side"], buy["quantity"]) == ("510300", "buy", 20000)
    assert buy["price"] == round(paper[("510300", "buy")].price + 0.001, 3)
    assert buy["slippage_ticks"] == 1 and buy["slippage_cost"] == 20.0
    sale = rows.iloc[3]
    assert sale["real_commission"] == 5.0
    assert sale["commission_difference"] == round(5.0 - paper[("510300", "sell")].commission, 2)
    first, second = rows.iloc[1], rows.iloc[2]
    assert (first["status"], second["status"]) == ("moved", "moved")
    assert (first["quantity"], second["quantity"]) == (10000, 20000)
    late_paper = paper[("159915", "buy")]
    # the paper's commission spread over the two fills by quantity, to the cent
    assert first["paper_commission"] == round(late_paper.commission / 3, 2)
    assert second["paper_commission"] == round(late_paper.commission * 2 / 3, 2)
    assert second["real_other_fees"] == 0.10 and second["other_fees_difference"] == 0.10
    assert first["paper_price"] == second["paper_price"] == late_paper.price
    assert rows["slippage_cost"].sum() == pytest.approx(20.0, abs=0.005)
