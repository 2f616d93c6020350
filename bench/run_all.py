"""Run every benchmark and rewrite bench/RESULTS.md (``make bench``)."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loguru import logger

BENCHMARKS = ["bench_report_run", "bench_broker_rules", "bench_sweep", "bench_etf_flow",
              "bench_native", "bench_store", "bench_speed", "bench_akquant", "bench_paper_step"]


def main() -> int:
    logger.remove()
    import importlib

    sections = []
    for name in BENCHMARKS:
        module = importlib.import_module(f"bench.{name}")
        print(f"running {name} ...", flush=True)
        sections.append(module.markdown(module.measure()))
    header = (f"# Benchmark results\n\nWritten by `make bench` ({Path(__file__).name}) on "
              f"{dt.date.today().isoformat()}: {platform.python_implementation()} "
              f"{platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}. "
              "Every figure is a ratio to a baseline measured in the same run, candidates "
              "interleaved round by round, because machines here are noisy.\n")
    text = header + "\n" + "\n".join(sections)
    (Path(__file__).parent / "RESULTS.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
