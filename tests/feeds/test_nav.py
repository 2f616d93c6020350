"""ETF NAV and the premium (issue 34): the bundled NAV against an independent computation of
the premium over each fund's whole history, the early ex-date of the NAV corrected, and the
publication lag of a cross-border fund's NAV."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from huice.feeds.calendar import read_exchange_calendar
from huice.feeds.csv_source import read_bars
from huice.feeds.nav import nav_lag, premium, read_nav, visible_premium
from tests.conftest import DATA


def independent_premium(symbol: str) -> pd.Series:
    """The premium worked out here from the raw files, row by row: close / NAV - 1, and on the
    exchange's trading day before an ex-date of the bars the NAV put back to the old unit
    (NAV x split + dividend), since the NAV goes ex one day before the price."""
    with gzip.open(DATA / "bars" / f"{symbol}.csv.gz", "rt") as handle:
        bars = pd.read_csv(handle)
    with gzip.open(DATA / "nav" / f"{symbol}.csv.gz", "rt") as handle:
        nav = dict(pd.read_csv(handle).itertuples(index=False, name=None))
    days = pd.read_csv(DATA / "calendar.csv.gz")["date"].tolist()
    previous_day = {day: days[i - 1] for i, day in enumerate(days) if i}
    fix = {}
    for row in bars.itertuples():
        dividend = 0.0 if pd.isna(row.dividend) else row.dividend
        split = 1.0 if pd.isna(row.split_ratio) else row.split_ratio
        if dividend or split != 1.0:
            fix[previous_day[row.date]] = (split, dividend)
    values = {}
    for row in bars.itertuples():
        if row.date not in nav:
            continue
        split, dividend = fix.get(row.date, (1.0, 0.0))
        values[pd.Timestamp(row.date)] = row.close / (nav[row.date] * split + dividend) - 1.0
    return pd.Series(values)


@pytest.mark.parametrize("symbol", ["510300.SH", "513100.SH"])
def test_the_premium_equals_an_independent_computation_over_the_whole_history(symbol):
    bars = read_bars(DATA / "bars" / f"{symbol}.csv.gz")
    ours = premium(bars, read_nav(symbol), read_exchange_calendar()).dropna()
    expected = independent_premium(symbol)
    assert list(ours.index) == list(expected.index)
    assert len(ours) > 2000
    pd.testing.assert_series_equal(ours, expected, check_names=False, rtol=0, atol=1e-12)


def test_the_navs_early_ex_date_makes_no_fake_premium():
    """510500.SH's dividend goes ex on the exchange on 2022-08-29, its NAV on 2022-08-26: a
    naive close / NAV shows +14.6% there; corrected, the premium is a normal day's."""
    calendar = read_exchange_calendar()
    bars = read_bars(DATA / "bars" / "510500.SH.csv.gz")
    nav = read_nav("510500.SH")
    naive = bars["close"] / nav.reindex(bars.index) - 1
    assert naive.loc["2022-08-26"] == pytest.approx(0.1465, abs=0.0005)
    assert bars.loc["2022-08-29", "dividend"] > 0
    fixed = premium(bars, nav, calendar)
    assert abs(fixed.loc["2022-08-26"]) < 0.002
    # 513100.SH split 1-for-5 on 2022-01-13, a day without a trade: no bar, no premium, and
    # the days around it are ordinary
    split = premium(read_bars(DATA / "bars" / "513100.SH.csv.gz"), read_nav("513100.SH"),
                    calendar)
    assert pd.Timestamp("2022-01-13") not in split.dropna().index
    assert split.loc["2022-01-10":"2022-01-20"].abs().max() < 0.05


def test_the_nav_rows_are_trading_days_of_the_listed_fund():
    calendar = read_exchange_calendar()
    for path in sorted((DATA / "nav").glob("*.csv.gz")):
        symbol = path.name[:9]
        nav = read_nav(symbol)
        bars = read_bars(DATA / "bars" / f"{symbol}.csv.gz")
        assert nav.index.isin(calendar).all(), symbol
        assert nav.index[0] >= bars.index[0], symbol  # no pre-listing NAV


def test_a_cross_border_funds_premium_is_seen_a_day_late():
    """A decision on day t reads the premium of t - lag: a QDII fund's NAV of day T is
    published after T's close (priced at the overseas close); a domestic fund's that
    evening."""
    assert nav_lag("cross_border_etf") == 1 and nav_lag("etf") == 0 and nav_lag("gold_etf") == 0
    series = pd.Series([0.01, 0.02, 0.03], index=pd.to_datetime(
        ["2022-01-10", "2022-01-11", "2022-01-12"]))
    seen = visible_premium(series, 1)
    assert pd.isna(seen.iloc[0]) and seen.iloc[1:].tolist() == [0.01, 0.02]
    assert visible_premium(series, 0).equals(series)


