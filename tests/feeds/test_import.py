"""``data import`` on real-format files: detection, unit conversion, sorting, placeholder rows,
symbol and class inference; a backtest on the imported catalog sees the source's closes."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest

import huice
from tests.conftest import DATA, REPO, run_cli

FIXTURES = REPO / "tests" / "fixtures" / "imports"


def backtest_closes(catalog, symbol: str, start: str, end: str) -> pd.Series:
    result = huice.backtest({"name": "imported", "data": {"catalog": str(catalog / "catalog.csv"),
                                                           "start": start, "end": end,
                                                           "benchmark": None},
                             "strategy": {"name": "barbell",
                                          "params": {"legs": [{"symbol": symbol,
                                                               "weight": 1.0}]}}})
    return result.prices[symbol]


@pytest.mark.parametrize("name,symbol,expected", [
    ("510300.csv.gz", "510300.SH", ["format: akshare export (renamed)",
                                    "units: volume in lots of 100, 成交额 in CNY; the data agrees",
                                    "volume x100", "symbol 510300.SH (from the file name)",
                                    "asset class etf (as the bundled catalog has 510300.SH)"]),
    ("sh000300.csv.gz", "000300.SH", ["format: baostock query_history_k_data_plus (no code column)",
                                      "an index's points are not prices",
                                      "asset class index (from its code"]),
    ("159915.SZ.csv.gz", "159915.SZ", ["format: tushare-like (code, pre_close, vol, amount)",
                                       "dropped 15 placeholder row(s) without volume",
                                       "units: undocumented: taken from the data; the data agrees",
                                       "symbol 159915.SZ (from the code column)"]),
])
def test_real_format_files_import_and_backtest_on_their_closes(tmp_path, name, symbol, expected):
    result = run_cli("data", "import", str(FIXTURES / name), "--catalog", str(tmp_path / "cat"))
    assert result.code == 0, result.stderr
    for fragment in expected:
        assert fragment in result.stdout, (fragment, result.stdout)
    with gzip.open(FIXTURES / name, "rt") as handle:
        frame = pd.read_csv(handle)
    date_column = "datetime" if "datetime" in frame else "date"
    frame = frame.dropna(subset=["vol"]) if "vol" in frame else frame
    source = pd.Series(frame["close"].to_numpy(dtype=float),
                       index=pd.to_datetime(frame[date_column]))
    window = source.loc["2021-01-04":"2021-12-31"]
    closes = backtest_closes(tmp_path / "cat", symbol, "2021-01-04", "2021-12-31")
    assert len(window) > 200
    assert (closes.loc[window.index].to_numpy() == window.to_numpy()).all()


def test_tushare_units_and_order(tmp_path):
    result = run_cli("data", "import", str(FIXTURES / "tushare_fund_daily_510300.SH.csv"),
                     "--catalog", str(tmp_path / "cat"))
    assert result.code == 0, result.stderr
    for fragment in ("format: tushare fund_daily / index_daily",
                     "sorted oldest first (the file was newest first)",
                     "units: vol in lots of 100, amount in thousand CNY; the data agrees",
                     "volume x100", "amount x1000", "symbol 510300.SH (from the code column)"):
        assert fragment in result.stdout, (fragment, result.stdout)
    bundled = pd.read_csv(DATA / "bars/510300.SH.csv.gz", parse_dates=["date"]).set_index("date")
    stored = pd.read_parquet(next((tmp_path / "cat" / "bars").glob("510300.SH-*.parquet")))
    reference = bundled.loc[stored.index]
    assert stored.index.is_monotonic_increasing and len(stored) == 301
    assert (stored["close"] == reference["close"]).all()
    assert ((stored["volume"] - reference["volume"]).abs() < 1e-6).all()
    assert ((stored["amount"] - reference["amount"]).abs() < 1e-3).all()


def test_units_the_data_contradicts_are_taken_from_the_data(tmp_path):
    frame = pd.read_csv(FIXTURES / "tushare_fund_daily_510300.SH.csv")
    frame["vol"] = frame["vol"] * 100  # shares, though tushare documents lots
    path = tmp_path / "odd.csv"
    frame.to_csv(path, index=False)
    result = run_cli("data", "import", str(path), "--catalog", str(tmp_path / "cat"))
    assert result.code == 0, result.stderr
    assert ("units: the data says volume in shares and amount in thousand CNY "
            "(amount / (volume x close) = 0.0009994)") in result.stdout
    assert "not the format's vol in lots of 100, amount in thousand CNY: using the data" \
        in result.stdout


def test_baostock_text_values(tmp_path):
    result = run_cli("data", "import", str(FIXTURES / "baostock_sh.510300.csv"),
                     "--catalog", str(tmp_path / "cat"))
    assert result.code == 0, result.stderr
    assert "format: baostock query_history_k_data_plus" in result.stdout
    assert "symbol 510300.SH (from the code column)" in result.stdout
    stored = pd.read_parquet(next((tmp_path / "cat" / "bars").glob("510300.SH-*.parquet")))
    bundled = pd.read_csv(DATA / "bars/510300.SH.csv.gz", parse_dates=["date"]).set_index("date")
    assert len(stored) == 301
    assert (stored["close"] == bundled.loc["2020-12-01":"2022-02-28", "close"]).all()


def test_bad_inputs_are_clear_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("foo,bar\n1,2\n")
    result = run_cli("data", "import", str(bad), "--catalog", str(tmp_path / "cat"))
    assert result.code == 2 and "bad.csv" in result.stderr and "unknown bar format" in result.stderr
    text = tmp_path / "600000.csv"
    text.write_text("date,open,high,low,close,volume\n2021-01-04,1,1,1,1,100\n"
                    "2021-01-05,1,abc,1,1,100\n")
    result = run_cli("data", "import", str(text), "--catalog", str(tmp_path / "cat"))
    assert result.code == 2 and "600000.csv:3: high: high 'abc' is not a number" in result.stderr
    nameless = tmp_path / "000001.csv"
    nameless.write_text("date,open,high,low,close\n2021-01-04,1,1,1,1\n")
    result = run_cli("data", "import", str(nameless), "--catalog", str(tmp_path / "cat"))
    assert result.code == 2 and "pass --symbol" in result.stderr
    assert not (tmp_path / "cat" / "catalog.csv").exists()


def test_shares_files_join_the_bars(tmp_path):
    bars = FIXTURES / "tushare_fund_daily_510300.SH.csv"
    shares = tmp_path / "fund_share.csv"
    pd.DataFrame({"ts_code": "510300.SH", "trade_date": ["20210106", "20210105"],
                  "fd_share": [1234567.89, 1230000.0]}).to_csv(shares, index=False)
    result = run_cli("data", "import", str(bars), str(shares), "--catalog", str(tmp_path / "c"))
    assert result.code == 0, result.stderr
    assert "format: tushare fund_share (shares outstanding, x10000)" in result.stdout
    stored = pd.read_parquet(next((tmp_path / "c" / "bars").glob("510300.SH-*.parquet")))
    assert stored.loc["2021-01-06", "shares"] == pytest.approx(12345678900.0)
    assert stored.loc["2021-01-05", "shares"] == 12300000000.0
    assert json.loads(json.dumps(int(stored["shares"].notna().sum()))) == 2


def test_store_reads_fast_only_what_it_wrote(tmp_path):
    """A store file whose bytes match its hash name is read as validated; a changed one is
    validated again, and a damaged one is an error naming the file."""
    from huice.feeds.store import read_bars_parquet

    assert run_cli("data", "import", str(FIXTURES / "tushare_fund_daily_510300.SH.csv"),
                   "--catalog", str(tmp_path / "cat")).code == 0
    path = next((tmp_path / "cat" / "bars").glob("510300.SH-*.parquet"))
    fast = read_bars_parquet(path)
    from huice.feeds.bars import to_bar_frame
    pd.testing.assert_frame_equal(fast, to_bar_frame(pd.read_parquet(path), path))
    frame = pd.read_parquet(path)
    frame.iloc[3, frame.columns.get_loc("high")] = 0.5  # below the close: the bar rules catch it
    frame.to_parquet(path)
    with pytest.raises(huice.api.ConfigError.__mro__[1], match="high >= max"):
        read_bars_parquet(path)
    path.write_bytes(b"not parquet")
    with pytest.raises(huice.api.ConfigError.__mro__[1], match="cannot read as Parquet"):
        read_bars_parquet(path)
