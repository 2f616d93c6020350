"""``data fetch --nav`` and ``data update`` keep a fund's NAV line current from akshare's two
Eastmoney NAV endpoints, as the bars are kept: failover, a late NAV filled by the next update,
a cross-check that lists and keeps disagreements. The fake serves the bundled real NAV
(data/nav) in akshare's exact layouts (tests/fakes/akshare_fake.py)."""

from __future__ import annotations

import datetime as dt
import json
import re
import types

import pandas as pd
import pytest

from huice.feeds.akshare_source import AkshareClient
from huice.feeds.daily_sources import SourceFailure
from huice.feeds.failover import CROSSCHECK_FILE, update_with_failover
from huice.feeds.nav import read_nav
from huice.feeds.nav_sources import EastmoneyNavHistory, EastmoneyNavTrend, make_nav_sources
from huice.feeds.store import CatalogStore
from tests.fakes import akshare_fake


def client(module) -> AkshareClient:
    return AkshareClient(module=module, retries=2, throttle_seconds=0.0, sleep=lambda s: None)


def fetched_with_nav(tmp_path, end=dt.date(2021, 2, 26)) -> CatalogStore:
    import huice.api_data as api_data

    catalog = tmp_path / "cat"
    lines = api_data.data_fetch(["510300.SH"], catalog, dt.date(2021, 2, 1), end, nav=True,
                                throttle_seconds=0.0, retries=1)
    assert "510300.SH: NAV on 15 new day(s) from em_lsjz, through 2021-02-26" in lines, lines
    return CatalogStore(catalog)


@pytest.fixture(autouse=True)
def fake_akshare(monkeypatch):
    monkeypatch.setenv("HUICE_AKSHARE_MODULE", "tests.fakes.akshare_fake")


def test_both_sources_read_akshares_layouts_to_the_bundled_nav():
    # 510300's unit NAV of 2021-03-01 .. 05 as eastmoney published it (SOURCES.md 7A)
    published = [5.4191, 5.3495, 5.452, 5.2814, 5.2644]
    for source in make_nav_sources(client(akshare_fake)):
        got = source.nav("510300.SH", dt.date(2021, 3, 1), dt.date(2021, 3, 5))
        assert got.tolist() == published, source.name
        assert [d.date() for d in got.index] == [dt.date(2021, 3, d) for d in range(1, 6)]


def test_what_a_nav_source_answers_wrong_is_a_failure_naming_it():
    html = types.SimpleNamespace(fund_etf_fund_info_em=lambda **k: "<html>403</html>")
    with pytest.raises(SourceFailure, match=re.escape(
            "510300.SH NAV: akshare.fund_etf_fund_info_em returned str, not a DataFrame")):
        EastmoneyNavHistory(client(html)).nav("510300.SH", dt.date(2021, 3, 1),
                                              dt.date(2021, 3, 5))
    renamed = types.SimpleNamespace(fund_open_fund_info_em=lambda **k: pd.DataFrame(
        {"x": [1], "y": [1.0]}))
    with pytest.raises(SourceFailure, match=r"no 净值日期, 单位净值 column"):
        EastmoneyNavTrend(client(renamed)).nav("510300.SH", dt.date(2021, 3, 1),
                                               dt.date(2021, 3, 5))
    negative = types.SimpleNamespace(fund_etf_fund_info_em=lambda **k: pd.DataFrame(
        {"净值日期": [dt.date(2021, 3, 1)], "单位净值": [-1.0]}))
    with pytest.raises(SourceFailure, match="not positive on 2021-03-01"):
        EastmoneyNavHistory(client(negative)).nav("510300.SH", dt.date(2021, 3, 1),
                                                  dt.date(2021, 3, 5))


def test_fetch_with_nav_stores_the_nav_line_on_the_bars_days(tmp_path):
    store = fetched_with_nav(tmp_path)
    bars = store.bars("510300.SH")
    nav = read_nav("510300.SH").loc["2021-02-01":"2021-02-26"]
    assert bars["nav"].tolist() == nav.reindex(bars.index).tolist()
    assert bars["nav"].notna().all() and len(bars) == 15


