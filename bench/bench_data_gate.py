"""Issue 31's data gate: what checking every bar of a run costs (feeds/quality.py through
engine/run/data_gate.py), against the same run with the gate replaced by a pass-through, in
interleaved rounds of one process: a single backtest (industry rotation, 32 bar files
2013-2025; the 801080 report config) and the 279-run sweep example on 2 workers (forked, so
the pass-through reaches the workers). The metrics (the sweep's results) are checked equal."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from bench.timing import REPO, interleaved, median

EXAMPLES = ("industry_rotation", "drawdown_reversion_801080_report")
SWEEP = "sweep_drawdown_31_industries"


def _without_gate():
    """Replace the gate by a pass-through (the run as it was before it); returns the undo."""
    import huice.engine.run.assembly as assembly

    real = assembly.gate_market

    def passing(config, market, also_accepted=()):
        market.findings = ()
        return market

    assembly.gate_market = passing
    return lambda: setattr(assembly, "gate_market", real)


def measure(rounds: int = 5, sweep_rounds: int = 3) -> dict:
    import huice
    from huice.engine.sweep.task import forget_markets

    results: dict[str, dict[str, float]] = {}
    for name in EXAMPLES:
        config = huice.load_config(REPO / "config" / "examples" / f"{name}.yaml")
        seen: list[float] = []

        def gated(config=config, seen=seen) -> None:
            seen.append(huice.backtest(config, runner="fast").metrics.total_return)

        def bare(config=config, seen=seen) -> None:
            undo = _without_gate()
            try:
                seen.append(huice.backtest(config, runner="fast").metrics.total_return)
            finally:
                undo()

        times = interleaved({"gated": gated, "bare": bare}, rounds)
        assert len(set(seen)) == 1, f"{name}: the runs' figures differ"
        results[name] = {way: median(values) for way, values in times.items()}

    sweep = huice.load_config(REPO / "config" / "examples" / f"{SWEEP}.yaml")
    outputs: list[str] = []
    scratch = Path(tempfile.mkdtemp(prefix="bench-gate-"))

    def run_sweep(gate: bool) -> None:
        forget_markets()
        out = scratch / f"{'gated' if gate else 'bare'}-{len(outputs)}"
        undo = (lambda: None) if gate else _without_gate()
        try:
            frame = huice.sweep(sweep, workers=2, out=out, progress=False)
        finally:
            undo()
        outputs.append(frame.drop(columns=["task_id"]).to_csv(index=False))
        shutil.rmtree(out, ignore_errors=True)

    times = interleaved({"gated": lambda: run_sweep(True), "bare": lambda: run_sweep(False)},
                        sweep_rounds)
    shutil.rmtree(scratch, ignore_errors=True)
    assert len(set(outputs)) == 1, "the sweeps' results differ"
    results[f"{SWEEP} (279 runs, 2 workers)"] = {way: median(v) for way, v in times.items()}
    return {"rounds": rounds, "sweep_rounds": sweep_rounds, "examples": results}


def markdown(results: dict) -> str:
    lines = ["## The data gate's cost: every bar checked (issue 31)", "",
             f"Median of {results['rounds']} interleaved rounds ({results['sweep_rounds']} for "
             "the sweep), the engine's own runner. gated: the run as it is (every bar of every "
             "instrument checked: calendar, presence, staleness, limits or magnitude); bare: "
             "the same run with the gate replaced by a pass-through, as before it existed. "
             "Figures (the sweep's results.csv) checked equal.", "",
             "| run | bare | gated | ratio |", "|---|---|---|---|"]
    for name, times in results["examples"].items():
        lines.append(f"| {name} | {times['bare']:.2f} s | {times['gated']:.2f} s | "
                     f"**{times['gated'] / times['bare']:.2f}x** |")
    return "\n".join(lines + [""])


if __name__ == "__main__":
    print(markdown(measure()))
