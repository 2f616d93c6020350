"""The bundled data is complete, valid, and has the repairs data/README.md promises."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from huice.feeds.catalog import read_catalog
from huice.feeds.csv_source import read_bars_csv
from tests.conftest import DATA

SHENWAN = ["801010", "801030", "801040", "801050", "801080", "801110", "801120", "801130",
           "801140", "801150", "801160", "801170", "801180", "801200", "801210", "801230",
           "801710", "801720", "801730", "801740", "801750", "801760", "801770", "801780",
           "801790", "801880", "801890", "801950", "801960", "801970", "801980"]


@pytest.fixture(scope="module")
def catalog():
    return read_catalog(DATA / "catalog.csv")


def test_catalog_lists_every_required_series(catalog):
    required = {"000300.SH", "000905.SH", "000852.SH", "000922.CSI"} | {f"{c}.SI" for c in SHENWAN}
    assert required <= set(catalog.symbols)


def test_every_bundled_file_passes_validation(catalog):
    for symbol in catalog.symbols:
        _, path = catalog.lookup(symbol)
        frame = read_bars_csv(path)
        assert len(frame) > (100 if symbol[:1] in "15" else 1000), symbol  # young ETFs


def test_published_spot_checks():
    csi300 = read_bars_csv(DATA / "bars/000300.SH.csv.gz")
    assert csi300.loc["2010-01-04", "close"] == 3535.229
    assert csi300.loc["2025-03-18", "close"] == 4007.723
    assert read_bars_csv(DATA / "bars/801080.SI.csv.gz").loc["2025-03-18", "close"] == 4938.27
    dividend = read_bars_csv(DATA / "bars/000922.CSI.csv.gz")
    assert dividend.loc["2010-01-04", "close"] == 3532.21
    assert dividend.loc["2025-03-18", "close"] == 5454.10


def test_csi500_bad_day_repaired():
    csi500 = read_bars_csv(DATA / "bars/000905.SH.csv.gz")
    assert csi500.loc["2014-08-07", "close"] == 4286.09


def test_shenwan_gaps_filled_from_wind_and_remaining_gaps_as_documented():
    bars = read_bars_csv(DATA / "bars/801080.SI.csv.gz")
    assert pd.Timestamp("2015-07-15") in bars.index        # filled from Wind
    assert pd.isna(bars.loc["2015-07-15", "volume"])        # volume of a filled day is unknown
    with gzip.open(DATA / "calendar.csv.gz", "rt") as handle:
        calendar = pd.DatetimeIndex(pd.read_csv(handle)["date"])
    window = calendar[(calendar >= "2010-01-04") & (calendar <= "2025-03-18")]
    missing = window.difference(bars.index).strftime("%Y-%m-%d").tolist()
    assert missing == ["2013-05-29", "2013-05-31", "2013-07-23", "2013-08-01", "2013-09-11",
                       "2013-09-23", "2023-09-08"]


def test_coal_uses_wind_before_2021_12_13():
    coal = read_bars_csv(DATA / "bars/801950.SI.csv.gz")
    assert coal.index[0] == pd.Timestamp("2013-10-08")
    assert coal.loc[:"2021-12-10", "volume"].isna().all()   # Wind rows: no volume


def test_csi1000_2011_stays_missing():
    csi1000 = read_bars_csv(DATA / "bars/000852.SH.csv.gz")
    assert (csi1000.index.year == 2011).sum() <= 1
    assert (csi1000.index.year == 2012).sum() > 200


def test_every_bar_falls_on_a_trading_day(catalog):
    from huice.feeds.calendar import read_exchange_calendar

    calendar = read_exchange_calendar()
    for symbol in catalog.symbols:
        _, path = catalog.lookup(symbol)
        index = read_bars_csv(path).index
        inside = index[(index >= calendar[0]) & (index <= calendar[-1])]
        assert inside.difference(calendar).empty, symbol


def test_etf_corporate_actions_from_the_exchange_previous_close():
    etf = read_bars_csv(DATA / "bars/510300.SH.csv.gz")
    # 510300 went ex-dividend on 2021-01-18: previous close 5.526, adjusted previous close 5.454
    assert etf.loc["2021-01-18", "dividend"] == pytest.approx(0.072, abs=1e-9)
    assert (etf["dividend"] > 0).sum() >= 10 and (etf["split_ratio"] == 1).all()
    split = read_bars_csv(DATA / "bars/512480.SH.csv.gz")
    assert split.loc["2021-03-29", "split_ratio"] == pytest.approx(1.734 / 0.883, rel=1e-6)


def test_official_shares_only():
    chinext = read_bars_csv(DATA / "bars/159915.SZ.csv.gz")
    assert chinext.loc[:"2016-08-02", "shares"].isna().all()     # 'estimated' rows dropped
    assert chinext.loc["2016-08-03":, "shares"].notna().mean() > 0.99
    merged = read_bars_csv(DATA / "bars/510310.SH.qfq.csv.gz")
    assert merged.loc["2024-09-20", "shares"] / merged.loc["2024-09-19", "shares"] < 0.52


def test_total_return_indices_grow_faster_than_their_price_indices():
    # dividends reinvested: CSI 300 total return over CSI 300 rises year after year
    total = read_bars_csv(DATA / "bars/H00300.CSI.csv.gz")["close"]
    price = read_bars_csv(DATA / "bars/000300.SH.csv.gz")["close"]
    ratio = (total / price).dropna()
    yearly = ratio.groupby(ratio.index.year).last()
    assert (yearly.diff().dropna() > 0).all()
    assert read_bars_csv(DATA / "bars/H00300.CSI.csv.gz")["volume"].eq(0).all()  # never traded
