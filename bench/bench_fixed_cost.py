"""Issue 35 benchmark: where a sweep command's time goes before its first run.

Each round is a fresh interpreter (as ``run.py sweep`` is) on the 31-industry sweep example
cut to its first target: the imports of ``huice.cli`` by top-level package (``-X importtime``,
self times summed), then the steps ``run.py sweep`` takes before its first run, timed one by
one in the same process: loading the config, planning and validating every run (which builds
each run's strategy), the first run's market (files, catalog, windowing, the data gate), the
first run itself, and the re-runs the sweep report makes for its equity curves. Medians of
the rounds, with min-max; a bare ``python -c pass`` is the baseline in the same rounds.

Then the same against main at ``BASELINE`` (the revision issue 35 measures from, checked out
into a temporary git worktree), in interleaved rounds: ``import huice.cli`` alone, and the
whole ``run.py sweep`` of the cut config (9 runs, one worker), its results.csv checked equal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench.timing import REPO, baseline_checkout, median, same_sweep_results, sweep_command

CONFIG = REPO / "config" / "examples" / "sweep_drawdown_31_industries.yaml"
BASELINE = "03f02b3"  # main when issue 35 was filed
LIBRARIES = ("pydantic", "pydantic_core", "annotated_types", "yaml", "loguru", "asyncio",
             "multiprocessing")  # the other libraries every command imports

STEPS = r"""
import json, sys, time
t = time.perf_counter()
import huice.cli
from huice import api
from huice.engine.sweep.plan import plan_sweep
from huice.engine.sweep.task import run_task, strategies_of, worker_market
from huice.strategies.factory import build_strategy
steps = {"import huice.cli": time.perf_counter() - t}
t = time.perf_counter()
config = api.load_config(sys.argv[1])
steps["load and check the config"] = time.perf_counter() - t
t = time.perf_counter()
config = api.runnable_config(config)
tasks = plan_sweep(config)
built = strategies_of(tasks, lambda c: build_strategy(c))
steps[f"plan and validate the {len(tasks)} runs"] = time.perf_counter() - t
t = time.perf_counter()
worker_market(*built[0])
steps["the first run's market (files, catalog, gate)"] = time.perf_counter() - t
t = time.perf_counter()
run_task(tasks[0], lambda c: build_strategy(c))
steps["the first run"] = time.perf_counter() - t
print(json.dumps(steps))
"""


def _config(folder: Path) -> Path:
    import yaml

    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    config["data"]["catalog"] = str(REPO / "data" / "catalog.csv")
    config["sweep"]["grid"]["strategy.params.target"] = ["801080.SI"]
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def _imports() -> Counter:
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", "import huice.cli"],
                         capture_output=True, text=True, check=True, cwd=REPO).stderr
    by_package: Counter = Counter()
    for line in err.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = (part.strip() for part in
                                      line.removeprefix("import time:").split("|"))
        by_package[name.split(".")[0]] += int(self_us) / 1e6
    return by_package


def _wall(code: str, *args: str, tree: Path = REPO) -> float:
    import time

    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *args], capture_output=True, check=True,
                   cwd=tree, env={**os.environ, "PYTHONPATH": str(tree / "src")})
    return time.perf_counter() - start


def against_baseline(config: Path, folder: Path, rounds: int) -> dict:
    """``import huice.cli`` and the whole cut sweep, this tree against ``BASELINE``."""
    times: dict[str, list[float]] = {name: [] for name in (
        "import before", "import after", "sweep before", "sweep after")}
    with baseline_checkout(BASELINE, folder) as base:
        outs = {}
        for round_ in range(rounds + 1):  # the first round warms the file cache
            figures = {"import before": _wall("import huice.cli", tree=base),
                       "import after": _wall("import huice.cli")}
            for way, tree in (("before", base), ("after", REPO)):
                outs[way] = folder / f"sweep_{way}_{round_}"
                figures[f"sweep {way}"] = sweep_command(tree, config, outs[way], workers=1)
            if round_:
                for name, value in figures.items():
                    times[name].append(value)
        same = same_sweep_results(outs["before"], outs["after"])
    return {"times": times, "same": same}


def measure(rounds: int = 5) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        config = _config(Path(folder))
        imports: list[Counter] = []
        steps: list[dict[str, float]] = []
        bare: list[float] = []
        whole: list[float] = []
        for _ in range(rounds):
            bare.append(_wall("pass"))
            whole.append(_wall(STEPS, str(config)))
            imports.append(_imports())
            out = subprocess.run([sys.executable, "-c", STEPS, str(config)], capture_output=True,
                                 text=True, check=True, cwd=REPO).stdout
            steps.append(json.loads(out.splitlines()[-1]))
        paired = against_baseline(config, Path(folder), rounds)
    packages = sorted({p for c in imports for p in c}, key=lambda p: -median([c[p] for c in imports]))
    return {"rounds": rounds, "bare": bare, "whole": whole,
            "imports": {p: [c[p] for c in imports] for p in packages},
            "steps": {name: [s[name] for s in steps] for name in steps[0]},
            "baseline": BASELINE, "paired": paired}


def _ms(values: list[float]) -> str:
    return f"{median(values) * 1000:.0f} ms [{min(values) * 1000:.0f}-{max(values) * 1000:.0f}]"


def markdown(results: dict) -> str:
    lines = ["## Before a sweep's first run (issue 35)", "",
             f"A fresh interpreter per round, {results['rounds']} rounds, medians [min-max]; the "
             "sweep example cut to one target (bench/bench_fixed_cost.py).", "",
             f"Bare `python -c pass`: {_ms(results['bare'])}. Those steps in one process, "
             f"interpreter included: {_ms(results['whole'])}.", "",
             "| step | time |", "|---|---|"]
    lines += [f"| {name} | {_ms(values)} |" for name, values in results["steps"].items()]
    imports = results["imports"]
    total = [sum(values[i] for values in imports.values()) for i in range(results["rounds"])]
    lines += ["", f"The imports of `huice.cli` by package (self times, {_ms(total)} in all):", "",
              "| package | time |", "|---|---|"]
    lines += [f"| {package} | {_ms(values)} |" for package, values in list(imports.items())[:10]]
    def share(*packages: str) -> str:
        part = median([sum(imports.get(p, [0.0] * len(total))[i] for p in packages)
                       for i in range(len(total))])
        return f"{part / median(total):.0%}"

    lines += ["", "Where it goes: the imports are most of it: pandas, numpy and pyarrow (pandas "
              "imports it whenever it is installed, and the bar store needs it) are "
              f"{share('pandas', 'numpy', 'pyarrow')} of the import time, pydantic, yaml and "
              f"loguru (with the asyncio and multiprocessing it imports) "
              f"{share(*LIBRARIES)}, "
              f"huice's own modules {share('huice')} (the pydantic models of the config the "
              "largest). backtrader is no longer among them: only a run on Cerebro imports it "
              "(the broker is a plain class; Cerebro's broker contract, feeds and analyzers "
              "are imported when a Cerebro run is assembled; tests/engine/"
              "test_backtrader_lazy.py).", ""]
    paired = results["paired"]["times"]
    lines += [f"Against main at {results['baseline']}, {results['rounds']} interleaved rounds "
              "(fresh interpreters), medians [min-max]:", "",
              "| command | before | after | after / before |", "|---|---|---|---|"]
    for name, label in (("import", "`import huice.cli`"),
                        ("sweep", "the cut `run.py sweep` (9 runs, 1 worker), whole")):
        before, after = paired[f"{name} before"], paired[f"{name} after"]
        ratios = [a / b for a, b in zip(after, before)]
        lines.append(f"| {label} | {_ms(before)} | {_ms(after)} | **{median(ratios):.2f}x** "
                     f"[{min(ratios):.2f}-{max(ratios):.2f}] |")
    lines += ["", "results.csv of the two sweeps: "
              + ("identical." if results["paired"]["same"] else "DIFFERENT.")]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(measure(rounds=3)))
