"""The paper-parity harness: a corpus of strategies that together use every order kind,
validity and contingent kind the broker has, each run as one backtest and as a paper account
by replay in several ways, and the two ledgers compared (fills, orders with statuses, codes and
dates, the strategy's own view of its account on every bar, equity to the cent).

Bars: the bundled unadjusted 512100.SH (its share conversion: no bar on 2022-09-02, split on
2022-09-05) and 515180.SH (a cash dividend going ex on 2022-10-25), 2022-08-15 to 2022-10-31;
515180.SH with a 2% daily limit (``broker.instruments``), so that real bars close at and open
through their limits; and the issue's scenarios on 159915.SZ from 2021-07-20.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from tests.conftest import DATA, REPO

A, B = "512100.SH", "515180.SH"
HELPERS = "tests.helpers.parity_strategies"


def _buy(bar: int, symbol: str, qty: int, **extra: Any) -> list:
    return [bar, {"op": "buy", "symbol": symbol, "qty": qty, **extra}]


def _sell(bar: int, symbol: str, qty: int, **extra: Any) -> list:
    return [bar, {"op": "sell", "symbol": symbol, "qty": qty, **extra}]


# every kind of order a plugin can leave resting; bar 0 is 2022-08-15, 13 is 2022-09-01 (the
# day before 512100's missing bar), 14 is 2022-09-05 (its split), 48 is 2022-10-25 (515180's
# dividend)
PLUGIN_SCRIPT = [
    _buy(0, A, 20000), _buy(0, B, 40000, at_close=True),
    _sell(1, A, 5000, limit=1.01, valid="gtc"),
    _sell(1, A, 5000, stop=0.97, valid="gtc", oco=2),
    _buy(2, B, 10000, limit=0.99, valid=["days", 6]),
    _buy(2, B, 10000, stop=1.01, valid="gtc"),
    _buy(3, B, 10000, stop=1.005, limit=1.01, valid=["days", 10]),
    _sell(4, B, 10000, trail_percent=0.02, valid="gtc"),
    _sell(4, A, 5000, trail_amount=0.04, valid="gtc"),
    _sell(5, B, 5000, trail_percent=0.015, limit=0.99, valid="gtc"),
    [6, {"op": "bracket", "symbol": A, "side": "buy", "qty": 10000, "stop_loss": 0.97,
         "take_profit": 1.02, "limit": 0.998, "valid": "gtc"}],
    _buy(8, A, 10000, limit=0.95, valid="gtc"), [10, {"op": "cancel", "order": 11}],
    _buy(12, A, 8000, limit=1.0, valid=["days", 10]),  # rests over the missing bar and split
    _sell(13, A, 4000, stop=0.98, valid="gtc"),
    _buy(16, B, 20000, valid="day"),
    [20, {"op": "target", "weights": {A: 0.3, B: 0.3}}],
    _buy(24, A, 6000, limit=0.99, valid="gtc"), _sell(25, B, 5000, limit=1.015, valid="gtc"),
    _sell(30, B, 10000, trail_percent=0.01, valid="gtc"),
    [32, {"op": "bracket", "symbol": B, "side": "buy", "qty": 10000, "stop_loss": 0.985,
          "take_profit": 1.01, "valid": ["days", 14]}],
    _buy(40, B, 20000, limit=0.995, valid=["days", 20]),  # rests over the dividend
    _sell(44, A, 3000, stop=0.99, limit=0.985, valid="gtc"),
    _buy(46, B, 10000, valid="gtc"),
    _buy(35, B, 5_000_000, valid="gtc"),  # more than the cash: what it pays fills, the rest ends
]


def _bt(bar: int, side: str, size: int, kind: str, **extra: Any) -> list:
    return [bar, {"op": "order", "side": side, "size": size, "type": kind, **extra}]


# the same for a backtrader strategy on 515180.SH (bar 1 is the first bar, 2022-08-15)
BT_SCRIPT = [
    _bt(1, "buy", 40000, "Market"), _bt(2, "buy", 10000, "Close"),
    _bt(3, "sell", 10000, "Limit", price=1.01), _bt(3, "sell", 10000, "Stop", price=0.98,
                                                     oco=2),
    _bt(4, "buy", 10000, "Limit", price=0.99, valid=["days", 6]),
    _bt(5, "buy", 10000, "Stop", price=1.01, valid=["bars", 8]),
    _bt(6, "buy", 10000, "StopLimit", price=1.005, plimit=1.01, valid=["days", 10]),
    _bt(7, "sell", 10000, "StopTrail", trailpercent=0.02),
    _bt(7, "sell", 5000, "StopTrail", trailamount=0.03),
    _bt(8, "sell", 5000, "StopTrailLimit", trailpercent=0.015, price=1.0, plimit=0.99),
    [9, {"op": "bracket", "side": "buy", "size": 10000, "price": 0.998, "stopprice": 0.97,
         "limitprice": 1.02}],
    _bt(11, "buy", 10000, "Limit", price=0.95), [14, {"op": "cancel", "order": 11}],
    _bt(15, "buy", 20000, "Market", valid="day"), _bt(16, "buy", 10000, "Limit", price=0.97,
                                                     valid="today"),
    _bt(20, "sell", 20000, "Limit", price=1.01, valid=["days", 9]),
    [25, {"op": "bracket", "side": "buy", "size": 10000, "exectype": "Market",
          "stopprice": 0.985, "limitprice": 1.01, "valid": ["days", 12]}],
    _bt(40, "buy", 20000, "Limit", price=0.995, valid=["days", 20]),
    _bt(44, "sell", 30000, "StopTrail", trailpercent=0.01),
    _bt(30, "buy", 5_000_000, "Market"),  # more than the cash: Margin
]

SUSPENDED = ((A, "2022-09-02"),)  # 512100's share conversion: checked, then accepted
CORPUS_DATA = {"catalog": str(DATA / "catalog.csv"), "start": "2022-08-15", "end": "2022-10-31",
               "benchmark": "000300.SH"}
# 159915.SZ in the 2015 crash: closes at limit-down on 2015-06-29, 07-07 and 07-27, opens
# at limit-down on 07-08, closes at limit-up on 07-09, 07-10 and 07-13 (bar 0 is 2015-06-10)
LIMIT_DATA = {"catalog": str(DATA / "catalog.csv"), "start": "2015-06-10", "end": "2015-07-31",
              "benchmark": None}
C = "159915.SZ"
LIMIT_SCRIPT = [_buy(0, C, 200000, valid="gtc"),
                _sell(3, C, 50000, trail_percent=0.05, valid="gtc")] + [
    (_buy if bar % 2 else _sell)(bar, C, 20000, valid="gtc") for bar in range(10, 34)] + [
    _buy(12, C, 20000, stop=1.03, valid="gtc"), _sell(20, C, 20000, limit=1.02, valid="gtc")]
LIMIT_BT_SCRIPT = [_bt(1, "buy", 200000, "Market"),
                   _bt(4, "sell", 50000, "StopTrail", trailpercent=0.05)] + [
    _bt(bar, "buy" if bar % 2 else "sell", 20000, "Market") for bar in range(11, 35)] + [
    _bt(13, "buy", 20000, "Stop", price=1.03), _bt(21, "sell", 20000, "Limit", price=1.02)]
ISSUE_DATA = {"catalog": str(DATA / "catalog.csv"), "start": "2021-07-20", "end": "2021-10-29",
              "benchmark": None}


@dataclass(frozen=True)
class Case:
    """One strategy of the corpus: its config (less the paper block) and the replay's start."""

    name: str
    config: dict[str, Any]
    replay_start: str
    backtrader: bool = False
    suspensions: tuple[tuple[str, str], ...] = ()  # accepted before the first step, as a user


