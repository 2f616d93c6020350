"""Paper trading equals the backtest for every order a strategy can leave resting (issue 37).

Each case of the corpus (tests/helpers/parity.py) runs as one backtest and as a paper account
by replay: 1 day a poll, 3 days a poll, a seeded random 1-5 days a poll, a fresh
``run.py paper --once`` process for every step (as cron runs it), and killed with SIGKILL at
random moments; every way must give the backtest's fills, orders (statuses, codes, dates),
equity to the cent and the strategy's own view of its account on every bar (its records, or
a backtrader strategy's position, cash and notifications as it saw them on the day the step
booked). The fast tier runs each case one day a poll; ``make test`` runs the whole matrix.
"""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from huice.config.schema import BrokerConfig, VolumeCapConfig
from huice.engine.broker.orders import OrderKind
from tests.helpers.parity import (
    CASES,
    Ledger,
    assert_same_ledger,
    backtest_ledger,
    paper_ledger,
    run_paper,
    run_paper_killed,
)

PLUGIN_CASES = [name for name, case in CASES.items() if not case.backtrader]


def paper_equals_backtest(tmp_path: Path, name: str, way: str, seed: int = 0) -> Ledger:
    case = CASES[name]
    expected = backtest_ledger(case, tmp_path / "backtest")
    steps = run_paper(case, tmp_path / "paper", way, seed)
    assert len(steps) > 2, "the replay must cross step boundaries"
    ledger = paper_ledger(case, tmp_path / "paper", steps)
    assert_same_ledger(ledger, expected)
    assert len(expected.fills) >= 3, "a case must trade for parity to mean anything"
    return ledger


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_day_a_poll_equals_the_backtest(tmp_path, name):
    paper_equals_backtest(tmp_path, name, "1")


@pytest.mark.slow
@pytest.mark.parametrize("way", ["3", "random"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_several_days_a_poll_equals_the_backtest(tmp_path, name, way):
    paper_equals_backtest(tmp_path, name, way, seed=sum(map(ord, name)))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["plugin_every_kind", "backtrader_every_kind",
                                  "issue_backtrader_trailing_stop"])
def test_a_fresh_process_every_step_equals_the_backtest(tmp_path, name):
    paper_equals_backtest(tmp_path, name, "cron")


@pytest.mark.slow
def test_paper_on_the_fast_runner_equals_paper_on_cerebro(tmp_path):
    fast = paper_equals_backtest(tmp_path / "fast", "plugin_every_kind_fast", "3")
    cerebro = paper_equals_backtest(tmp_path / "cerebro", "plugin_every_kind", "3")
    assert_same_ledger(fast, cerebro)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["plugin_every_kind", "backtrader_every_kind"])
def test_killed_at_random_moments_ends_as_the_backtest(tmp_path, name):
    """Eight SIGKILLs at random moments (a bar's transaction is held open 30 ms, so some land
    inside one), then the loop to the end: the backtest's ledger, and a plugin's records."""
    case = CASES[name]
    expected = backtest_ledger(case, tmp_path / "backtest")
    run_paper_killed(case, tmp_path / "paper", kills=8, seed=sum(map(ord, name)))
    ledger = paper_ledger(case, tmp_path / "paper", [])
    assert_same_ledger(ledger, expected, view=not case.backtrader)


# -- the corpus covers every kind ------------------------------------------------------------

VALIDITIES = {"day", "gtc", "until"}


def corpus_orders(tmp_path: Path):
    import pandas as pd

    frames = []
    for name, case in CASES.items():
        orders = backtest_ledger(case, tmp_path / name).orders
        orders["case"] = name
        orders["backtrader"] = case.backtrader
        frames.append(orders)
    return pd.concat(frames, ignore_index=True)