def test_the_premium_monitor_writes_its_files_and_flags_the_funds_beyond(tmp_path):
    """The monitor on 2022-08-31 of the bundled data: each fund's latest premium, its Z and
    percentile, the signal of those beyond the thresholds; the same figures as the premium of
    feeds/nav.py on that day."""
    import huice
    from tests.conftest import EXAMPLES

    last = huice.monitor_premium(EXAMPLES / "premium_zscore.yaml", date=pd.Timestamp(
        "2022-08-31").date(), out=tmp_path / "monitor")
    assert (tmp_path / "monitor" / "report.html").exists()
    assert set(pd.read_csv(tmp_path / "monitor" / "premium.csv")["symbol"]) == set(last["symbol"])
    row = last.set_index("symbol").loc["510500.SH"]
    bars = read_bars(DATA / "bars" / "510500.SH.csv.gz").loc[:"2022-08-31"]
    expected = premium(bars, read_nav("510500.SH"), read_exchange_calendar()).dropna()
    assert row["premium"] == pytest.approx(expected.iloc[-1], abs=1e-15)
    window = expected.iloc[-60:]
    assert row["z"] == pytest.approx((expected.iloc[-1] - window.mean()) / window.std())
    flagged = last[last["signal"] != ""]
    assert ((flagged["z"] <= -2) | (flagged["z"] >= 2)).all()


@pytest.mark.parametrize("layout", ["yang", "akshare", "efinance"])
def test_data_import_joins_a_nav_file_as_the_bars_nav_line(tmp_path, layout):
    """510300.SH's bars and its NAV imported into a catalog, the NAV in three real layouts
    (date,nav; akshare fund_etf_fund_info_em's 净值日期, 单位净值; efinance's parquet with a date
    index): the catalog's bars carry a nav line on their days, rows on other days are left
    out and counted, and the premium from it equals the bundled NAV's."""
    from tests.conftest import run_cli

    bars = tmp_path / "510300.SH.csv"
    frame = pd.read_csv(DATA / "bars" / "510300.SH.csv.gz")
    frame[(frame["date"] >= "2021-01-04") & (frame["date"] <= "2021-06-30")].to_csv(
        bars, index=False)
    nav = pd.read_csv(DATA / "nav" / "510300.SH.csv.gz")
    nav = nav[(nav["date"] >= "2020-12-01") & (nav["date"] <= "2021-06-30")]
    nav = pd.concat([nav, pd.DataFrame({"date": ["2021-06-27"], "nav": [4.9]})])  # a Sunday
    if layout == "yang":
        path = tmp_path / "nav_510300.csv"
        nav.to_csv(path, index=False)
    elif layout == "akshare":
        path = tmp_path / "510300_fund_etf_fund_info_em.csv"
        nav.rename(columns={"date": "净值日期", "nav": "单位净值"}).assign(
            累计净值=nav["nav"], 日增长率=0.0).to_csv(path, index=False)
    else:
        path = tmp_path / "510300_nav.parquet"
        nav.assign(date=pd.to_datetime(nav["date"]), cum_nav=nav["nav"]).set_index(
            "date").to_parquet(path)
    result = run_cli("data", "import", str(bars), str(path), "--catalog",
                     str(tmp_path / "market"))
    assert result.code == 0, result.stderr
    assert "nav joined on 118 day(s)" in result.stdout
    assert "NAV row(s) on days without a bar left out" in result.stdout
    import huice
    from huice.feeds.nav import nav_of

    run = huice.backtest({"name": "n", "data": {"catalog": str(tmp_path / "market" /
                                                               "catalog.csv"),
                                                "benchmark": None},
                          "strategy": {"name": "orders", "params": {"path": str(
                              orders_file(tmp_path))}}})
    assert run.metrics.bars == 118
    from huice.feeds.catalog import read_catalog
    from huice.feeds.csv_source import read_bars as read_any

    _, bar_path = read_catalog(tmp_path / "market" / "catalog.csv").lookup("510300.SH")
    stored = read_any(bar_path)
    assert "nav" in stored and stored["nav"].notna().sum() == 118
    calendar = read_exchange_calendar()
    ours = premium(stored, nav_of(stored, "510300.SH"), calendar).dropna()
    bundled = premium(read_bars(DATA / "bars" / "510300.SH.csv.gz").loc[stored.index],
                      read_nav("510300.SH"), calendar).dropna()
    pd.testing.assert_series_equal(ours, bundled)


def orders_file(folder):
    path = folder / "orders.csv"
    path.write_text("date,symbol,side,quantity\n2021-01-04,510300.SH,buy,1000\n")
    return path


def test_the_premium_monitor_can_be_called_twice_in_one_session(tmp_path):
    """Its module once shadowed the function of the same name in the huice namespace: the
    first call imported ``huice.monitor_premium`` and the second found a module."""
    import huice
    from tests.conftest import EXAMPLES

    for n in range(2):
        last = huice.monitor_premium(EXAMPLES / "premium_zscore.yaml", date=pd.Timestamp(
            "2022-08-31").date(), out=tmp_path / f"monitor{n}")
        assert len(last)
    assert callable(huice.monitor_premium)