def _plugin(name: str, script: list, broker: dict[str, Any] | None = None,
            runner: str | None = None) -> dict[str, Any]:
    config = {"name": name, "data": CORPUS_DATA,
              "strategy": {"name": f"{HELPERS}:ScriptedPlugin",
                           "params": {"symbols": [A, B], "script": json.dumps(script)}},
              "broker": broker or {}}
    if runner:
        config["runner"] = runner
    return config


CASES = {
    "plugin_every_kind": Case("plugin_every_kind", _plugin("plugin_every_kind", PLUGIN_SCRIPT),
                              "2022-08-19", suspensions=SUSPENDED),
    "plugin_every_kind_fast": Case("plugin_every_kind_fast",
                                   _plugin("plugin_every_kind", PLUGIN_SCRIPT, runner="fast"),
                                   "2022-08-19", suspensions=SUSPENDED),
    "plugin_close_volume_cap": Case(
        "plugin_close_volume_cap",
        _plugin("plugin_close_volume_cap", PLUGIN_SCRIPT,
                {"execution": "close",
                 "volume_cap": {"max_participation": 0.0005, "remainder": "wait"}}),
        "2022-08-19", suspensions=SUSPENDED),
    "backtrader_every_kind": Case(
        "backtrader_every_kind",
        {"name": "backtrader_every_kind", "data": CORPUS_DATA,
         "strategy": {"name": f"{HELPERS}:ScriptedView", "instruments": [B, A],
                      "params": {"script": json.dumps(BT_SCRIPT)}},
         }, "2022-08-19", backtrader=True, suspensions=SUSPENDED),
    "plugin_limit_days": Case(
        "plugin_limit_days",
        {"name": "plugin_limit_days", "data": LIMIT_DATA,
         "strategy": {"name": f"{HELPERS}:ScriptedPlugin",
                      "params": {"symbols": [C], "script": json.dumps(LIMIT_SCRIPT)}}},
        "2015-06-15"),
    "backtrader_limit_days": Case(
        "backtrader_limit_days",
        {"name": "backtrader_limit_days", "data": LIMIT_DATA,
         "strategy": {"name": f"{HELPERS}:ScriptedView", "instruments": [C],
                      "params": {"script": json.dumps(LIMIT_BT_SCRIPT)}}},
        "2015-06-15", backtrader=True),
    # the ETF premium Z-score model (its NAV read in prepare, its holding days in its state)
    "premium_zscore": Case(
        "premium_zscore",
        {"name": "premium_zscore", "data": {"catalog": str(DATA / "catalog.csv"),
                                            "start": "2021-06-01", "end": "2022-12-30",
                                            "benchmark": None},
         "strategy": {"name": "premium_zscore",
                      "params": {"universe": ["510300.SH", "510500.SH", "513100.SH",
                                              "159920.SZ"], "window": 40, "entry_z": -1.5,
                                 "exit_z": 1.5}}}, "2022-10-10"),
    "issue_backtrader_trailing_stop": Case(
        "issue_backtrader_trailing_stop",
        {"name": "issue_bt_trail", "data": ISSUE_DATA,
         "strategy": {"name": f"{HELPERS}:TrailAfterEntry", "instruments": ["159915.SZ"]}},
        "2021-07-26", backtrader=True),
    "issue_plugin_dated_entries_daily_trail": Case(
        "issue_plugin_dated_entries_daily_trail",
        {"name": "issue_plugin_dated", "data": ISSUE_DATA,
         "strategy": {"name": f"{HELPERS}:DatedEntriesDailyTrail"}}, "2021-07-26"),
}


