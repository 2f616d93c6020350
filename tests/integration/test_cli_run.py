"""Whole runs through run.py: outputs present, reruns byte-identical, report self-contained."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from tests.conftest import EXAMPLES, run_cli

OUTPUT_FILES = ["metrics.json", "equity.csv", "trades.csv", "orders.csv", "fills.csv",
                "positions.csv", "signals.csv", "config.yaml", "report.html"]
METRIC_KEYS = ["total_return", "annual_return", "buy_and_hold_return", "benchmark_return",
               "excess_vs_buy_and_hold", "excess_vs_benchmark", "max_drawdown", "longest_drawdown_days",
               "sharpe", "volatility", "trades", "turnover", "fees", "exposure", "start", "end",
               "bars", "run_id"]


@pytest.fixture(scope="module")
def realistic_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("runs")
    config = EXAMPLES / "drawdown_reversion_801080.yaml"
    first = run_cli("backtest", str(config), "--out", str(base / "first"))
    second = run_cli("backtest", str(config), "--out", str(base / "second"))
    return base, first, second


def test_backtest_writes_every_output(realistic_runs):
    base, first, _ = realistic_runs
    assert first.code == 0, first.stderr
    for name in OUTPUT_FILES:
        assert (base / "first" / name).is_file(), name
    assert "report: " in first.stdout and "total_return" in first.stdout
    metrics = json.loads((base / "first" / "metrics.json").read_text())
    assert set(METRIC_KEYS) <= set(metrics)
    assert set(metrics["fees"]) == {"commission", "stamp_duty", "transfer_fee", "dividend_tax",
                                    "total"}
    equity = pd.read_csv(base / "first" / "equity.csv")
    assert list(equity.columns) == ["date", "cash", "holdings", "equity", "benchmark"]


def test_rerun_is_byte_identical(realistic_runs):
    base, _, _ = realistic_runs
    for name in OUTPUT_FILES:
        assert (base / "first" / name).read_bytes() == (base / "second" / name).read_bytes(), name


def test_report_is_self_contained_and_explains_what_was_traded(realistic_runs):
    base, _, _ = realistic_runs
    report = (base / "first" / "report.html").read_text()
    # plotly.js inline, every chart a div it draws into: equity, underwater, rolling Sharpe,
    # volatility and beta, the return histogram, fees and turnover, the W_t diagnostic,
    # weights; nothing fetched (tests/integration/test_report_browser.py watches the network
    # in a real browser)
    assert re.findall(r'<div class="chart" id="([^"]+)"', report) == [
        "chart-equity", "chart-underwater", "chart-rolling-sharpe", "chart-rolling-volatility",
        "chart-rolling-beta", "chart-returns-histogram", "chart-costs", "chart-diagnostic-1",
        "chart-holdings"]
    assert report.count("<script>") == 10 and "<script src" not in report
    assert "<link" not in report and "<img" not in report
    assert "801080.SI (SW Electronics) is a price index and not tradable" in report
    assert "next bar&#x27;s open" in report or "next bar's open" in report
    assert "Causal" in report


def test_report_mode_is_labelled_in_sample(tmp_path):
    result = run_cli("backtest", str(EXAMPLES / "drawdown_reversion_801140_report.yaml"),
                     "--out", str(tmp_path / "r"))
    assert result.code == 0, result.stderr
    report = (tmp_path / "r" / "report.html").read_text()
    assert "IN-SAMPLE" in report
    assert "synthetic ratio instrument" in report


def test_default_output_folder_is_runs_name(tmp_path):
    result = run_cli("backtest", str(EXAMPLES / "drawdown_reversion_801050_report.yaml"),
                     cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert (tmp_path / "runs" / "drawdown_reversion_801050_report" / "metrics.json").is_file()


def test_validate_and_strategies_commands():
    validated = run_cli("validate", str(EXAMPLES / "drawdown_reversion_801080.yaml"))
    assert validated.code == 0 and "valid" in validated.stdout
    listed = run_cli("strategies")
    assert listed.code == 0
    assert "drawdown_reversion:" in listed.stdout
    for param in ("target", "reference", "share", "ratio", "window", "min_history_days", "trade"):
        assert f"    {param} (" in listed.stdout


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_validates(path):
    assert run_cli("validate", str(path)).code == 0
