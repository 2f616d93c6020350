"""data import on files as they come from real sources (issue 19): what is harmless is
repaired and listed, what is wrong is refused naming the line, good data is never replaced
without a word. Built from the real fixture files in tests/fixtures/imports."""

from __future__ import annotations

import gzip
import os
import socket
import stat

import pandas as pd
import pytest

from huice.feeds.akshare_source import AkshareClient, FetchError
from huice.feeds.errors import DataError
from huice.feeds.importing import import_paths
from huice.feeds.store import CatalogStore
from tests.conftest import REPO, run_cli

FIXTURES = REPO / "tests" / "fixtures" / "imports"


def baostock(tmp_path, edit=None, name="sh.510300.csv"):
    """The baostock export of 510300.SH (2021-01-04 .. 2021-06-30), optionally edited."""
    frame = pd.read_csv(FIXTURES / "baostock_sh.510300.csv", dtype=str, keep_default_na=False)
    frame = frame[frame["date"].between("2021-01-04", "2021-06-30")].reset_index(drop=True)
    if edit is not None:
        frame = edit(frame)
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_a_bar_on_a_holiday_is_dropped_and_listed(tmp_path):
    def add_new_year(frame):
        row = frame.iloc[[0]].copy()
        row["date"] = "2021-01-01"  # New Year's Day: the exchanges are shut
        return pd.concat([row, frame], ignore_index=True)

    report = import_paths([baostock(tmp_path, add_new_year)], tmp_path / "cat")[0]
    assert any("dropped 1 bar(s) dated on a day the exchange did not trade: 2021-01-01 (line 2)"
               in line for line in report.lines)
    assert CatalogStore(tmp_path / "cat").bars("510300.SH").index[0] == pd.Timestamp("2021-01-04")


def test_a_missing_month_is_listed(tmp_path):
    def drop_march(frame):
        return frame[~frame["date"].str.startswith("2021-03")]

    report = import_paths([baostock(tmp_path, drop_march)], tmp_path / "cat")[0]
    assert any(line.startswith("warning: no bars 2021-03-01 .. 2021-03-31 (23 trading days)")
               for line in report.lines)


def test_a_rounding_glitch_is_repaired_and_a_real_error_refused(tmp_path):
    def glitch(frame):  # close 0.001 below the low on 2021-01-05 (line 3)
        frame.loc[1, "close"] = f"{float(frame.loc[1, 'low']) - 0.001:.4f}"
        return frame

    report = import_paths([baostock(tmp_path, glitch)], tmp_path / "cat")[0]
    assert any("repaired 1 bar(s)" in line and "2021-01-05 (line 3, by 0.001)" in line
               for line in report.lines)
    bar = CatalogStore(tmp_path / "cat").bars("510300.SH").loc["2021-01-05"]
    assert bar["low"] == bar["close"]
    with pytest.raises(DataError, match="--strict refuses every inconsistency") as strict:
        import_paths([baostock(tmp_path, glitch)], tmp_path / "cat2", strict=True)
    assert strict.value.line == 3

    def error(frame):  # 5% below the low: no rounding explains it
        frame.loc[9, "close"] = f"{float(frame.loc[9, 'low']) * 0.95:.4f}"
        return frame

    with pytest.raises(DataError, match=r"beyond the 2 ticks or 0\.1% of the price") as refused:
        import_paths([baostock(tmp_path, error)], tmp_path / "cat3")
    assert refused.value.line == 11 and not (tmp_path / "cat3" / "catalog.csv").exists()


def test_another_instruments_bars_never_replace_good_ones_silently(tmp_path):
    import_paths([baostock(tmp_path)], tmp_path / "cat")
    store = CatalogStore(tmp_path / "cat")
    good = store.bars("510300.SH")
    catalog = (tmp_path / "cat" / "catalog.csv").read_bytes()

    def other_prices(frame):  # 159915.SZ-like prices under 510300's code
        for column in ("open", "high", "low", "close"):
            frame[column] = (frame[column].astype(float) * 0.6).map("{:.4f}".format)
        return frame

    foreign = baostock(tmp_path, other_prices, name="510300.SH.csv")
    with pytest.raises(DataError, match="already in the catalog and these bars disagree"):
        import_paths([foreign], tmp_path / "cat")
    assert (tmp_path / "cat" / "catalog.csv").read_bytes() == catalog
    report = import_paths([foreign], tmp_path / "cat", replace=True)[0]
    assert any("replaced (--replace)" in line for line in report.lines)
    assert CatalogStore(tmp_path / "cat").bars("510300.SH")["close"].iloc[0] != good["close"].iloc[0]
    assert CatalogStore(tmp_path / "cat").undo() == ["510300.SH"]
    restored = CatalogStore(tmp_path / "cat").bars("510300.SH")
    assert restored["close"].equals(good["close"])