# -- the two ledgers ------------------------------------------------------------------------

@dataclass
class Ledger:
    fills: pd.DataFrame
    orders: pd.DataFrame
    equity: pd.DataFrame
    view: dict[str, list]  # date -> what the strategy saw that day (records, or view lines)


def _orders_frame(orders: pd.DataFrame) -> pd.DataFrame:
    frame = orders.copy()
    for column in ("created", "closed"):
        frame[column] = frame[column].map(lambda v: "" if v is None or v != v or v == ""
                                          else str(v)[:10])
    frame = frame.astype(str)
    return frame.sort_values("order_id", key=lambda s: s.astype(int)).reset_index(drop=True)


def _view_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _by_date(lines: list[dict[str, Any]]) -> dict[str, list]:
    grouped: dict[str, list] = {}
    for line in lines:
        grouped.setdefault(line["date"], []).append(line)
    return grouped


def backtest_ledger(case: Case, folder: Path) -> Ledger:
    """One backtest of ``case`` (run in ``folder``, where a backtrader strategy writes its
    view); orders still live at its end are cancelled by the run's end, as always."""
    import huice

    folder.mkdir(parents=True, exist_ok=True)
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        result = huice.backtest(case.config)
    finally:
        os.chdir(cwd)
    fills = result.fills.copy()
    fills["date"] = fills["date"].dt.strftime("%Y-%m-%d")
    if case.backtrader:
        view = _by_date(_view_lines(folder / "view.jsonl"))
    else:
        view = {day.strftime("%Y-%m-%d"): [{k: v for k, v in row.items() if v == v}]
                for day, row in result.signals.to_dict("index").items()}
    equity = result.equity.reset_index()[["date", "cash", "equity"]]
    equity["date"] = equity["date"].dt.strftime("%Y-%m-%d")
    return Ledger(fills.reset_index(drop=True), _orders_frame(result.orders), equity, view)


