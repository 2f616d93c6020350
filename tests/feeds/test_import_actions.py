"""Dividends and splits with imported bars (issue 19): derived from each format's previous-close
column, or joined from a source's dividend table; a buy-and-hold on an imported copy of
510300.SH equals the run on the bundled bars to the cent, dividends included."""

from __future__ import annotations

import pandas as pd
import pytest

import huice
from tests.conftest import REPO, run_cli

FIXTURES = REPO / "tests" / "fixtures" / "imports"
START, END = "2020-12-01", "2022-02-28"
BUNDLED = str(REPO / "data" / "catalog.csv")


def hold_510300(catalog: str) -> huice.api.Result:
    return huice.backtest({"name": "imported", "data": {"catalog": catalog, "start": START,
                                                        "end": END, "benchmark": None},
                           "strategy": {"name": "barbell", "params": {
                               "legs": [{"symbol": "510300.SH", "weight": 1.0}]}}})


@pytest.fixture(scope="module")
def bundled_run() -> huice.api.Result:
    return hold_510300(BUNDLED)


@pytest.mark.parametrize("files,expected", [
    (["tushare_fund_daily_510300.SH.csv"],
     "from the exchange's previous close (pre_close): 2 cash dividend(s) "
     "(2021-01-18 0.072, 2022-01-19 0.075)"),
    (["baostock_sh.510300.csv"], "2 cash dividend(s) (2021-01-18 0.072, 2022-01-19 0.075)"),
    (["510300_fund_etf_hist_em.csv"], "2 cash dividend(s) (2021-01-18 0.072, 2022-01-19 0.075)"),
    (["tushare_fund_daily_510300.SH.no_pre_close.csv", "tushare_fund_div_510300.SH.csv"],
     "format: tushare fund_div (dividends and splits)\n  510300.SH: 2 action(s) booked"),
    (["tushare_fund_daily_510300.SH.no_pre_close.csv", "akshare_fund_fh_em_510300.csv"],
     "format: akshare fund_fh_em (dividends and splits)\n  510300.SH: 2 action(s) booked"),
])
def test_imported_copy_runs_to_the_cent_as_the_bundled_bars(tmp_path, bundled_run, files,
                                                             expected):
    result = run_cli("data", "import", *(str(FIXTURES / f) for f in files),
                     "--catalog", str(tmp_path / "cat"))
    assert result.code == 0, result.stderr
    assert expected in result.stdout, result.stdout
    imported = hold_510300(str(tmp_path / "cat" / "catalog.csv"))
    assert len(imported.actions) == 2
    assert imported.actions["per_unit"].tolist() == [0.072, 0.075]
    pd.testing.assert_frame_equal(imported.actions, bundled_run.actions)
    pd.testing.assert_frame_equal(imported.fills, bundled_run.fills)
    pd.testing.assert_frame_equal(imported.trades, bundled_run.trades)
    assert (imported.equity["equity"] == bundled_run.equity["equity"]).all()
    # hand check: 194,300 units held on both ex-dates get 0.072 and 0.075 a unit
    assert imported.actions["cash"].tolist() == [13989.6, 14767.5]


def test_bars_without_dividends_say_so_and_a_run_misses_them(tmp_path, bundled_run):
    result = run_cli("data", "import", str(FIXTURES / "tushare_fund_daily_510300.SH.no_pre_close.csv"),
                     "--catalog", str(tmp_path / "cat"))
    assert result.code == 0, result.stderr
    assert "warning: no dividends or splits: the file has no previous-close column" \
        in result.stdout
    bare = hold_510300(str(tmp_path / "cat" / "catalog.csv"))
    assert bare.actions.empty
    # the two dividends paid 28,757.10; the bare run ends 26,406.79 lower (the cash was
    # partly reinvested, at prices that then fell)
    missed = bundled_run.equity["equity"].iloc[-1] - bare.equity["equity"].iloc[-1]
    assert round(missed, 2) == 26406.79


def test_a_table_that_disagrees_with_the_bars_is_refused_unless_replace(tmp_path):
    table = pd.read_csv(FIXTURES / "tushare_fund_div_510300.SH.csv", dtype=str)
    table.loc[0, "div_cash"] = "0.08"
    path = tmp_path / "fund_div.csv"
    table.to_csv(path, index=False)
    bars = str(FIXTURES / "tushare_fund_daily_510300.SH.csv")
    catalog = str(tmp_path / "cat")
    assert run_cli("data", "import", bars, "--catalog", catalog).code == 0
    refused = run_cli("data", "import", str(path), "--catalog", catalog)
    assert refused.code == 2
    assert ("fund_div.csv:2: 510300.SH on 2021-01-18: the table says dividend 0.08, split x1; "
            "the bars say dividend 0.072, split x1") in refused.stderr
    replaced = run_cli("data", "import", str(path), "--catalog", catalog, "--replace")
    assert replaced.code == 0, replaced.stderr
    assert "1 replacing the bars' (--replace)" in replaced.stdout
    assert hold_510300(catalog + "/catalog.csv").actions["per_unit"].tolist() == [0.08, 0.075]


def test_an_ex_date_without_a_bar_is_refused_naming_the_line(tmp_path):
    path = tmp_path / "510300.SH_dividends.csv"
    path.write_text("date,dividend\n2021-01-18,0.072\n2021-01-16,0.05\n")
    result = run_cli("data", "import", str(FIXTURES / "tushare_fund_daily_510300.SH.csv"),
                     str(path), "--catalog", str(tmp_path / "cat"))
    assert result.code == 2
    assert "510300.SH_dividends.csv:3: 510300.SH has no bar on the ex-date 2021-01-16" \
        in result.stderr
    assert not (tmp_path / "cat" / "catalog.csv").exists()


def test_baostock_and_split_tables(tmp_path):
    baostock = tmp_path / "dividends.csv"
    pd.DataFrame({"code": ["sh.510300"], "dividPreNoticeDate": [""],
                  "dividRegistDate": ["2021-01-15"], "dividOperateDate": ["2021-01-18"],
                  "dividPayDate": ["2021-01-22"], "dividCashPsBeforeTax": ["0.072"],
                  "dividCashPsAfterTax": ["0.072"], "dividStocksPs": [""],
                  "dividReserveToStockPs": [""]}).to_csv(baostock, index=False)
    splits = tmp_path / "fund_cf_em.csv"
    pd.DataFrame({"序号": [1, 2], "基金代码": ["510300", "159915"], "基金简称": ["x", "y"],
                  "拆分折算日": ["2021-06-01", "2021-06-01"], "拆分类型": ["份额分拆"] * 2,
                  "拆分折算": [2.0, 3.0]}).to_csv(splits, index=False, encoding="gb18030")
    result = run_cli("data", "import", str(FIXTURES / "tushare_fund_daily_510300.SH.no_pre_close.csv"),
                     str(baostock), str(splits), "--catalog", str(tmp_path / "cat"))
    assert result.code == 0, result.stderr
    assert "format: baostock query_dividend_data (dividends and splits)" in result.stdout
    assert "format: akshare fund_cf_em (dividends and splits)" in result.stdout
    assert "1 code(s) without bars in the catalog left out" in result.stdout
    stored = pd.read_parquet(next((tmp_path / "cat" / "bars").glob("510300.SH-*.parquet")))
    assert stored.loc["2021-01-18", "dividend"] == 0.072
    assert stored.loc["2021-06-01", "split_ratio"] == 2.0
    assert stored["split_ratio"].prod() == 2.0 and stored["dividend"].sum() == 0.072
