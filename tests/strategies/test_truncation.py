"""Every registered strategy passes the truncation (no look-ahead) check on real data."""

from __future__ import annotations

import pytest

from huice.strategies.registry import REGISTRY
from tests.conftest import REPO
from tests.helpers.configs import make_config
from tests.helpers.truncation import assert_truncation_invariant, cut_dates_around

FIXTURES = REPO / "tests" / "fixtures"

# One causal configuration per registered strategy. A new strategy without an entry here
# fails test_every_strategy_has_a_case: every plugin gets this check.
CASES = {
    "drawdown_reversion": dict(
        params={"target": "801080.SI", "reference": "000300.SH", "window": "expanding",
                "min_history_days": 250, "trade": "target"},
        start="2010-01-04", end="2016-12-30", broker={"execution": "open"},
        extra_cuts=["2011-06-30", "2013-12-31"]),
    "barbell": dict(
        params={"legs": [{"symbol": "000922.CSI", "weight": 0.5},
                         {"symbol": "000852.SH", "weight": 0.5}],
                "rebalance": "monthly", "rebalance_day": "last", "drift_band": 0.05,
                "volume_timing": {"enabled": True}, "volatility_target": {"enabled": True}},
        start="2012-01-04", end="2014-12-31", broker={"execution": "open"}),
    "etf_flow": dict(
        params={"universe": ["510300.SH", "510310.SH", "510330.SH", "159919.SZ", "159915.SZ"],
                "direction": "contrarian", "lookback_days": 20, "rebalance": "weekly"},
        start="2018-01-02", end="2019-06-28", broker={"execution": "open"}),
    # crowding needs 250 + 30 days before its first score: a 2015-2017 run has it from 2016
    "industry_rotation": dict(
        params={"universe": ["801080.SI", "801050.SI", "801140.SI", "801150.SI", "801780.SI",
                             "801120.SI"],
                "ranking": "long_weak_short_strong", "short_days": 10, "long_days": 60,
                "top_k": 2, "rebalance": "weekly", "crowding_filter": "exclude_crowded",
                "crowding_threshold": 70, "crowding": {"measure_days": 20,
                                                       "percentile_days": 120}},
        start="2015-01-05", end="2016-12-30", broker={"execution": "open"},
        extra_cuts=["2015-09-30", "2016-03-31"]),
    # the premium a decision reads is a day old (a cross-border fund's two), so the next bar,
    # which tells a NAV's early ex-date, is known by then: cut around 510500's 2022-08-29
    "premium_zscore": dict(
        params={"universe": ["510300.SH", "510500.SH", "513100.SH", "159920.SZ"],
                "window": 40, "entry_z": -1.5, "exit_z": 1.5, "hold_days": 3},
        start="2021-06-01", end="2022-12-30", broker={"execution": "open"},
        extra_cuts=["2022-08-26", "2022-08-29"]),
    "orders": dict(
        params={"path": str(FIXTURES / "orders_two_etfs.csv")},
        start="2021-01-04", end="2022-06-30", broker={"execution": "open"}),
    "target_weights": dict(
        params={"path": str(FIXTURES / "target_weights_barbell.csv")},
        start="2020-12-01", end="2022-03-31", broker={"execution": "vwap"}),
}
# Strategies (or modes) that use future data on purpose, and why.
EXEMPT = {
    ("drawdown_reversion", "window: full"): "whole-window statistics reproduce the published, "
                                            "in-sample tracking by design",
}


def test_every_strategy_has_a_case():
    missing = set(REGISTRY.names()) - set(CASES)
    assert not missing, f"add a truncation case for {sorted(missing)}"


# the fast tier truncates drawdown reversion; make test every strategy. Drawdown reversion runs
# under Cerebro (so the default runner itself is shown to feed no bar early), the others under
# the engine's own runner, which writes the same bytes as Cerebro for every example
# (tests/test_golden.py) at about half the time: what each of them checks is the strategy
CEREBRO_CASES = {"drawdown_reversion"}


@pytest.mark.parametrize("name", [pytest.param(n, marks=() if n == "drawdown_reversion"
                                               else pytest.mark.slow) for n in sorted(CASES)])
def test_truncating_data_leaves_earlier_decisions_unchanged(name):
    case = CASES[name]
    cls = REGISTRY.resolve(name)
    config = make_config(name, case["params"], start=case["start"], end=case["end"],
                         broker=case["broker"])

    def make():
        return cls.from_params(case["params"])

    assert make().causal, f"{name}'s case must be a causal configuration (Strategy.causal)"
    runner = "cerebro" if name in CEREBRO_CASES else "fast"
    full = assert_truncation_invariant(config, make, cuts=[], runner=runner)
    assert len(full.orders) >= 2, "the case must trade for the check to mean anything"
    cuts = cut_dates_around(full, extra=case.get("extra_cuts", []))
    assert_truncation_invariant(config, make, cuts=cuts[:12], runner=runner)


def test_a_strategy_says_when_it_is_not_causal():
    """The exempt mode reports itself through Strategy.causal (the run notes and this test read
    it), so no configuration that uses the future passes for a causal one."""
    cls = REGISTRY.resolve("drawdown_reversion")
    in_sample = cls.from_params({"target": "801080.SI", "window": "full"})
    causal = cls.from_params({"target": "801080.SI", "window": "expanding"})
    assert (in_sample.causal, causal.causal) == (False, True)
