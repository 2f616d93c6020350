"""The bundled SSE/SZSE calendar reaches the end of the current year (2026), agrees with
exchange_calendars' XSHG, and runs and paper accounts use it after the data's 2026-07-31."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import huice
from huice.feeds.calendar import read_exchange_calendar
from tests.conftest import DATA, run_cli


def test_calendar_reaches_the_end_of_2026():
    calendar = read_exchange_calendar()
    assert calendar[0] == pd.Timestamp("2005-01-04")
    assert calendar[-1] == pd.Timestamp("2026-12-31")
    # National Day 2026: closed 2026-10-01 .. 10-07 (published holiday), open again 10-08
    assert not calendar.isin(pd.date_range("2026-10-01", "2026-10-07")).any()
    assert pd.Timestamp("2026-10-08") in calendar and pd.Timestamp("2026-09-30") in calendar


def test_calendar_equals_xshg():
    exchange_calendars = pytest.importorskip("exchange_calendars")
    sessions = exchange_calendars.get_calendar("XSHG", start="2005-01-04").sessions
    sessions = pd.DatetimeIndex(sessions.tz_localize(None) if sessions.tz else sessions)
    calendar = read_exchange_calendar()
    sessions = sessions[sessions <= calendar[-1]]
    assert len(calendar.difference(sessions)) == 0 and len(sessions.difference(calendar)) == 0


def dividend_bars() -> pd.DataFrame:
    """CSI Dividend, bundled through 2026-08-21, with 2026-08-05 left out."""
    frame = pd.read_csv(DATA / "bars/000922.CSI.csv.gz", parse_dates=["date"])
    frame = frame[frame["date"] >= "2026-06-01"]
    return frame[frame["date"] != "2026-08-05"]


def test_backtest_after_july_2026_knows_the_calendar():
    bars = dividend_bars()
    result = huice.backtest({"name": "late", "data": {"start": "2026-07-01", "end": "2026-08-21",
                                                       "benchmark": None},
                             "strategy": {"name": "barbell", "params": {
                                 "legs": [{"symbol": "000922.CSI", "weight": 1.0}]}}},
                            frames={"000922.CSI": bars.set_index("date")})
    days = result.equity.index
    assert days[-1] == pd.Timestamp("2026-08-21")
    # 2026-08-05 has no bar: the calendar still knows it is a trading day (a suspension)
    assert pd.Timestamp("2026-08-05") in days
    assert len(days) == 23 + 15  # every weekday of July 2026, and 2026-08-03 .. 08-21


def test_paper_once_after_july_2026(tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    dividend_bars().to_csv(folder / "000922.CSI.csv", index=False,
                           date_format="%Y-%m-%d", lineterminator="\n")
    config = {"name": "late_paper", "data": {"start": "2026-06-01", "benchmark": None},
              "strategy": {"name": "barbell",
                           "params": {"legs": [{"symbol": "000922.CSI", "weight": 1.0}]}},
              "paper": {"state": "state.sqlite", "source": {"kind": "csv_folder",
                                                            "path": "incoming"}}}
    path = tmp_path / "paper.yaml"
    path.write_text(json.dumps(config))
    result = run_cli("paper", str(path), "--once")
    assert result.code == 0, result.stderr
    assert "2026-08-21  equity" in result.stdout and "2026-08-05  equity" in result.stdout
    status = json.loads(run_cli("paper-status", str(path), "--json").stdout)
    assert status["last_bar"] == "2026-08-21"
