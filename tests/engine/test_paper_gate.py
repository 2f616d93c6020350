"""The paper gate on real 510300.SH and 000300.SH bars: each refusal, and what lets a day pass."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from huice.config.schema import BrokerConfig
from huice.engine.broker.rules import resolve_rules
from huice.engine.paper.gate import candidate_days, judge_days
from huice.feeds.calendar import read_exchange_calendar
from huice.feeds.csv_source import read_bars
from tests.conftest import DATA

CALENDAR = read_exchange_calendar()
RULES = {"510300.SH": resolve_rules("510300.SH", "etf", "main", BrokerConfig()),
         "000300.SH": None}


@pytest.fixture()
def frames() -> dict[str, pd.DataFrame]:
    return {s: read_bars(DATA / f"bars/{s}.csv.gz").loc["2021-01-04":"2021-01-29"]
            for s in ("510300.SH", "000300.SH")}


def judge(frames, after="2021-01-08", accepted=frozenset()):
    days = candidate_days(frames, dt.date.fromisoformat(after), None)
    return judge_days(days, frames, RULES, CALENDAR, set(accepted))


def test_clean_days_all_pass(frames):
    verdict = judge(frames)
    assert verdict.problems == [] and len(verdict.bookable) == 15
    # the 2021-01-18 ex-dividend day (0.072) moves by the dividend, inside the limits


def test_a_missing_bar_stops_the_day_until_accepted_as_a_suspension(frames):
    frames["510300.SH"] = frames["510300.SH"].drop(pd.Timestamp("2021-01-20"))
    verdict = judge(frames)
    assert verdict.bookable[-1] == dt.date(2021, 1, 19) and len(verdict.problems) == 1
    problem = verdict.problems[0]
    assert (problem.symbol, problem.kind) == ("510300.SH", "missing")
    assert problem.line().startswith("gate: 2021-01-20 510300.SH: no bar, though the source "
                                     "has later ones")
    verdict = judge(frames, accepted={("510300.SH", dt.date(2021, 1, 20), "suspension")})
    assert verdict.problems == [] and dt.date(2021, 1, 20) in verdict.bookable


def test_a_bar_not_there_yet_waits(frames):
    frames["510300.SH"] = frames["510300.SH"].loc[:"2021-01-27"]
    verdict = judge(frames)
    assert verdict.bookable[-1] == dt.date(2021, 1, 27)
    assert [(p.day, p.kind) for p in verdict.problems] == [(dt.date(2021, 1, 28), "not_yet")]


def test_a_repeated_bar_is_stale(frames):
    etf = frames["510300.SH"].copy()
    etf.loc["2021-01-22", ["open", "high", "low", "close", "volume"]] = \
        etf.loc["2021-01-21", ["open", "high", "low", "close", "volume"]].to_numpy()
    frames["510300.SH"] = etf
    verdict = judge(frames)
    assert [(p.day, p.kind) for p in verdict.problems] == [(dt.date(2021, 1, 22), "stale")]
    assert judge(frames, accepted={("510300.SH", dt.date(2021, 1, 22), "bar")}).problems == []


def test_a_move_beyond_the_limit_needs_an_action(frames):
    etf = frames["510300.SH"].copy()
    # every price from 2021-01-22 on 15% lower, as after a 1 -> 1/0.85 split
    etf.loc["2021-01-22":, ["open", "high", "low", "close"]] *= 0.85
    frames["510300.SH"] = etf
    verdict = judge(frames)
    assert [(p.day, p.kind) for p in verdict.problems] == [(dt.date(2021, 1, 22), "limit_jump")]
    # the previous close 5.562: limits 5.562 x 0.9 and x 1.1 on the tick
    assert "beyond the day's limits 5.006 .. 6.118 from the previous close 5.562 and no " \
           "dividend or split that day explains it" in verdict.problems[0].detail
    etf.loc["2021-01-22", "split_ratio"] = 1 / 0.85     # the split line explains it
    assert judge(frames).problems == []


def test_a_bar_on_a_holiday_is_refused(frames):
    etf = frames["510300.SH"]
    holiday = etf.loc[["2021-01-29"]].set_axis(pd.DatetimeIndex(["2021-01-30"], name="date"))
    frames["510300.SH"] = pd.concat([etf, holiday])
    frames["000300.SH"] = pd.concat([frames["000300.SH"], frames["000300.SH"].loc[["2021-01-29"]]
                                     .set_axis(pd.DatetimeIndex(["2021-01-30"], name="date"))])
    verdict = judge(frames)
    assert verdict.problems[0].kind == "not_trading_day"
    assert verdict.bookable[-1] == dt.date(2021, 1, 29)
