"""The engine-owned runner (runner: fast) gives byte-identical outputs to Cerebro: on random
order streams and for a paper account here; on every example config in tests/test_golden.py,
beside the golden run that already ran it on Cerebro (make test)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import huice
from tests.conftest import DATA, run_cli

DAYS = pd.read_csv(DATA / "bars/510300.SH.qfq.csv.gz", usecols=["date"])["date"]
DAYS = DAYS[(DAYS >= "2023-07-03") & (DAYS <= "2023-09-29")].tolist()
ROWS = st.lists(st.tuples(st.sampled_from(DAYS), st.sampled_from(["510300.SH.qfq", "159915.SZ.qfq"]),
                          st.sampled_from(["buy", "sell"]), st.integers(1, 30_000)),
                min_size=1, max_size=40)


@pytest.mark.slow  # 50 backtests: make test (the fast tier keeps the broker's own properties)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS, execution=st.sampled_from(["open", "close", "vwap"]))
def test_random_order_streams_identical_under_both_runners(tmp_path, rows, execution):
    path = tmp_path / "orders.csv"
    lines = ["date,symbol,side,quantity"] + [f"{d},{s},{side},{q}" for d, s, side, q in rows]
    path.write_text("\n".join(lines) + "\n")
    config = {"name": "stream", "data": {"start": "2023-07-03", "end": "2023-09-29"},
              "strategy": {"name": "orders", "params": {"path": str(path)}},
              "broker": {"execution": execution, "slippage": {"kind": "ticks", "value": 1}}}
    cerebro = huice.backtest(huice.load_config(config, overrides={"runner": "cerebro"}))
    fast = huice.backtest(huice.load_config(config, overrides={"runner": "fast"}))
    for name in ("equity", "fills", "orders", "positions", "trades", "signals"):
        pd.testing.assert_frame_equal(getattr(cerebro, name), getattr(fast, name))
    assert cerebro.metrics.to_dict() == fast.metrics.to_dict()


@pytest.mark.slow
def test_paper_account_on_the_fast_runner_books_the_backtest(tmp_path):
    config = {"name": "fast_paper",
              "data": {"catalog": str(DATA / "catalog.csv"), "start": "2024-01-02",
                       "end": "2024-12-31"},
              "strategy": {"name": "barbell", "params": {"legs": [
                  {"symbol": "515180.SH.qfq", "weight": 0.5},
                  {"symbol": "512100.SH.qfq", "weight": 0.5}], "drift_band": 0.03}},
              "runner": "fast",
              "paper": {"state": "state.sqlite",
                        "source": {"kind": "replay", "start": "2024-06-03", "days_per_poll": 50},
                        "adjusted_prices": "latest"}}
    path = tmp_path / "paper.yaml"
    path.write_text(json.dumps(config))
    for _ in range(5):
        assert run_cli("paper", str(path), "--once").code == 0
    report = run_cli("paper-report", str(path), "--out", str(tmp_path / "report"))
    assert report.code == 0, report.stderr
    backtest = huice.backtest(huice.load_config(
        {k: v for k, v in config.items() if k != "paper"}, overrides={"runner": "cerebro"}))
    booked = pd.read_csv(tmp_path / "report" / "fills.csv")
    expected = backtest.fills.reset_index(drop=True)
    assert len(booked) == len(expected) > 4
    assert (booked["cash_after"].to_numpy() == expected["cash_after"].to_numpy()).all()
    metrics = json.loads((tmp_path / "report" / "metrics.json").read_text())
    assert metrics["final_equity"] == backtest.metrics.final_equity