def test_the_corpus_uses_every_order_kind_validity_and_contingent_kind(tmp_path):
    """Fails when the broker gains an order kind, a validity or a contingent kind that no case
    of the corpus uses across step boundaries (each kind must fill at least once in a
    huice plugin and in a backtrader strategy; each validity and tie must end an order)."""
    orders = corpus_orders(tmp_path)
    kinds = {kind.value for kind in OrderKind}
    for backtrader in (False, True):
        part = orders[orders["backtrader"] == backtrader]
        filled = set(part.loc[part["status"] == "filled", "kind"])
        assert kinds <= filled, f"backtrader={backtrader}: no filled {sorted(kinds - filled)}"
    validity = typing.get_args(BrokerConfig.model_fields["order_validity"].annotation)
    assert set(validity) | {"until"} == VALIDITIES  # a new validity needs a case here
    codes = " ".join(orders["codes"])
    for tie in ("oco", "bracket", "volume_cap", "cash_short", "limit_down", "suspended",
                "expired"):
        assert tie in codes, tie
    remainders = typing.get_args(VolumeCapConfig.model_fields["remainder"].annotation)
    assert set(remainders) == {"wait", "cancel"}


def test_paper_status_lists_what_rests_and_what_is_unprotected(tmp_path):
    import huice

    case = CASES["plugin_every_kind"]
    run_paper(case, tmp_path, "3")
    status = huice.paper_status(tmp_path / "paper.yaml")
    resting = {row.order_id: row for row in status.resting}
    assert sorted(resting) == [14, 16]
    assert (resting[16].kind, resting[16].side, resting[16].stop_price,
            resting[16].validity, resting[16].session) == \
        ("stop", "sell", 0.962, "gtc", "2022-11-01")  # the trading day after 2022-10-31
    assert status.unprotected == ("515180.SH",)
    trail = CASES["issue_backtrader_trailing_stop"]
    run_paper(trail, tmp_path / "trail", "3")
    rows = huice.paper_status(tmp_path / "trail" / "paper.yaml").resting
    assert [(r.kind, r.trail, r.validity, r.session) for r in rows] == \
        [("stop_trail", "3.00%", "gtc", "2021-11-01")]


def test_the_margin_case_ends_the_same_in_paper(tmp_path):
    """The issue's Margin case as a paper account (cash 50, a 1-unit buy at 100; opens 100,
    100, 100, 40, 60, 60), booked one day a poll: Submitted then Margin on its first bar and no
    fill, exactly as its backtest and backtrader's own broker."""
    import json

    from tests.engine.test_margin import synthetic_bars
    from tests.helpers.scripted_bt import RELAXED_BROKER, SYMBOL

    bars = tmp_path / "bars.csv"
    synthetic_bars().reset_index().to_csv(bars, index=False)
    script = [[1, {"op": "order", "side": "buy", "size": 1, "type": "Market"}]]
    config = {"name": "margin", "data": {"benchmark": None,
                                         "files": {SYMBOL: {"path": str(bars)}},
                                         "accept": [{"symbol": SYMBOL, "date": "2021-01-07",
                                                     "as": "bar"}]},
              "strategy": {"name": "tests.helpers.parity_strategies:ScriptedView",
                           "instruments": [SYMBOL], "params": {"script": json.dumps(script)}},
              "broker": {**RELAXED_BROKER, "initial_cash": 50.0}}
    from tests.helpers.parity import Case

    case = Case("margin", config, "2021-01-05", backtrader=True)
    expected = backtest_ledger(case, tmp_path / "backtest")
    steps = run_paper(case, tmp_path / "paper", "1")
    ledger = paper_ledger(case, tmp_path / "paper", steps)
    assert_same_ledger(ledger, expected)
    notes = [(line["date"], line["status"]) for rows in ledger.view.values() for line in rows
             if line["kind"] == "order"]
    assert notes == [("2021-01-05", "Submitted"), ("2021-01-05", "Margin")]
    assert ledger.fills.empty and ledger.equity["equity"].iloc[-1] == 50.0
