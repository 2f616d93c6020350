"""Sweeps from the CLI: the 31 industries x a ratio grid (62 runs) give identical results.csv with 1
or 2 workers and with Ray; a partly done sweep resumes; the best configs run; walk-forward
trades only inside its test windows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import DATA, run_cli

INDUSTRIES = ["801010", "801030", "801040", "801050", "801080", "801110", "801120", "801130",
              "801140", "801150", "801160", "801170", "801180", "801200", "801210", "801230",
              "801710", "801720", "801730", "801740", "801750", "801760", "801770", "801780",
              "801790", "801880", "801890", "801950", "801960", "801970", "801980"]


def sweep_yaml(tmp_path: Path, grid: str, extra: str = "", start="2019-01-02",
               end="2025-02-28") -> Path:
    text = f"""\
name: sweep_test
data:
  catalog: {DATA / 'catalog.csv'}
  start: {start}
  end: {end}
strategy:
  name: drawdown_reversion
  params: {{target: 801080.SI, window: expanding, min_history_days: 250, trade: target}}
broker: {{execution: open}}
sweep:
  grid:
{grid}
  rank_by: sharpe
{extra}"""
    path = tmp_path / "sweep.yaml"
    path.write_text(text)
    return path


INDUSTRY_GRID = (f"    strategy.params.target: [{', '.join(c + '.SI' for c in INDUSTRIES)}]\n"
                 "    strategy.params.ratio: [0.6, 0.8]\n")


@pytest.fixture(scope="module")
def industry_sweeps(tmp_path_factory):
    base = tmp_path_factory.mktemp("sweeps")
    config = sweep_yaml(base, INDUSTRY_GRID, start="2021-01-04")
    outcomes = {}
    for label, args in {"one": ["--workers", "1"], "two": ["--workers", "2"]}.items():
        result = run_cli("sweep", str(config), "--out", str(base / label), *args)
        assert result.code == 0, result.stderr
        outcomes[label] = base / label
    return config, outcomes


def test_sweep_over_31_industries_is_identical_with_1_or_2_workers(industry_sweeps):
    _, outcomes = industry_sweeps
    one = (outcomes["one"] / "results.csv").read_bytes()
    assert one == (outcomes["two"] / "results.csv").read_bytes()
    results = pd.read_csv(outcomes["one"] / "results.csv")
    assert len(results) == 62 and (results["status"] == "ok").all()
    assert set(results["strategy.params.target"]) == {c + ".SI" for c in INDUSTRIES}


def test_sweep_with_ray_gives_the_same_results(tmp_path):
    """Ray's local instance against the local pool, on 4 industries x 2 ratios (starting Ray is
    most of the cost; the 62-run sweep is checked with 1 and 2 local workers above)."""
    pytest.importorskip("ray", reason="the [ray] extra is installed by make test")
    grid = (f"    strategy.params.target: [{', '.join(c + '.SI' for c in INDUSTRIES[:4])}]\n"
            "    strategy.params.ratio: [0.6, 0.8]\n")
    config = sweep_yaml(tmp_path, grid, start="2021-01-04")
    local = run_cli("sweep", str(config), "--out", str(tmp_path / "local"), "--workers", "1")
    assert local.code == 0, local.stderr
    result = run_cli("sweep", str(config), "--out", str(tmp_path / "ray"), "--backend", "ray",
                     "--workers", "2")
    assert result.code == 0, result.stderr
    ray_results = (tmp_path / "ray" / "results.csv").read_bytes()
    assert ray_results == (tmp_path / "local" / "results.csv").read_bytes()
    assert len(pd.read_csv(tmp_path / "ray" / "results.csv")) == 8


def test_partly_done_sweep_resumes_by_skipping_finished_runs(industry_sweeps, tmp_path):
    config, outcomes = industry_sweeps
    folder = tmp_path / "resume"
    folder.mkdir()
    lines = (outcomes["two"] / "runs.jsonl").read_text().splitlines()
    # 20 finished runs and a line torn by a crash, in a folder the sweep had marked as its own
    (folder / ".huice-output").write_bytes((outcomes["two"] / ".huice-output").read_bytes())
    (folder / "runs.jsonl").write_text("\n".join(lines[:20]) + "\n" + lines[20][:40])
    result = run_cli("sweep", str(config), "--out", str(folder), "--workers", "2")
    assert result.code == 0, result.stderr
    journal = [json.loads(line) for line in (folder / "runs.jsonl").read_text().splitlines()
               if line.endswith("}")]
    assert len(journal) == 62  # 20 kept + 42 run now; nothing ran twice
    assert len({row["task_id"] for row in journal}) == 62
    assert (folder / "results.csv").read_bytes() == (outcomes["one"] / "results.csv").read_bytes()


def test_best_configs_are_runnable_and_reproduce_their_row(industry_sweeps, tmp_path):
    _, outcomes = industry_sweeps
    results = pd.read_csv(outcomes["one"] / "results.csv")
    best = sorted((outcomes["one"] / "best").glob("rank1_*.yaml"))
    assert len(best) == 1
    task_id = best[0].stem.split("_", 1)[1]
    run = run_cli("backtest", str(best[0]), "--out", str(tmp_path / "best"))
    assert run.code == 0, run.stderr
    metrics = json.loads((tmp_path / "best" / "metrics.json").read_text())
    row = results.set_index("task_id").loc[task_id]
    assert metrics["total_return"] == pytest.approx(row["total_return"], abs=1e-12)
    assert metrics["sharpe"] == pytest.approx(results["sharpe"].max(), abs=1e-12)
    report = (outcomes["one"] / "report.html").read_text()
    assert "Best runs" in report


def test_two_param_grid_report_has_a_heatmap(tmp_path):
    grid = "    strategy.params.share: [0.6, 0.8]\n    strategy.params.ratio: [0.6, 0.8]\n"
    result = run_cli("sweep", str(sweep_yaml(tmp_path, grid)), "--out", str(tmp_path / "h"),
                     "--workers", "1")
    assert result.code == 0, result.stderr
    report = (tmp_path / "h" / "report.html").read_text()
    assert 'id="sweep-heatmap"' in report and "Colour scale" in report


def test_walk_forward_trades_only_inside_test_windows(tmp_path):
    grid = "    strategy.params.ratio: [0.6, 0.8]\n"
    extra = "  walk_forward: {train_days: 750, test_days: 250}\n"
    config = sweep_yaml(tmp_path, grid, extra, start="2012-01-04", end="2020-12-31")
    result = run_cli("sweep", str(config), "--out", str(tmp_path / "wf"), "--workers", "2")
    assert result.code == 0, result.stderr
    folds = pd.read_csv(tmp_path / "wf" / "walk_forward.csv", parse_dates=["test_start", "test_end"])
    fills = pd.read_csv(tmp_path / "wf" / "oos_fills.csv", parse_dates=["date"])
    oos = pd.read_csv(tmp_path / "wf" / "oos_equity.csv", parse_dates=["date"])
    assert len(folds) >= 5 and len(fills) >= 2
    # ranked by total_return: train_return says it once (no train_total_return beside it)
    assert "train_return" in folds.columns and "train_total_return" not in folds.columns
    page = (tmp_path / "wf" / "report.html").read_text()
    assert "<h1>Walk-forward: " in page and "<h1>Sweep: " not in page
    assert "out-of-sample return" in result.stdout
    windows = folds.set_index("fold")
    for fill in fills.itertuples():
        window = windows.loc[fill.fold]
        assert window.test_start <= fill.date <= window.test_end, fill
    inside = pd.Series(False, index=oos.index)
    for window in windows.itertuples():
        inside |= oos["date"].between(window.test_start, window.test_end)
    assert inside.all()
    assert (folds["test_start"].iloc[1:].to_numpy() > folds["test_end"].iloc[:-1].to_numpy()).all()
    assert "Walk-forward" in (tmp_path / "wf" / "report.html").read_text()
    # the page leads with the stitched out-of-sample result against the benchmark
    import re

    assert re.findall(r'<section id="([^"]+)"', page)[0] == "walk-forward"
    initial = 1_000_000
    total = oos["equity"].iloc[-1] / initial - 1
    assert f"{total:.2%}" in page.split('id="best-runs"')[0]
    assert "benchmark, same days" in page and "rebased to the first test day" in page
    # the benchmark's return over the test days: CSI 300 from the close before the first one
    bars = pd.read_csv(DATA / "bars" / "000300.SH.csv.gz", parse_dates=["date"]).set_index("date")
    close = bars["close"]
    first, last = folds["test_start"].iloc[0], folds["test_end"].iloc[-1]
    same_days = close[:last].iloc[-1] / close[close.index < first].iloc[-1] - 1
    row = page.split("benchmark, same days</td>")[1].split("</tr>")[0]
    assert f"{same_days:.2%}" in row


def test_rebased_curve_starts_from_the_close_before_the_first_test_day():
    from huice.engine.sweep.walkforward import oos_summary, rebased

    days = pd.bdate_range("2024-01-01", periods=6)
    curve = pd.Series([100.0, 110.0, 121.0, 133.1, 121.0, 110.0], index=days)
    shifted = rebased(curve, days[2], 1_000_000)
    assert list(shifted.index) == list(days[2:])
    assert shifted.iloc[0] == pytest.approx(1_100_000)  # 121 / 110
    table = oos_summary(shifted, shifted, 1_000_000, 252).set_index("curve")
    assert table.loc["walk-forward out-of-sample", "total_return"] == pytest.approx(0.0)
    assert table.loc["walk-forward out-of-sample", "max_drawdown"] == pytest.approx(
        1 - 110 / 133.1)


def test_sweep_value_out_of_range_is_a_clear_error(tmp_path):
    grid = "    strategy.params.share: [0.5, 1.5]\n"
    result = run_cli("sweep", str(sweep_yaml(tmp_path, grid)), "--out", str(tmp_path / "bad"))
    assert result.code == 2
    assert "sweep run 1 (strategy.params.share=1.5)" in result.stderr
    assert "must be in (0, 1], got 1.5" in result.stderr
    assert not (tmp_path / "bad").exists()


def test_misspelt_sweep_path_suggests_the_right_one(tmp_path):
    grid = "    broker.slipage.value: [0.001]\n"
    result = run_cli("sweep", str(sweep_yaml(tmp_path, grid)), "--out", str(tmp_path / "bad"))
    assert result.code == 2
    assert "unknown key 'slipage'; did you mean 'slippage'" in result.stderr


def test_walk_forward_and_backtest_sharpe_agree_with_a_risk_free_rate():
    """One curve through metrics.json's Sharpe (compute_metrics) and the walk-forward page's
    (oos_summary), with a 3% risk-free rate: the same figure, by the same function; a flat
    curve's Sharpe is 0 in both (it was NaN on the walk-forward page)."""
    from huice.engine.results.metrics import compute_metrics
    from huice.engine.sweep.walkforward import oos_summary

    days = pd.bdate_range("2024-01-01", periods=60)
    values = 1_000_000 * (1 + 0.001 * np.sin(np.arange(60) / 3.0) + 0.0004 * np.arange(60))
    for curve in (pd.Series(values, index=days), pd.Series(1_000_000.0, index=days)):
        equity = pd.DataFrame({"equity": curve, "holdings": curve, "cash": 0.0})
        metrics = compute_metrics(equity, initial_cash=1_000_000, fills=[], trades=0,
                                  buy_and_hold_return=0.0, benchmark_return=0.0,
                                  periods_per_year=252, risk_free_rate=0.03)
        table = oos_summary(curve, None, 1_000_000, 252, 0.03).set_index("curve")
        row = table.loc["walk-forward out-of-sample"]
        assert row["sharpe"] == metrics.sharpe
        assert row["annual_return"] == metrics.annual_return
        assert row["max_drawdown"] == metrics.max_drawdown
    assert metrics.sharpe == 0.0