def test_update_brings_the_nav_current_and_cross_checks_it(tmp_path):
    store = fetched_with_nav(tmp_path)
    lines = update_with_failover(store, [], dt.date(2021, 3, 5), check_days=3,
                                 nav_sources=make_nav_sources(client(akshare_fake)))
    # no daily-bar source here: the bars stay, the NAV has nothing after the bars' last day
    assert "510300.SH: last 3 NAV(s) cross-checked: em_lsjz, em_trend agree" in lines, lines
    from huice.feeds.daily_sources import EastmoneySource

    lines = update_with_failover(store, [EastmoneySource(client(akshare_fake))],
                                 dt.date(2021, 3, 5), check_days=3,
                                 nav_sources=make_nav_sources(client(akshare_fake)))
    assert "510300.SH: 5 new day(s) from em, through 2021-03-05" in lines
    assert "510300.SH: NAV on 5 new day(s) from em_lsjz, through 2021-03-05" in lines, lines
    bars = store.bars("510300.SH")
    nav = read_nav("510300.SH").loc["2021-02-01":"2021-03-05"]
    assert bars["nav"].tolist() == nav.reindex(bars.index).tolist()
    assert bars["nav"].iloc[-5:].tolist() == [5.4191, 5.3495, 5.452, 5.2814, 5.2644]


def write_world(tmp_path, monkeypatch, **world) -> None:
    path = tmp_path / "world.json"
    path.write_text(json.dumps({"today": "2021-03-05", **world}))
    monkeypatch.setenv(akshare_fake.WORLD_ENV, str(path))


def test_a_nav_source_down_fails_over_and_a_late_nav_is_filled_next_evening(tmp_path,
                                                                            monkeypatch):
    from huice.feeds.daily_sources import EastmoneySource

    store = fetched_with_nav(tmp_path)
    # tonight em_lsjz is down and 2021-03-05's NAV is not published yet
    write_world(tmp_path, monkeypatch, down=["em_lsjz"],
                nav_missing={"510300.SH": [["2021-03-05", "2021-03-06"]]})
    sources = make_nav_sources(client(akshare_fake))
    lines = update_with_failover(store, [EastmoneySource(client(akshare_fake))],
                                 dt.date(2021, 3, 5), check_days=0, nav_sources=sources)
    assert any(line.startswith("510300.SH: NAV from em_lsjz failed:") and "Connection reset"
               in line for line in lines), lines
    assert "510300.SH: NAV on 4 new day(s) from em_trend, through 2021-03-04" in lines
    assert any(line.startswith("510300.SH: no NAV yet for 2021-03-05") for line in lines)
    assert pd.isna(store.bars("510300.SH")["nav"].iloc[-1])
    # the next evening both answer and the NAV is filled; the bars are already current
    write_world(tmp_path, monkeypatch)
    (tmp_path / "world.json").write_text(json.dumps({"today": "2021-03-06"}))
    lines = update_with_failover(store, [EastmoneySource(client(akshare_fake))],
                                 dt.date(2021, 3, 5), check_days=0, nav_sources=sources)
    assert "510300.SH: NAV on 1 new day(s) from em_lsjz, through 2021-03-05" in lines, lines
    assert store.bars("510300.SH")["nav"].iloc[-1] == read_nav("510300.SH").loc["2021-03-05"]


def test_a_source_disagreeing_on_a_nav_is_listed_and_kept(tmp_path, monkeypatch):
    from huice.feeds.daily_sources import EastmoneySource

    store = fetched_with_nav(tmp_path)
    write_world(tmp_path, monkeypatch, nav_wrong={"em_trend": {"510300.SH": {
        "2021-03-04": 5.3999}}})
    lines = update_with_failover(store, [EastmoneySource(client(akshare_fake))],
                                 dt.date(2021, 3, 5), check_days=3,
                                 nav_sources=make_nav_sources(client(akshare_fake)))
    stored = float(read_nav("510300.SH").loc["2021-03-04"])
    assert f"cross-check: 2021-03-04 510300.SH nav: stored {stored:g}, em_trend 5.3999" \
        in lines, lines
    kept = pd.read_csv(store.root / CROSSCHECK_FILE)
    row = kept[kept["field"] == "nav"].iloc[-1]
    assert (row["date"], row["source"], row["other"]) == ("2021-03-04", "em_trend", 5.3999)
    # the NAV stored is the first source's, the disagreement only reported
    assert store.bars("510300.SH").loc["2021-03-04", "nav"] == stored


def test_the_cli_update_keeps_the_nav_line_of_a_fetched_fund(tmp_path):
    from tests.conftest import run_cli

    fetched_with_nav(tmp_path)
    result = run_cli("data", "update", "--catalog", str(tmp_path / "cat"), "--end",
                     "2021-03-05", "--sources", "em", "--throttle-seconds", "0",
                     "--check-days", "0")
    assert result.code == 0, result.stderr
    assert "510300.SH: NAV on 5 new day(s) from em_lsjz, through 2021-03-05" in result.stdout
