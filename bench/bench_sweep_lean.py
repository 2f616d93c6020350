"""Issue 23 benchmark, part 1: where a sweep run's milliseconds go, before and after the lean
path, measured in the same process on the same tasks.

Tasks: 4 of the 100 (share x ratio) runs of each of the 31 industries of bench_speed's 3,100-run
drawdown-reversion grid (2010-2025, fast runner), 124 runs. Two ways to run each task:

- full: what a sweep task did before issue 23, ``run_backtest`` with the bars read from the
  worker's file cache: the market is loaded and validated per run and every ledger table
  (orders, fills, trades, positions, signals) is built;
- lean: what a sweep task does now (``run_task``): the market shared by every task on the same
  data, the run booked the same way, only metrics and equity kept.

Each is split into setup (config, strategy, market, assembly), loop (the days) and results
(tables and metrics), interleaved over rounds; the results.csv rows are checked equal.
"""

from __future__ import annotations

import time

from bench.bench_speed import INDUSTRIES, sweep_config
from bench.timing import median

SHARES = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 0.55, 0.65, 0.75, 0.85]
RATIOS = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]


def sample_tasks():
    from huice.engine.sweep.plan import plan_sweep

    tasks = plan_sweep(sweep_config(SHARES, RATIOS))
    per_industry = len(tasks) // len(INDUSTRIES)
    return [task for start in range(0, len(tasks), per_industry)
            for task in tasks[start:start + per_industry:per_industry // 4]]


def timed_full(task) -> tuple[dict, dict]:
    from huice.config.schema import RunConfig
    from huice.engine.run.assembly import execute_run, market_of, prepare_run
    from huice.engine.run.ledger import ledger_of
    from huice.engine.run.result_builder import build_result
    from huice.engine.sweep.task import metrics_row
    from huice.strategies.factory import plugin_for

    start = time.perf_counter()
    config = RunConfig.model_validate(task.config)
    plugin = plugin_for(config)
    market = market_of(config, plugin)
    run = prepare_run(config, plugin, market, runner="fast")
    assembled = time.perf_counter()
    recorder = execute_run(run)
    looped = time.perf_counter()
    run.broker.cancel_all("run ended before the order could fill")
    result = build_result(ledger_of(run, recorder), config=config, plugin=plugin,
                          market=market, rules=run.rules)
    done = time.perf_counter()
    return ({"setup": assembled - start, "loop": looped - assembled, "results": done - looped},
            metrics_row(task, result.metrics))


def timed_lean(task) -> tuple[dict, dict]:
    from huice.engine.run.assembly import execute_run, prepare_run
    from huice.engine.run.ledger import summary_of
    from huice.engine.sweep.task import metrics_row, sweep_runner, worker_market
    from huice.strategies.factory import plugin_for

    start = time.perf_counter()
    config = task.resolved
    plugin = plugin_for(config)
    market, runner = worker_market(config, plugin), sweep_runner(config, plugin)
    run = prepare_run(config, plugin, market, runner=runner)
    run.lean = True
    run.context.keep_records = False
    assembled = time.perf_counter()
    recorder = execute_run(run)
    looped = time.perf_counter()
    run.broker.cancel_all("run ended before the order could fill")
    summary = summary_of(run, recorder)
    done = time.perf_counter()
    return ({"setup": assembled - start, "loop": looped - assembled, "results": done - looped},
            metrics_row(task, summary.metrics))


def measure(rounds: int = 3) -> dict:
    from huice.engine.sweep.task import preload_bars, run_task
    from huice.strategies.factory import plugin_for

    tasks = sample_tasks()
    preload_bars(tasks, plugin_for)
    for task in tasks[:2]:
        timed_full(task), timed_lean(task)
    totals: dict[str, list[dict]] = {"full": [], "lean": []}
    for _ in range(rounds):
        for way, timed in (("full", timed_full), ("lean", timed_lean)):
            parts = {"setup": 0.0, "loop": 0.0, "results": 0.0}
            rows = []
            for task in tasks:
                split, row = timed(task)
                rows.append(row)
                for key, value in split.items():
                    parts[key] += value
            totals[way].append(parts)
            if way == "full":
                full_rows = rows
            else:
                assert rows == full_rows, "the lean rows differ from the full runs' rows"
    assert [run_task(task, plugin_for).row for task in tasks[:4]] == full_rows[:4]
    per_run = {way: {key: median([parts[key] for parts in totals[way]]) / len(tasks) * 1000
                     for key in ("setup", "loop", "results")} for way in totals}
    ratios = [sum(f.values()) / sum(le.values()) for f, le in zip(totals["full"], totals["lean"])]
    return {"runs": len(tasks), "per_run": per_run, "ratios": ratios}


def markdown(results: dict) -> str:
    full, lean = results["per_run"]["full"], results["per_run"]["lean"]
    lines = ["## What a sweep run costs: full ledger against the lean path (issue 23)", "",
             f"{results['runs']} tasks of the 3,100-run drawdown-reversion grid (4 per industry, "
             "2010-2025, fast runner), one process, milliseconds per run (median of "
             f"{len(results['ratios'])} interleaved rounds). full: what a sweep task did before "
             "(run_backtest: bars from the file cache loaded and validated per run, every "
             "ledger table built); lean: a sweep task now (the market shared by tasks on the "
             "same data, metrics and equity only). Every results.csv row is checked equal.", "",
             "| part | full | lean |", "|---|---|---|"]
    for key in ("setup", "loop", "results"):
        lines.append(f"| {key} | {full[key]:.1f} ms | {lean[key]:.1f} ms |")
    total_full, total_lean = sum(full.values()), sum(lean.values())
    rounds = ", ".join(f"{ratio:.2f}" for ratio in results["ratios"])
    lines += [f"| **per run** | **{total_full:.1f} ms** | **{total_lean:.1f} ms** |", "",
              f"Lean is **{total_full / total_lean:.2f}x** fewer milliseconds a run (rounds: "
              f"{rounds}). The loop's share is what is left: the strategy's own work and the "
              "broker's day (T+1 release, corporate actions, matching) and the ledger's "
              "snapshot.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(measure()))
