"""Issue 35 benchmark: the marginal cost of an exact sweep run, this tree against main at
``BASELINE`` (03f02b3, when the issue was filed), in interleaved rounds of whole commands.

The grid is bench_speed's 3,100 runs (31 SW industries x 10 shares x 10 ratios of drawdown
reversion, 2010-2025, fast runner), run by ``run.py sweep --workers 2`` in a fresh interpreter,
once with the data key first in the grid (as bench_speed writes it) and once with it last (as
``yaml.safe_dump`` sorts the keys: every run then changes market). A 31-run grid (one run per
industry, the same markets) is timed in the same rounds; the marginal cost of a run is
``(whole 3,100 - whole 31) / 3,069``. Each pair of sweeps' results.csv is checked equal.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.bench_speed import INDUSTRIES
from bench.bench_sweep_lean import RATIOS, SHARES
from bench.timing import baseline_checkout, median, same_sweep_results, sweep_command

BASELINE = "03f02b3"  # main when issue 35 was filed


def grid_config(tree: Path, folder: Path, name: str, grid: dict) -> Path:
    import yaml

    config = {"name": name, "data": {"catalog": str(tree / "data/catalog.csv"),
                                     "start": "2010-01-04", "end": "2025-03-18"},
              "strategy": {"name": "drawdown_reversion",
                           "params": {"target": "801080.SI", "min_history_days": 250}},
              "sweep": {"grid": grid}}
    path = folder / f"{name}_{tree.name}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def grids() -> dict[str, dict]:
    targets = [code + ".SI" for code in INDUSTRIES]
    return {"data first": {"strategy.params.target": targets, "strategy.params.share": SHARES,
                           "strategy.params.ratio": RATIOS},
            "data last": {"strategy.params.ratio": RATIOS, "strategy.params.share": SHARES,
                          "strategy.params.target": targets},
            "one per industry": {"strategy.params.target": targets}}


def measure(rounds: int = 3) -> dict:
    from bench.timing import REPO

    times: dict[str, dict[str, list[float]]] = {g: {"before": [], "after": []} for g in grids()}
    same: dict[str, bool] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with baseline_checkout(BASELINE, folder) as base:
            trees = {"before": base, "after": REPO}
            configs = {(g, way): grid_config(tree, folder, g.replace(" ", "_"), grid)
                       for g, grid in grids().items() for way, tree in trees.items()}
            for round_ in range(rounds + 1):  # the first round warms the file cache
                for g in grids():
                    outs = {}
                    for way, tree in trees.items():
                        outs[way] = folder / f"{g}_{way}_{round_}".replace(" ", "_")
                        seconds = sweep_command(tree, configs[(g, way)], outs[way], workers=2)
                        if round_:
                            times[g][way].append(seconds)
                    same[g] = same.get(g, True) and same_sweep_results(outs["before"],
                                                                       outs["after"])
    return {"rounds": rounds, "baseline": BASELINE, "times": times, "same": same}


def _s(values: list[float]) -> str:
    return f"{median(values):.1f} s [{min(values):.1f}-{max(values):.1f}]"


def markdown(results: dict) -> str:
    times, same = results["times"], results["same"]
    lines = ["## The marginal cost of an exact sweep run (issue 35)", "",
             f"Whole `run.py sweep --workers 2` commands, this tree against main at "
             f"{results['baseline']}, {results['rounds']} interleaved rounds, medians [min-max] "
             "(bench/bench_sweep_marginal.py).", "",
             "| grid | runs | before | after | after / before | results.csv |",
             "|---|---|---|---|---|---|"]
    runs = {"data first": 3100, "data last": 3100, "one per industry": 31}
    for g in grids():
        before, after = times[g]["before"], times[g]["after"]
        ratios = [a / b for a, b in zip(after, before)]
        lines.append(f"| {g} | {runs[g]:,} | {_s(before)} | {_s(after)} | **{median(ratios):.2f}x**"
                     f" [{min(ratios):.2f}-{max(ratios):.2f}] | "
                     f"{'identical' if same[g] else 'DIFFERENT'} |")
    lines += ["", "The marginal cost of one run, (3,100-run sweep - 31-run sweep) / 3,069, "
              "round by round:", "", "| grid | before | after | after / before |",
              "|---|---|---|---|"]
    small = times["one per industry"]
    for g in ("data first", "data last"):
        per = {way: [(big - little) / 3069 * 1000 for big, little in
                     zip(times[g][way], small[way])] for way in ("before", "after")}
        ratios = [a / b for a, b in zip(per["after"], per["before"])]
        lines.append(f"| {g} | {median(per['before']):.2f} ms | {median(per['after']):.2f} ms | "
                     f"**{median(ratios):.2f}x** [{min(ratios):.2f}-{max(ratios):.2f}] |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(measure(rounds=1)))
