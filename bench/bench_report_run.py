"""Issue 2 benchmark: the 801080 published-tracking run, huice against a minimal raw-backtrader
script doing the same on the same data, measured in the same process, interleaved."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench import raw_backtrader_801080
from bench.timing import REPO, command, interleaved, median

CONFIG = REPO / "config/examples/drawdown_reversion_801080_report.yaml"
NOTE = ("\nThe fresh-interpreter rows are the whole command, report.html included (issues 13 "
        "and 22: at most 1.3x the raw script in a fresh interpreter). The config's default "
        "runner is backtrader's Cerebro, as the raw script's; the `--runner fast` row is huice's "
        "own loop over the same config (byte-identical outputs, tests/engine/test_fast_runner.py)."
        " What remains on top of the raw script with Cerebro is importing pydantic, loguru and "
        "huice's own modules (about 0.5 s, `python -X importtime`), the ledger and result "
        "tables, and writing the outputs, the tear sheet and the report.\n")
EXAMPLES = REPO / "config/examples"


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
            "python run.py backtest --runner fast (fresh interpreter, with report.html)":
                command("run.py", "backtest", str(CONFIG), "--runner", "fast", "--out",
                        str(Path(tmp) / "cli-fast")),
        }, max(5, rounds // 2))
        sizes = report_sizes(Path(tmp))
    return {"in_process": in_process, "end_to_end": end_to_end, "sizes": sizes,
            "same": same_outcome()}


def same_outcome() -> dict:
    """The two runs' final equity: the raw script's broker value and huice's (which books
    cents), and whether they agree to the cent."""
    from huice import api

    raw = (1.0 + raw_backtrader_801080.run()) * 1_000_000.0
    ours = api.backtest(api.load_config(CONFIG)).metrics
    return {"raw": raw, "huice": ours["final_equity"], "fills": ours["fills"],
            "same": round(raw, 2) == ours["final_equity"]}


def report_sizes(tmp: Path) -> dict[str, int]:
    """Bytes of each example's report.html (fast runner: the same page as Cerebro's)."""
    from huice import api

    sizes = {}
    for config in sorted(EXAMPLES.glob("*.yaml")):
        if config.stem.startswith(("sweep_", "walk_forward_", "paper_")):
            continue
        out = tmp / "sizes" / config.stem
        api.backtest(api.load_config(config), runner="fast").save(out)
        sizes[config.stem] = (out / "report.html").stat().st_size
    return sizes


def markdown(results: dict) -> str:
    lines = ["## 801080 report run: huice vs raw backtrader (issues 2 and 13)", "",
             "Same data, same algorithm, fills at the close, no costs. Candidates alternate "
             "round by round; times are medians. Target: huice within 1.3x of the raw script.",
             "", "| candidate | median s | ratio to raw |", "|---|---|---|"]
    lines[-2:] = ["| candidate | median s | ratio to raw | spread of paired rounds |",
                  "|---|---|---|---|"]
    for group in ("in_process", "end_to_end"):
        times = results[group]
        base_values = next(iter(times.values()))
        baseline = median(base_values)
        for name, values in times.items():
            paired = [v / b for v, b in zip(values, base_values)]
            lines.append(f"| {name} | {median(values):.3f} | {median(values) / baseline:.2f}x | "
                         f"{min(paired):.2f}x .. {max(paired):.2f}x |")
    same = results.get("same")
    if same:
        lines += ["", f"Equivalence: final equity {same['huice']:,.2f} CNY in huice ({same['fills']} "
                  f"fills) against the raw script's broker value {same['raw']:,.4f}: "
                  + ("the same to the cent." if same["same"] else "DIFFERENT.")]
    sizes = results.get("sizes") or {}
    if sizes:
        lines += ["", "Size of each example's report.html (issue 22's target: under 2.5 MB; "
                  "1.5 MB of it is plotly.js):", "", "| example | MB |", "|---|---|"]
        lines += [f"| {name} | {size / 1e6:.2f} |" for name, size in sizes.items()]
    return "\n".join(lines) + "\n" + NOTE


if __name__ == "__main__":
    print(markdown(measure()))
