"""Bar validation, calendar alignment without forward fill, and derived ratio instruments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from huice.config.schema import DataConfig
from huice.feeds.errors import DataError
from huice.feeds.loading import load_market
from huice.feeds.pandas_source import bars_from_frame
from huice.feeds.ratio import ratio_bars


def frame(**overrides):
    data = {"date": ["2024-01-02", "2024-01-03", "2024-01-04"], "open": [10.0, 10.2, 10.1],
            "high": [10.5, 10.4, 10.3], "low": [9.9, 10.0, 9.8], "close": [10.2, 10.1, 10.0],
            "volume": [1e6, 2e6, 0.0]}
    data.update(overrides)
    return pd.DataFrame(data)


def test_valid_frame_becomes_canonical():
    bars = bars_from_frame(frame())
    assert list(bars.columns) == ["open", "high", "low", "close", "volume", "amount"]
    assert bars.index.name == "date" and bars["amount"].isna().all()


def test_aliases_and_extra_lines_are_kept():
    raw = frame().rename(columns={"date": "datetime", "volume": "vol"})
    raw["shares"] = [1.0, 2.0, 3.0]
    raw["unrelated"] = ["a", "b", "c"]
    bars = bars_from_frame(raw)
    assert "shares" in bars.columns and "unrelated" not in bars.columns
    assert bars["volume"].iloc[1] == 2e6


@pytest.mark.parametrize("overrides, rule", [
    ({"close": [10.2, np.nan, 10.0]}, "no NaN in OHLC"),
    ({"low": [9.9, 10.0, -1.0]}, "positive prices"),
    ({"high": [10.5, 10.0, 10.3]}, "high >= max(open, close)"),
    ({"low": [9.9, 10.15, 9.8]}, "low <= min(open, close)"),
    ({"volume": [1.0, -1.0, 0.0]}, "volume >= 0"),
    ({"date": ["2024-01-02", "2024-01-02", "2024-01-04"]}, "sorted unique dates"),
    ({"date": ["2024-01-03", "2024-01-02", "2024-01-04"]}, "sorted unique dates"),
])
def test_each_rule_is_named_with_the_row(overrides, rule):
    with pytest.raises(DataError) as caught:
        bars_from_frame(frame(**overrides), name="<my frame>")
    assert caught.value.where == rule
    assert "row 1" in str(caught.value) or "row 2" in str(caught.value)
    assert "<my frame>" in str(caught.value)


def test_calendar_is_the_union_and_missing_days_stay_missing():
    market = load_market(DataConfig(start="2023-09-01", end="2023-09-15"),
                         ["801080.SI", "000300.SH"])
    assert pd.Timestamp("2023-09-08") in market.calendar          # CSI 300 traded
    assert pd.Timestamp("2023-09-08") not in market.bars("801080.SI").index  # no fake bar
    positions = market.bar_positions("801080.SI")
    assert positions[market.calendar.get_loc(pd.Timestamp("2023-09-08"))] == -1


def test_ratio_instrument_is_normalised_and_on_common_days():
    market = load_market(DataConfig(start="2023-09-01", end="2023-09-15"),
                         ["801080.SI/000300.SH"])
    ratio = market.bars("801080.SI/000300.SH")
    a, b = market.bars("801080.SI"), market.bars("000300.SH")
    assert ratio["close"].iloc[0] == 1.0
    assert pd.Timestamp("2023-09-08") not in ratio.index
    day = pd.Timestamp("2023-09-12")
    expected = (a.loc[day, "close"] / b.loc[day, "close"]) / (a["close"].iloc[0] / b["close"].iloc[0])
    assert ratio.loc[day, "close"] == pytest.approx(expected, rel=1e-15)
    assert market.instruments["801080.SI/000300.SH"].asset_class == "synthetic"


def test_ratio_bars_high_low_bound_open_close():
    a = bars_from_frame(frame())
    b = bars_from_frame(frame(close=[10.0, 10.3, 10.4], high=[10.5, 10.4, 10.4]))
    ratio = ratio_bars(a, b)
    assert (ratio["high"] >= ratio[["open", "close"]].max(axis=1)).all()
    assert (ratio["low"] <= ratio[["open", "close"]].min(axis=1)).all()


def test_extra_lines_reach_the_backtrader_feed():
    import backtrader as bt

    from huice.feeds.btfeed import feed_for

    market = load_market(DataConfig(start="2024-01-02", end="2024-01-31", benchmark=None),
                         ["000922.CSI"])
    frame = market.bars("000922.CSI")
    feed = feed_for(frame, "000922.CSI")
    assert {"dividend_yield", "pe", "pb"} <= set(feed.lines.getlinealiases())
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(feed)
    seen = []

    class Probe(bt.Strategy):
        def next(self):
            seen.append((self.data.close[0], self.data.dividend_yield[0]))

    cerebro.addstrategy(Probe)
    cerebro.run()
    assert seen[-1] == (frame["close"].iloc[-1], frame["dividend_yield"].iloc[-1])
    assert 0 < seen[-1][1] < 0.2


def test_a_bar_file_is_parsed_once_per_content(tmp_path):
    """A file read again with the same bytes comes from the parse kept in memory, as a copy the
    caller may change; the same file edited, even with its size and modification time put
    back as they were, is parsed anew."""
    import os

    from huice.feeds import csv_source

    path = tmp_path / "X.csv"
    path.write_text("date,open,high,low,close,volume\n2020-01-02,1.0,1.2,0.9,1.1,100\n"
                    "2020-01-03,1.1,1.3,1.0,1.2,200\n")
    first = csv_source.read_bars_csv(path)
    assert first["close"].tolist() == [1.1, 1.2]
    first.loc[first.index[0], "close"] = 99.0  # the caller's copy
    calls = []
    original = csv_source.to_bar_frame
    csv_source.to_bar_frame = lambda *a, **k: calls.append(1) or original(*a, **k)
    try:
        again = csv_source.read_bars_csv(path)
        assert calls == [] and again["close"].tolist() == [1.1, 1.2]
        stat = path.stat()
        path.write_text(path.read_text().replace("1.2,200", "1.3,200"))  # same length
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        assert path.stat().st_size == stat.st_size
        edited = csv_source.read_bars_csv(path)
        assert calls == [1] and edited["close"].tolist() == [1.1, 1.3]
    finally:
        csv_source.to_bar_frame = original


def _general(frame_: pd.DataFrame, name: str = "<frame>") -> pd.DataFrame:
    """``frame_`` through the general path: a ``date`` column is never the canonical layout."""
    from huice.feeds.bars import to_bar_frame

    return to_bar_frame(frame_.reset_index(names="date"), name)


@pytest.mark.parametrize("name", ["510300.SH", "513100.SH", "801080.SI", "000300.SH",
                                  "512100.SH", "515180.SH.qfq"])
def test_a_frame_already_canonical_takes_the_short_path_to_the_same_bars(name):
    """A frame laid out as bar frames are (DatetimeIndex, canonical float columns) is checked
    without being renamed and re-parsed: the same frame, dtypes and index, on bundled files
    with and without volume, amount and extra lines."""
    from huice.feeds.bars import is_canonical_layout, to_bar_frame
    from tests.conftest import DATA

    canonical = pd.read_csv(DATA / "bars" / f"{name}.csv.gz", index_col="date",
                            parse_dates=True)  # integer volumes and amounts, as read
    for variant in (canonical, canonical.astype("float64"),
                    canonical.drop(columns=["amount"], errors="ignore"),
                    canonical[["close", "open", "high", "low"]]):
        assert is_canonical_layout(variant)
        pd.testing.assert_frame_equal(to_bar_frame(variant, "<frame>"), _general(variant),
                                      check_exact=True, check_freq=True)


@pytest.mark.parametrize("overrides, rule", [
    ({"close": [10.2, np.nan, 10.0]}, "no NaN in OHLC"),
    ({"low": [9.9, 10.0, -1.0]}, "positive prices"),
    ({"high": [10.5, 10.0, 10.3]}, "high >= max(open, close)"),
    ({"volume": [1.0, -1.0, 0.0]}, "volume >= 0"),
    ({"date": ["2024-01-02", "2024-01-02", "2024-01-04"]}, "sorted unique dates"),
])
def test_the_short_path_refuses_what_the_general_one_refuses_in_the_same_words(overrides,
                                                                             rule):
    from huice.feeds.bars import to_bar_frame

    bad = frame(**overrides)
    bad = bad.set_index(pd.DatetimeIndex(bad.pop("date")))
    with pytest.raises(DataError) as short:
        to_bar_frame(bad, "<my frame>")
    with pytest.raises(DataError) as general:
        _general(bad, "<my frame>")
    assert (short.value.where, str(short.value)) == (general.value.where, str(general.value))
    assert short.value.where == rule