def test_an_etf_gets_the_board_its_index_trades_on(tmp_path):
    report = import_paths([FIXTURES / "159915.SZ.csv.gz"], tmp_path / "cat")[0]
    assert any(line.startswith("board chinext (as the bundled catalog has 159915.SZ")
               for line in report.lines)
    rows = CatalogStore(tmp_path / "cat").rows()
    assert rows.set_index("symbol").loc["159915.SZ", "board"] == "chinext"


@pytest.mark.slow  # every bundled ETF through the importer: make test, not the inner loop
def test_every_bundled_etf_imports_with_the_bundled_rules(tmp_path):
    """An import of a bundled ETF's own bars infers the board and class the catalog has."""
    catalog = pd.read_csv(REPO / "data/catalog.csv", dtype=str, keep_default_na=False)
    etfs = catalog[catalog["asset_class"].str.endswith("etf")]
    for row in etfs.itertuples():
        with gzip.open(REPO / "data" / row.path, "rt") as handle:
            frame = pd.read_csv(handle)
        path = tmp_path / f"{row.symbol}.csv"
        frame.head(30).to_csv(path, index=False)
        folder = tmp_path / row.symbol.replace(".", "_")
        import_paths([path], folder, symbol=row.symbol)
        stored = CatalogStore(folder).rows().iloc[0]
        assert (stored["board"], stored["asset_class"]) == (row.board or "main",
                                                          row.asset_class), row.symbol


def test_a_gbk_export_and_a_missing_column_and_the_line_of_a_duplicate(tmp_path):
    frame = pd.read_csv(FIXTURES / "510300.csv.gz", dtype=str).head(40)
    gbk = tmp_path / "510300.csv"
    frame.to_csv(gbk, index=False, encoding="gb18030")
    report = import_paths([gbk], tmp_path / "cat")[0]
    assert "read as GB18030 text" in report.lines
    assert any(line.startswith("columns left out") and "振幅" in line for line in report.lines)
    frame.drop(columns="low").to_csv(tmp_path / "no_low.csv", index=False)
    with pytest.raises(DataError, match=r"no low column \(found: datetime, open, close, high, "):
        import_paths([tmp_path / "no_low.csv"], tmp_path / "cat2", symbol="510300.SH")
    duplicated = pd.concat([frame.iloc[:21], frame.iloc[[20]], frame.iloc[21:]])
    duplicated.to_csv(tmp_path / "dup.csv", index=False)
    with pytest.raises(DataError, match="duplicate date 2019-07-29") as error:
        import_paths([tmp_path / "dup.csv"], tmp_path / "cat3", symbol="510300.SH")
    assert error.value.line == 23  # the repeated row (line 22 is the first, legitimate one)


def test_a_name_that_does_not_resolve_is_not_retried():
    calls = []

    class Unreachable:
        def fund_etf_hist_em(self, **kwargs):
            calls.append(kwargs)
            raise ConnectionError("HTTPSConnectionPool: Max retries exceeded") from socket.gaierror(
                -2, "Name or service not known")

    client = AkshareClient(module=Unreachable(), sleep=lambda seconds: None)
    with pytest.raises(FetchError, match="host name does not resolve"):
        client.call("fund_etf_hist_em", "510300.SH", symbol="510300")
    assert len(calls) == 1


def test_outputs_follow_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        import_paths([baostock(tmp_path)], tmp_path / "cat")
        result = run_cli("backtest", str(REPO / "config/examples/barbell_etf.yaml"), "--out",
                         str(tmp_path / "run"))
    finally:
        os.umask(previous)
    assert result.code == 0, result.stderr
    assert stat.S_IMODE((tmp_path / "cat" / "catalog.csv").stat().st_mode) == 0o644
    parquet = next((tmp_path / "cat" / "bars").glob("*.parquet"))
    assert stat.S_IMODE(parquet.stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "run").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "run" / "report.html").stat().st_mode) == 0o644


