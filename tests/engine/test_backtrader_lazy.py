"""Runs on the engine's own runner never import backtrader (issue 35: its import was 138 ms of
every sweep command's fixed cost), and the times both runners step through are backtrader's."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import backtrader as bt
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from huice.feeds.bar_times import backtrader_times
from huice.feeds.calendar import read_exchange_calendar
from tests.conftest import REPO

FAST_RUNS = r"""
import sys
import huice
example = sys.argv[1] + "/config/examples/"
huice.backtest(example + "drawdown_reversion_801080.yaml", runner="fast")
huice.sweep({"name": "lazy", "data": {"catalog": sys.argv[1] + "/data/catalog.csv",
             "start": "2019-01-02", "end": "2020-12-31", "benchmark": "000300.SH"},
             "strategy": {"name": "drawdown_reversion", "params": {"target": "801080.SI"}},
             "runner": "fast",
             "sweep": {"grid": {"strategy.params.ratio": [0.6, 0.8]}, "rank_by": "sharpe"}},
            workers=1, out=sys.argv[2], progress=False)
print("backtrader" in sys.modules, "huice.engine.run.native" in sys.modules)
huice.backtest(example + "drawdown_reversion_801080.yaml", runner="cerebro")
print("backtrader" in sys.modules)
"""


def test_fast_backtests_and_sweeps_run_without_importing_backtrader(tmp_path: Path):
    done = subprocess.run([sys.executable, "-c", FAST_RUNS, str(REPO), str(tmp_path / "s")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    # a fast backtest and a fast sweep: neither backtrader nor the wrapper of its strategies;
    # then a Cerebro run in the same process imports it (the check can fail)
    assert done.stdout.split() == ["False", "False", "True"]


def test_the_command_line_imports_no_backtrader():
    done = subprocess.run([sys.executable, "-c", "import sys, huice.cli; "
                           "print('backtrader' in sys.modules)"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr[-2000:]


def test_bar_times_are_backtraders_on_every_day_of_the_bundled_calendar():
    index = read_exchange_calendar()
    expected = [bt.date2num(dt.datetime(d.year, d.month, d.day)) for d in index]
    assert backtrader_times(index) == expected
    assert len(expected) > 5000


@given(st.lists(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31)),
                min_size=1, max_size=50, unique=True))
def test_bar_times_are_backtraders_on_any_dates(dates):
    index = pd.DatetimeIndex(sorted(dates))
    assert backtrader_times(index) == [bt.date2num(dt.datetime(d.year, d.month, d.day))
                                       for d in index]
