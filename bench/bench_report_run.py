"""Issue 2 benchmark: the 801080 published-tracking run, huice against a minimal raw-backtrader
script doing the same on the same data, measured in the same process, interleaved."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench import raw_backtrader_801080
from bench.timing import REPO, command, interleaved, median

CONFIG = REPO / "config/examples/drawdown_reversion_801080_report.yaml"
NOTE = ("\nThe last row is the whole command in a fresh interpreter, report.html included "
        "(issue 13's target: at most 1.3x the raw script in a fresh interpreter). The report no "
        "longer renders anything server-side: its charts are plotly.js specs drawn by the "
        "browser. What remains on top of the raw script is importing huice's own modules, "
        "pydantic and loguru (about 0.2 s, `python -X importtime`), the ledger and result "
        "tables, and writing the outputs and the tear sheet.\n")


def huice_engine() -> None:
    """Load config and data, run, compute metrics (no files written)."""
    from huice import api
    from huice.config.loader import load_config
    from huice.engine.run.assembly import run_backtest

    loaded = load_config(CONFIG)
    run_backtest(loaded.config, api.build_strategy(api.load_config(loaded)))


def huice_with_outputs(out: Path):
    def run() -> None:
        from huice import api
        from huice.config.loader import load_config
        from huice.engine.results.writer import write_run
        from huice.engine.run.assembly import run_backtest

        loaded = load_config(CONFIG)
        result = run_backtest(loaded.config, api.build_strategy(api.load_config(loaded)))
        write_run(result, out / "run")
    return run


def measure(rounds: int = 7) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        in_process = interleaved({"raw backtrader script": raw_backtrader_801080.run,
                                  "huice engine (load, run, metrics)": huice_engine,
                                  "huice + CSV/JSON outputs": huice_with_outputs(Path(tmp))},
                                 rounds)
        end_to_end = interleaved({
            "raw backtrader script (fresh interpreter)":
                command("bench/raw_backtrader_801080.py"),
            "python run.py backtest (fresh interpreter, with report.html)":
                command("run.py", "backtest", str(CONFIG), "--out", str(Path(tmp) / "cli")),
        }, max(3, rounds // 2))
    return {"in_process": in_process, "end_to_end": end_to_end}


def markdown(results: dict) -> str:
    lines = ["## 801080 report run: huice vs raw backtrader (issues 2 and 13)", "",
             "Same data, same algorithm, fills at the close, no costs. Candidates alternate "
             "round by round; times are medians. Target: huice within 1.3x of the raw script.",
             "", "| candidate | median s | ratio to raw |", "|---|---|---|"]
    for group in ("in_process", "end_to_end"):
        times = results[group]
        baseline = median(next(iter(times.values())))
        for name, values in times.items():
            lines.append(f"| {name} | {median(values):.3f} | {median(values) / baseline:.2f}x |")
    return "\n".join(lines) + "\n" + NOTE


if __name__ == "__main__":
    print(markdown(measure()))