def test_data_files_get_the_bundled_board(tmp_path):
    """159915.SZ under data.files trades at ChiNext's ±20% from 2020-08-24, as in the catalog."""
    import huice

    with gzip.open(REPO / "data/bars/159915.SZ.csv.gz", "rt") as handle:
        (tmp_path / "159915.csv").write_text(handle.read())
    config = huice.load_config({"name": "files", "data": {
        "start": "2021-01-04", "end": "2021-03-31", "benchmark": None,
        "files": {"159915.SZ": {"path": str(tmp_path / "159915.csv")}}},
        "strategy": {"name": "target_weights", "params": {"path": str(tmp_path / "w.csv")}}})
    (tmp_path / "w.csv").write_text("date,symbol,weight\n2021-01-04,159915.SZ,1.0\n")
    result = huice.backtest(config)
    assert any("159915.SZ" in note and "board chinext limits" in note for note in result.notes)


def test_an_index_amount_in_yi_is_converted_and_announced(tmp_path):
    with gzip.open(FIXTURES / "sh000300.csv.gz", "rt") as handle:
        frame = pd.read_csv(handle, dtype=str).head(300)
    frame["amount"] = (frame["amount"].astype(float) / 1e8).map("{:.2f}".format)  # 亿 CNY
    frame.to_csv(tmp_path / "sh000300.csv", index=False)
    report = import_paths([tmp_path / "sh000300.csv"], tmp_path / "cat")[0]
    assert any(line.startswith("amount looks like 亿 CNY") and line.endswith("x1e+08")
               for line in report.lines)
    stored = CatalogStore(tmp_path / "cat").bars("000300.SH")
    assert stored["amount"].median() > 1e9


def test_unadjusted_bars_with_an_unrecorded_dividend_are_flagged(tmp_path):
    """510500.SH's 2015-04-15 split (x0.28) in a file without a split line."""
    with gzip.open(REPO / "data/bars/510500.SH.csv.gz", "rt") as handle:
        frame = pd.read_csv(handle)
    frame = frame[(frame["date"] >= "2015-03-02") & (frame["date"] <= "2015-05-29")]
    frame.drop(columns=["dividend", "split_ratio"]).to_csv(tmp_path / "510500.SH.csv",
                                                           index=False)
    report = import_paths([tmp_path / "510500.SH.csv"], tmp_path / "cat")[0]
    assert any("beyond the ±10% daily limit" in line and "2015-04-15" in line
               for line in report.lines)


def test_a_close_only_total_return_index_imports_as_a_benchmark(tmp_path):
    """CSI's total-return files hold date and close only (as in the shared raw data)."""
    frame = pd.read_csv(REPO / "data/bars/H00300.CSI.csv.gz")[["date", "close"]].head(250)
    frame.to_csv(tmp_path / "h00300.csv", index=False)
    report = import_paths([tmp_path / "h00300.csv"], tmp_path / "cat")[0]
    assert "symbol H00300.CSI (from the file name)" in report.lines
    assert any(line.startswith("close only: open, high and low set to the close")
               for line in report.lines)
    stored = CatalogStore(tmp_path / "cat").bars("H00300.CSI")
    assert (stored["open"] == stored["close"]).all() and (stored["volume"] == 0).all()
    with pytest.raises(DataError, match="has only a close"):
        import_paths([tmp_path / "h00300.csv"], tmp_path / "cat2", symbol="510300.SH")


def test_blank_rows_in_the_middle_are_dropped_and_listed(tmp_path):
    def blank(frame):
        frame.loc[5, ["open", "high", "low", "close", "volume", "amount"]] = ""
        return frame

    report = import_paths([baostock(tmp_path, blank)], tmp_path / "cat")[0]
    assert "dropped 1 row(s) with no open, high, low or close (lines 7)" in report.lines


