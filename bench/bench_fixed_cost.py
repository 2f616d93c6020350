"""Issue 35 benchmark: where a sweep command's time goes before its first run.

Each round is a fresh interpreter (as ``run.py sweep`` is) on the 31-industry sweep example
cut to its first target: the imports of ``huice.cli`` by top-level package (``-X importtime``,
self times summed), then the steps ``run.py sweep`` takes before its first run, timed one by
one in the same process: loading the config, planning and validating every run (which builds
each run's strategy), the first run's market (files, catalog, windowing, the data gate), the
first run itself, and the re-runs the sweep report makes for its equity curves. Medians of
the rounds, with min-max; a bare ``python -c pass`` is the baseline in the same rounds.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench.timing import REPO, median

CONFIG = REPO / "config" / "examples" / "sweep_drawdown_31_industries.yaml"

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


def _wall(code: str, *args: str) -> float:
    import time

    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *args], capture_output=True, check=True,
                   cwd=REPO)
    return time.perf_counter() - start


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
    packages = sorted({p for c in imports for p in c}, key=lambda p: -median([c[p] for c in imports]))
    return {"rounds": rounds, "bare": bare, "whole": whole,
            "imports": {p: [c[p] for c in imports] for p in packages},
            "steps": {name: [s[name] for s in steps] for name in steps[0]}}


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
    lines += ["", "Where it goes: the imports are most of it, and pandas, backtrader (imported by "
              "the broker and the Cerebro runner even when a sweep runs on the fast runner), "
              "numpy and pyarrow (pandas' string dtype) are most of those; huice's own modules "
              "are about a sixth, the pydantic models of the config the largest of them. Not "
              "cut this stop: importing backtrader only for Cerebro runs needs the broker's "
              "order types separated from backtrader's, a larger change than this stop had "
              "room for."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(measure(rounds=3)))
