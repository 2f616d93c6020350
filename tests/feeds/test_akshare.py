"""The akshare adapter against DataFrames shaped as akshare's functions return them
(tests/fakes/akshare_fake.py): conversion, derived dividends, shares, retries with backoff,
incremental updates, atomic writes under SIGKILL. One test reaches the network, only when asked
(HUICE_NETWORK_TESTS=1)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from huice.feeds.akshare_source import AKSHARE_MODULE_ENV, AkshareClient, FetchError, fetch
from huice.feeds.daily_sources import EastmoneySource
from huice.feeds.failover import update_with_failover
from huice.feeds.store import WRITE_PAUSE_ENV, CatalogStore
from tests.conftest import DATA, REPO
from tests.fakes import akshare_fake


@pytest.fixture
def client():
    akshare_fake.FAIL_FIRST["count"] = 0
    akshare_fake.CALLS.clear()
    sleeps: list[float] = []
    made = AkshareClient(module=akshare_fake, sleep=sleeps.append, throttle_seconds=0.0)
    made.sleeps = sleeps
    return made


def bundled(symbol: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"bars/{symbol}.csv.gz", parse_dates=["date"]).set_index("date")


def test_fetch_converts_every_endpoint(tmp_path, client):
    store = CatalogStore(tmp_path / "cat")
    fetch(store, client, ["510300.SH", "159915.SZ", "000300.SH", "801080.SI"],
          dt.date(2020, 1, 1), dt.date(2021, 6, 30))
    symbols = set(store.rows()["symbol"])
    assert symbols == {"510300.SH", "510300.SH.qfq", "159915.SZ", "159915.SZ.qfq", "000300.SH",
                       "801080.SI"}
    etf, reference = store.bars("510300.SH"), bundled("510300.SH").loc["2020-01-02":"2021-06-30"]
    assert (etf["close"] == reference["close"]).all()
    assert ((etf["volume"] - reference["volume"]).abs() <= 50).all()  # akshare serves lots
    # the 2021-01-18 cash dividend of 0.072, derived from the forward-adjusted series
    assert etf.loc[etf["dividend"] > 0, "dividend"].to_dict() == {pd.Timestamp("2021-01-18"): 0.072}
    assert (etf["shares"].dropna() == reference["shares"].dropna()).all()
    sw = store.bars("801080.SI")
    sw_reference = bundled("801080.SI").loc["2020-01-02":"2021-06-30"]
    assert (sw["close"] == sw_reference["close"]).all()
    assert (sw["volume"] - sw_reference["volume"]).abs().max() < 1.0  # 1e8 shares back to shares
    szse = store.bars("159915.SZ")
    assert szse["shares"].notna().sum() > 300


def test_retries_with_backoff_then_names_symbol_and_endpoint(tmp_path, client):
    store = CatalogStore(tmp_path / "cat")
    akshare_fake.FAIL_FIRST["count"] = 2
    fetch(store, client, ["000300.SH"], dt.date(2021, 1, 1), dt.date(2021, 1, 31))
    assert client.sleeps == [2.0, 4.0]  # exponential backoff
    assert len(store.bars("000300.SH")) == 20
    akshare_fake.FAIL_FIRST["count"] = 10
    with pytest.raises(FetchError, match=r"801080.SI: akshare.index_hist_sw failed 4 times; "
                                         r"last error ConnectionError"):
        fetch(store, client, ["801080.SI"], dt.date(2021, 1, 1), dt.date(2021, 1, 31))
    assert set(store.rows()["symbol"]) == {"000300.SH"}  # nothing half-written


def update(store, client, end):
    """``data update`` from akshare's Eastmoney endpoints alone, without a cross-check."""
    return update_with_failover(store, [EastmoneySource(client)], end, check_days=0)


def test_update_fetches_only_the_new_days(tmp_path, client):
    store = CatalogStore(tmp_path / "cat")
    fetch(store, client, ["000300.SH"], dt.date(2021, 1, 1), dt.date(2021, 3, 31))
    akshare_fake.CALLS.clear()
    update(store, client, end=dt.date(2021, 6, 30))
    assert akshare_fake.CALLS == [("index_zh_a_hist", {"symbol": "000300",
                                                       "start_date": "20210401",
                                                       "end_date": "20210630"})]
    stored = store.bars("000300.SH")
    reference = bundled("000300.SH").loc["2021-01-04":"2021-06-30"]
    assert list(stored.index) == list(reference.index)
    assert (stored["close"] == reference["close"]).all()
    assert update(store, client, end=dt.date(2021, 6, 30)) == [
        "nothing to update: every fetched symbol is up to date"]


@pytest.mark.slow  # a subprocess killed mid-update
def test_killed_update_leaves_the_catalog_unchanged(tmp_path, client):
    store = CatalogStore(tmp_path / "cat")
    fetch(store, client, ["000300.SH", "801080.SI"], dt.date(2021, 1, 1), dt.date(2021, 3, 31))
    catalog = (tmp_path / "cat" / "catalog.csv").read_bytes()
    env = {**os.environ, AKSHARE_MODULE_ENV: "tests.fakes.akshare_fake", WRITE_PAUSE_ENV: "30",
           "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, str(REPO / "run.py"), "data", "update",
                                "--catalog", str(tmp_path / "cat"), "--end", "2021-06-30"],
                               cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    marker = tmp_path / "cat" / ".writing"
    deadline = time.time() + 60
    while time.time() < deadline and not marker.exists():
        time.sleep(0.05)
    assert marker.exists(), process.communicate()[1].decode()
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert (tmp_path / "cat" / "catalog.csv").read_bytes() == catalog
    reopened = CatalogStore(tmp_path / "cat")
    assert reopened.bars("000300.SH").index[-1] == pd.Timestamp("2021-03-31")
    # the next update completes and removes the orphaned files of the killed one; what stays
    # is what the catalog and its previous version (data undo) refer to
    update(reopened, client, end=dt.date(2021, 6, 30))
    assert reopened.bars("801080.SI").index[-1] == pd.Timestamp("2021-06-30")
    kept = {p.name for p in (tmp_path / "cat" / "bars").iterdir()}
    referenced = {Path(path).name for name in ("catalog.csv", "catalog.previous.csv")
                  for path in pd.read_csv(tmp_path / "cat" / name)["path"]}
    assert kept == referenced


@pytest.mark.network
@pytest.mark.skipif(os.environ.get("HUICE_NETWORK_TESTS") != "1",
                    reason="reaches akshare's servers: set HUICE_NETWORK_TESTS=1")
def test_real_akshare_fetch(tmp_path):
    pytest.importorskip("akshare")
    store = CatalogStore(tmp_path / "cat")
    fetch(store, AkshareClient(), ["510300.SH", "000300.SH"], dt.date(2024, 1, 2),
          dt.date(2024, 3, 29))
    assert len(store.bars("510300.SH")) > 50