def test_rows_beyond_repair_are_dropped_and_listed_only_when_asked(tmp_path):
    def broken(frame):  # high below low on 2021-01-05 (line 3), close 5% off on line 11
        frame.loc[1, "high"] = f"{float(frame.loc[1, 'low']) - 0.05:.4f}"
        frame.loc[9, "close"] = f"{float(frame.loc[9, 'low']) * 0.95:.4f}"
        return frame

    path = baostock(tmp_path, broken)
    with pytest.raises(DataError, match="import with --drop-bad-rows") as refused:
        import_paths([path], tmp_path / "cat")
    assert refused.value.line == 3
    report = import_paths([path], tmp_path / "cat", drop_bad_rows=True)[0]
    assert any(line.startswith("warning: dropped 2 bar(s) that break the bar rules beyond a "
                               "rounding glitch (--drop-bad-rows): 2021-01-05 (line 3: high "
                               "below low), 2021-01-15 (line 11: open/close")
               for line in report.lines), report.lines
    stored = CatalogStore(tmp_path / "cat").bars("510300.SH")
    assert pd.Timestamp("2021-01-05") not in stored.index and len(stored) == 118 - 2


def test_an_index_amount_that_is_volume_is_told_by_the_bundled_index(tmp_path):
    """chrisphoenixsoar's sh000300.csv has an 'amount' column that is the volume in lots: the
    bundled CSI 300's volume is exactly 100x it. A magnitude check alone could not tell 万 CNY
    from thousand CNY; the bundled index can."""
    bundled = pd.read_csv(REPO / "data/bars/000300.SH.csv.gz").iloc[-300:]
    path = tmp_path / "sh000300.csv"
    pd.DataFrame({"date": bundled["date"], "open": bundled["open"], "high": bundled["high"],
                  "low": bundled["low"], "close": bundled["close"],
                  "amount": (bundled["volume"] / 100).round(), "info": "{}"}).to_csv(path, index=False)
    report = import_paths([path], tmp_path / "cat")[0]
    assert ("the amount column holds volume in lots of 100, not CNY (the bundled 000300.SH's "
            "volume is 100x it on the shared days): used as volume x100; amount left empty"
            in report.lines)
    stored = CatalogStore(tmp_path / "cat").bars("000300.SH")
    assert (stored["volume"] - bundled.set_index(pd.to_datetime(bundled["date"]))["volume"]
            ).abs().max() <= 50
    assert stored["amount"].isna().all()


def test_files_as_other_tools_write_them(tmp_path):
    """A bare 000xxx name resolved by the bundled closes, capitalised headers (backtrader's
    samples), an amount in 亿 CNY by its column name, shares in 10,000 units."""
    bundled = pd.read_csv(REPO / "data/bars/000905.SH.csv.gz").iloc[-100:]
    bare = tmp_path / "000905.csv"
    pd.DataFrame({"Date": bundled["date"], "Open": bundled["open"], "High": bundled["high"],
                  "Low": bundled["low"], "Close": bundled["close"],
                  "amount_yi": (bundled["amount"] / 1e8).round(4)}).to_csv(bare, index=False)
    report = import_paths([bare], tmp_path / "cat")[0]
    assert "symbol 000905.SH (from the file name: its closes equal the bundled 000905.SH's on " \
           "100 shared days)" in report.lines
    assert "amount from amount_yi (亿 CNY): x1e+08" in report.lines
    stored = CatalogStore(tmp_path / "cat").bars("000905.SH")
    assert (stored["amount"] / bundled.set_index(pd.to_datetime(bundled["date"]))["amount"]
            - 1).abs().max() < 1e-4
    elsewhere = tmp_path / "000999.csv"  # no bundled instrument to tell SH from SZ
    bare.rename(elsewhere)
    with pytest.raises(DataError, match="pass --symbol"):
        import_paths([elsewhere], tmp_path / "cat2")
    shares = tmp_path / "etf_shares.csv"
    pd.DataFrame({"date": ["2021-01-05"], "code": ["510300"], "name": ["沪深300ETF"],
                  "shares_10k": [1234567.0]}).to_csv(shares, index=False)
    report = import_paths([baostock(tmp_path), shares], tmp_path / "cat3")[1]
    assert report.lines[0] == "format: shares in 10,000 units (shares_10k) (shares outstanding, x10000)"
    assert CatalogStore(tmp_path / "cat3").bars("510300.SH").loc["2021-01-05", "shares"] == 12345670000.0
