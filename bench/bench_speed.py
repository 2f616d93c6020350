"""Issue 14 benchmarks: the engine-owned runner against Cerebro, and sweep scaling.

1. fast / cerebro on the 801080 example (drawdown reversion, 2010-2025) and on the synthetic
   100 ETFs x 2,500 days universe (ETF flow rotation, monthly top 5): whole run_backtest calls
   in the same process, data already loaded, interleaved.
2. the 31-industry x 100-parameter drawdown sweep (3,100 runs, fast runner) with 2 workers, in
   runs per second, and the speed-up of 2 workers over 1 on the same sweep.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.synthetic_universe import synthetic_universe
from bench.timing import REPO, interleaved, median

INDUSTRIES = ["801010", "801030", "801040", "801050", "801080", "801110", "801120", "801130",
              "801140", "801150", "801160", "801170", "801180", "801200", "801210", "801230",
              "801710", "801720", "801730", "801740", "801750", "801760", "801770", "801780",
              "801790", "801880", "801890", "801950", "801960", "801970", "801980"]


def example_runs():
    import huice
    from huice.engine.run.assembly import run_backtest

    config = huice.load_config(REPO / "config/examples/drawdown_reversion_801080.yaml")
    plugin = huice.build_strategy(config)
    return {runner: (lambda runner=runner: run_backtest(config, plugin,
                                                        runner=runner))
            for runner in ("cerebro", "fast")}


def universe_runs():
    from huice.config.schema import RunConfig
    from huice.engine.run.assembly import run_backtest
    from huice.strategies.etf_flow import EtfFlowRotation

    frames, instruments = synthetic_universe(100, 2500)
    params = {"universe": list(frames), "aggregate": "etf", "top_k": 5, "rebalance": "monthly",
              "lookback_days": 20}
    config = RunConfig.model_validate({
        "name": "bench_flow", "data": {"benchmark": None, "calendar": "data"},
        "strategy": {"name": "etf_flow", "params": params},
        "broker": {"execution": "open", "slippage": {"kind": "ticks", "value": 1},
                   "volume_cap": {"max_participation": 0.1}}})
    return {runner: (lambda runner=runner: run_backtest(
        config, EtfFlowRotation.from_params(params), frames=frames, instruments=instruments,
        runner=runner)) for runner in ("cerebro", "fast")}


def sweep_config(shares: list[float], ratios: list[float]):
    from huice.config.schema import RunConfig

    return RunConfig.model_validate({
        "name": "bench_sweep_3100",
        "data": {"catalog": str(REPO / "data/catalog.csv"), "start": "2010-01-04",
                 "end": "2025-03-18"},
        "strategy": {"name": "drawdown_reversion",
                     "params": {"target": "801080.SI", "min_history_days": 250}},
        "sweep": {"grid": {"strategy.params.target": [c + ".SI" for c in INDUSTRIES],
                           "strategy.params.share": shares,
                           "strategy.params.ratio": ratios}}})


def timed_sweep(config, workers: int) -> tuple[float, int]:
    from huice.engine.sweep.runner import run_sweep
    from huice.strategies.factory import plugin_for

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = run_sweep(config, plugin_for, Path(tmp) / "s", workers=workers, progress=False)
        return time.perf_counter() - start, len(result.results)


def measure() -> dict:
    results = {}
    for name, runs, rounds in (("801080 example", example_runs(), 5),
                               ("100 ETFs x 2,500 days", universe_runs(), 4)):
        times = interleaved(runs, rounds)
        results[name] = {runner: median(values) for runner, values in times.items()}
        results[name]["pairs"] = [c / f for c, f in zip(times["cerebro"], times["fast"])]
    shares = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 0.55, 0.65, 0.75, 0.85]
    ratios = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]
    full = sweep_config(shares, ratios)
    seconds, runs = timed_sweep(full, 2)
    results["sweep"] = {"runs": runs, "seconds": seconds}
    small = sweep_config(shares[:2], ratios[:4])  # 248 runs: 1 worker against 2, twice each
    scaling = {1: [], 2: []}
    for workers in (1, 2, 1, 2):
        scaling[workers].append(timed_sweep(small, workers))
    results["scaling"] = {w: (min(t for t, _ in v), v[0][1]) for w, v in scaling.items()}
    return results


def markdown(results: dict) -> str:
    lines = ["## The engine-owned runner and sweep scaling (issue 14)", "",
             "`runner: fast` drives the same clock, broker, session and ledger as Cerebro, one "
             "day at a time, without backtrader's lines; outputs are byte-identical "
             "(tests/engine/test_fast_runner.py). Whole `run_backtest` calls, data loaded, "
             "interleaved; target at least 5x.", "",
             "| workload | cerebro | fast | speed-up |", "|---|---|---|---|"]
    for name in ("801080 example", "100 ETFs x 2,500 days"):
        cerebro, fast = results[name]["cerebro"], results[name]["fast"]
        pairs = ", ".join(f"{p:.1f}" for p in results[name]["pairs"])
        lines.append(f"| {name} | {cerebro:.3f} s | {fast:.3f} s | {cerebro / fast:.1f}x "
                     f"(rounds: {pairs}) |")
    sweep = results["sweep"]
    (one, runs_small), (two, _) = results["scaling"][1], results["scaling"][2]
    lines += ["", f"Sweep: 31 Shenwan industries x 10 share x 10 ratio = {sweep['runs']} runs "
              "of drawdown reversion 2010-2025 (fast runner, bars preloaded before the workers "
              "fork, tasks dispatched in chunks), 2 workers on this machine: "
              f"{sweep['seconds']:.1f} s, **{sweep['runs'] / sweep['seconds']:.1f} runs/s**.",
              "", f"Scaling on {runs_small} of those runs (best of two): 1 worker {one:.1f} s, "
              f"2 workers {two:.1f} s: **{one / two:.2f}x** (target 1.8x on an idle 2-core "
              "machine).", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(measure()))