def paper_config(case: Case, days_per_poll: int) -> dict[str, Any]:
    return {**case.config,
            "paper": {"state": "state/paper.sqlite", "poll_seconds": 0,
                      "source": {"kind": "replay", "start": case.replay_start,
                                 "days_per_poll": days_per_poll}}}


def paper_ledger(case: Case, folder: Path, steps: list[set[str]]) -> Ledger:
    """The paper account's ledger in ``folder``; ``steps`` holds the days each step booked, to
    read a backtrader strategy's view of each day from the step that booked it."""
    db = sqlite3.connect(folder / "state" / "paper.sqlite")
    try:
        fills = pd.read_sql_query("SELECT * FROM fills ORDER BY seq", db).drop(columns=["seq"])
        orders = pd.read_sql_query("SELECT * FROM orders", db)
        equity = pd.read_sql_query("SELECT date, cash, equity FROM equity ORDER BY date", db)
        signals = pd.read_sql_query("SELECT * FROM signals ORDER BY date", db)
    finally:
        db.close()
    if case.backtrader:
        view: dict[str, list] = {}
        for index, booked in enumerate(steps):
            lines = _view_lines(folder / f"view-{index}.jsonl")
            for day, rows in _by_date(lines).items():
                if day in booked:
                    view[day] = rows
    else:
        view = {row.date: [{k: v for k, v in json.loads(row.json).items()
                            if v is not None and v == v}]  # NaN: nothing recorded
                for row in signals.itertuples()}
    return Ledger(fills, _orders_frame(orders), equity, view)


def _booked_days(folder: Path) -> set[str]:
    path = folder / "state" / "paper.sqlite"
    if not path.exists():
        return set()
    db = sqlite3.connect(path)
    try:
        return {row[0] for row in db.execute("SELECT date FROM bars_done")}
    finally:
        db.close()


