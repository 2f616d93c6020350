"""Issue 36: every sweep task runs once (the report's curves and walk-forward's in-sample best are
the runs' own, no re-runs). Times the 279-run sweep, the 10k-combination screen and the
walk-forward example as whole ``run.py sweep`` commands on 2 workers, this tree against the
revision before the change (``BASELINE``, checked out into a temporary git worktree), in
interleaved rounds; checks both wrote the same results.csv (task and run ids aside: they hash
the config's absolute paths, which differ between the two trees)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from bench.timing import REPO, baseline_checkout, median, sweep_command

BASELINE = "77c49dd"  # main before the sweep tasks were built once
CONFIGS = {"sweep_drawdown_31_industries": "results.csv",
           "sweep_screen_drawdown_10k": "results.csv",
           "walk_forward_801080": "walk_forward.csv"}


def _same(old: Path, new: Path, name: str) -> bool:
    ids = ["task_id", "run_id"]
    first, second = (pd.read_csv(folder / name) for folder in (old, new))
    return first.drop(columns=ids, errors="ignore").equals(
        second.drop(columns=ids, errors="ignore"))


def measure(rounds: int = 3) -> dict:
    results: dict = {"rounds": rounds, "baseline": BASELINE, "sweeps": {}}
    with tempfile.TemporaryDirectory() as folder, \
            baseline_checkout(BASELINE, Path(folder)) as base:
        for config, table in CONFIGS.items():
            times: dict[str, list[float]] = {"before": [], "after": []}
            path = f"config/examples/{config}.yaml"
            for round_ in range(rounds + 1):  # the first round warms the file cache
                outs = {way: Path(folder) / f"{config}_{way}_{round_}"
                        for way in ("before", "after")}
                before = sweep_command(base, path, outs["before"], workers=2)
                after = sweep_command(REPO, path, outs["after"], workers=2)
                if round_:
                    times["before"].append(before)
                    times["after"].append(after)
            same = _same(outs["before"], outs["after"], table)
            results["sweeps"][config] = {**times, "same": same}
    return results


def markdown(results: dict) -> str:
    lines = ["## Each sweep task run once (issue 36)", "",
             f"Whole `run.py sweep` commands on 2 workers, {results['rounds']} interleaved "
             f"rounds, medians [min-max]: before is main at {results['baseline']} (the report's "
             "five curves and walk-forward's in-sample best run a second time), after is this "
             "tree (every task validated once when planned and run once; curves kept from the "
             "runs).", "",
             "| sweep | before | after | after / before | same results |", "|---|---|---|---|---|"]
    for config, figures in results["sweeps"].items():
        ratios = [a / b for a, b in zip(figures["after"], figures["before"])]
        lines.append(f"| {config} | {median(figures['before']):.2f} s | "
                     f"{median(figures['after']):.2f} s | **{median(ratios):.2f}x** "
                     f"[{min(ratios):.2f}-{max(ratios):.2f}] | "
                     f"{'identical' if figures['same'] else 'DIFFERENT'} |")
    return "\n".join(lines) + "\n"
