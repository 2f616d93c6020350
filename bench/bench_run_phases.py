"""Issue 35 benchmark: where a single exact run's time goes, phase by phase.

bench_akquant's two workloads (the MA crossover on 510300.SH and the 100-ETF momentum
rotation, data in memory, fast runner), each ``run_backtest`` split into its phases by timing
the functions it calls in turn: the market (the frames checked into bar frames, the data gate),
the run's preparation (rules, the clock's tables, the broker), the day loop, the ledger tables
and the result (metrics, run id, the tables' types). Medians of interleaved rounds, in ms.

``python -m bench.bench_run_phases`` prints the table for the code it imports, so the same
script run with ``PYTHONPATH=<an older checkout>/src`` gives that checkout's table (how the
"before" figures in bench/RESULTS.md were taken).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

PHASES = [("market", "market_of"), ("preparation", "prepare_run"), ("day loop", "execute_run"),
          ("ledger tables", "ledger_of"), ("result", "build_result")]


def timed_phases(rounds: int = 7) -> dict[str, dict[str, float]]:
    """Each workload's median milliseconds per phase and in all."""
    import huice.engine.run.assembly as assembly
    from bench.bench_akquant import MaCross, Momentum, huice_run, ma_frames
    from bench.synthetic_universe import synthetic_universe
    from huice.feeds.catalog import Instrument

    spent: dict[str, float] = {}
    originals = {name: getattr(assembly, name) for _, name in PHASES}

    def timing(name: str, function: Callable) -> Callable:
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - start
        return timed

    ma = ma_frames()
    ma_instruments = {"510300.SH": Instrument(symbol="510300.SH", name="CSI 300 ETF",
                                              asset_class="etf", board="main")}
    frames, instruments = synthetic_universe(100, 2500)
    universe = list(frames)
    workloads = {
        "MA crossover, 510300.SH": lambda: huice_run(
            MaCross.from_params({"symbol": "510300.SH"}), ma, ma_instruments),
        "momentum top 5 of 100 ETFs": lambda: huice_run(
            Momentum.from_params({"universe": universe}), frames, instruments)}
    samples: dict[str, dict[str, list[float]]] = {w: {} for w in workloads}
    try:
        for _, name in PHASES:
            setattr(assembly, name, timing(name, originals[name]))
        for run in workloads.values():
            run()  # warm-up
        for _ in range(rounds):
            for workload, run in workloads.items():
                spent.clear()
                start = time.perf_counter()
                run()
                total = time.perf_counter() - start
                for label, name in PHASES:
                    samples[workload].setdefault(label, []).append(spent.get(name, 0.0))
                samples[workload].setdefault("whole run", []).append(total)
    finally:
        for name, function in originals.items():
            setattr(assembly, name, function)
    return {workload: {label: statistics.median(values) * 1000
                       for label, values in phases.items()}
            for workload, phases in samples.items()}


def measure() -> dict:
    return timed_phases()


def markdown(results: dict) -> str:
    labels = [label for label, _ in PHASES] + ["whole run"]
    lines = ["## A single run, phase by phase (issue 35)", "",
             "bench_akquant's workloads (data in memory, fast runner), `run_backtest` split by "
             "the functions it calls in turn; medians of 7 interleaved rounds, ms "
             "(bench/bench_run_phases.py).", "",
             "| phase | " + " | ".join(results) + " |", "|---|" + "---|" * len(results)]
    for label in labels:
        lines.append(f"| {label} | " + " | ".join(f"{phases[label]:.1f}"
                                                  for phases in results.values()) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(measure()))
