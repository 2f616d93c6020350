"""Issue 7 benchmark: a 200-run sweep (25 industries x 2 share x 4 ratio) with 1 and 2 workers,
and the per-run cost inside a sweep against one backtest run on its own (data cached in both)."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from bench.timing import REPO

INDUSTRIES = ["801010", "801030", "801040", "801050", "801080", "801110", "801120", "801130",
              "801140", "801150", "801160", "801170", "801180", "801200", "801210", "801230",
              "801710", "801720", "801730", "801740", "801750", "801760", "801770", "801780",
              "801790"]


def base_config():
    from huice.config.schema import RunConfig

    return RunConfig.model_validate({
        "name": "bench_sweep",
        "data": {"catalog": str(REPO / "data/catalog.csv"), "start": "2020-01-02",
                 "end": "2025-02-28"},
        "strategy": {"name": "drawdown_reversion",
                     "params": {"target": "801080.SI", "min_history_days": 250}},
        "sweep": {"grid": {"strategy.params.target": [c + ".SI" for c in INDUSTRIES],
                           "strategy.params.share": [0.6, 1.0],
                           "strategy.params.ratio": [0.5, 0.6, 0.8, 1.0]}}})


def measure() -> dict:
    from huice.engine.run.assembly import run_backtest
    from huice.engine.sweep.runner import run_sweep
    from huice.strategies import factory as cli

    config = base_config()
    single = config.model_copy(update={"sweep": None})
    run_backtest(single, cli.plugin_for(single))  # warm the cache
    singles = []
    for _ in range(5):
        start = time.perf_counter()
        run_backtest(single, cli.plugin_for(single))
        singles.append(time.perf_counter() - start)
    sweeps = {}
    for workers in (1, 2, 1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            result = run_sweep(config, cli.plugin_for, Path(tmp) / "s", workers=workers,
                               progress=False)
            sweeps.setdefault(workers, []).append(time.perf_counter() - start)
            runs = len(result.results)
    return {"single": statistics.median(singles), "sweeps": sweeps, "runs": runs}


def markdown(results: dict) -> str:
    runs = results["runs"]
    one, two = (min(results["sweeps"][w]) for w in (1, 2))
    per_run = one / runs
    return "\n".join([
        "## Parameter sweep throughput (issue 7)", "",
        f"{runs} runs of drawdown reversion (25 industries x 2 share x 4 ratio, 2020-2025, "
        "next-open fills with costs). Each sweep timed twice, best kept. Targets: at least "
        "1.7x runs per second with 2 workers on 2 cores.", "",
        "| measure | value |", "|---|---|",
        f"| runs per second, 1 worker | {runs / one:.2f} |",
        f"| runs per second, 2 workers | {runs / two:.2f} |",
        f"| speed-up with 2 workers | {one / two:.2f}x |",
        f"| one backtest on its own (median of 5, data cached) | {results['single']:.3f} s |",
        f"| per run inside a 1-worker sweep | {per_run:.3f} s |",
        f"| per-run overhead of the sweep | {per_run / results['single']:.2f}x |", ""])


if __name__ == "__main__":
    print(markdown(measure()))