def run_paper(case: Case, folder: Path, way: str, seed: int = 0) -> list[set[str]]:
    """Book ``case`` as a paper account in ``folder``: ``1`` or ``3`` days a poll, ``random``
    (1 to 5 days a poll, seeded), each a step in this process; ``cron``: a fresh
    ``run.py paper --once`` process for every step (7 days a poll). Returns the days each
    step booked."""
    import huice

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    steps: list[set[str]] = []
    cwd = Path.cwd()
    config_path = folder / "paper.yaml"
    config_path.write_text(json.dumps(paper_config(case, 1)))
    for symbol, day in case.suspensions:
        huice.paper_accept(config_path, symbol, dt.date.fromisoformat(day), "suspension")
    for index in range(400):
        per_poll = {"1": 1, "3": 3, "cron": 7}.get(way) or rng.randint(1, 5)
        config_path.write_text(json.dumps(paper_config(case, per_poll)))
        before = _booked_days(folder)
        view = folder / "view.jsonl"
        if view.exists():
            view.unlink()
        if way == "cron":
            env = {**os.environ, "PYTHONPATH": str(REPO)}
            done = subprocess.run([sys.executable, str(REPO / "run.py"), "paper",
                                   str(config_path), "--once"], cwd=folder, env=env,
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr
        else:
            os.chdir(folder)
            try:
                step = huice.paper_run(config_path, once=True)
            finally:
                os.chdir(cwd)
            assert not step.problems, step.problems
        if view.exists():
            view.rename(folder / f"view-{index}.jsonl")
        booked = _booked_days(folder) - before
        steps.append(booked)
        if not booked:
            return steps
    raise AssertionError("the replay did not end")


def run_paper_killed(case: Case, folder: Path, kills: int, seed: int) -> None:
    """Book ``case`` (2 days a poll, each bar's transaction held open 30 ms) with up to
    ``kills`` SIGKILLs at random moments of the loop (each a process forked from a forkserver
    that imported huice), then to the end."""
    import multiprocessing
    import signal
    import time

    import huice
    from tests.helpers.paper_child import run_paper_until_killed

    folder.mkdir(parents=True, exist_ok=True)
    config_path = folder / "paper.yaml"
    config_path.write_text(json.dumps(paper_config(case, 2)))
    for symbol, day in case.suspensions:
        huice.paper_accept(config_path, symbol, dt.date.fromisoformat(day), "suspension")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["huice.cli", "huice.api_paper", HELPERS,
                                    "tests.helpers.paper_child"])
    rng = random.Random(seed)
    state = folder / "state" / "paper.sqlite"
    killed = 0
    while killed < kills:
        process = context.Process(target=run_paper_until_killed,
                                  args=(str(config_path), str(folder), "0.03"))
        process.start()
        deadline = time.time() + 60
        while time.time() < deadline and process.is_alive() and not state.exists():
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.25))
        if not process.is_alive():  # it booked every day before its kill came
            break
        process.kill()
        process.join()
        assert process.exitcode == -signal.SIGKILL
        killed += 1
    assert killed >= kills // 2, f"only {killed} kills before the account finished"
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        step = huice.paper_run(config_path, once=False, poll_seconds=0, max_iterations=400)
    finally:
        os.chdir(cwd)
    assert not step.problems, step.problems


def without_run_end(orders: pd.DataFrame, live_at_end: set[str]) -> pd.DataFrame:
    """The orders less those live when the backtest ended (its end cancels them; the paper
    account keeps them waiting): compared apart."""
    return orders[~orders["order_id"].isin(live_at_end)].reset_index(drop=True)


def assert_same_ledger(paper: Ledger, backtest: Ledger, view: bool = True) -> None:
    """Fills, orders (statuses, codes, dates), equity to the cent, the strategy's view."""
    pd.testing.assert_frame_equal(paper.fills, backtest.fills, check_dtype=False)
    ended = backtest.orders["reason"].str.contains("run ended before the order could fill")
    live = set(backtest.orders.loc[ended, "order_id"])
    still = paper.orders[paper.orders["order_id"].isin(live)]
    assert set(still["status"]) <= {"pending", "partial"}, still
    assert set(still["order_id"]) == live
    pd.testing.assert_frame_equal(without_run_end(paper.orders, live),
                                  without_run_end(backtest.orders, live))
    assert paper.equity["date"].tolist() == backtest.equity["date"].tolist()
    assert paper.equity["cash"].round(2).tolist() == backtest.equity["cash"].round(2).tolist()
    assert paper.equity["equity"].round(2).tolist() == \
        backtest.equity["equity"].round(2).tolist()
    assert paper.equity["cash"].tolist() == backtest.equity["cash"].tolist()
    if not view:
        return
    missing = sorted(set(backtest.view) - set(paper.view))
    assert not missing, f"no view of {missing[:5]}"
    for day in sorted(backtest.view):
        assert paper.view[day] == backtest.view[day], day
