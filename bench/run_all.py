"""Run every benchmark and rewrite bench/RESULTS.md (``make bench``).

``python bench/run_all.py bench_report_run ...`` runs only the named ones and replaces their
sections in RESULTS.md, leaving the others as they were (each section says its own date)."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loguru import logger

BENCHMARKS = ["bench_report_run", "bench_broker_rules", "bench_sweep", "bench_sweep_lean",
              "bench_screen", "bench_etf_flow", "bench_native", "bench_store", "bench_speed",
              "bench_akquant", "bench_paper_step", "bench_repeat", "bench_data_gate",
              "bench_fixed_cost", "bench_runs_once", "bench_run_phases", "bench_sweep_marginal",
              "bench_every_example"]


RESULTS = Path(__file__).parent / "RESULTS.md"


def machine() -> str:
    return (f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} "
            f"CPUs, {platform.machine()}")


def replace_sections(text: str, sections: list[str]) -> str:
    """``text`` with each section (a block from its ``## `` heading to the next) replaced by the
    new one of the same heading, or appended when it had none."""
    for section in sections:
        heading = section.splitlines()[0]
        start = text.find(heading + "\n")
        if start < 0:
            text = text.rstrip("\n") + "\n\n" + section
            continue
        end = text.find("\n## ", start + len(heading))
        text = text[:start] + section.rstrip("\n") + "\n" + (text[end:] if end >= 0 else "")
    return text


def main(argv: list[str] | None = None) -> int:
    logger.remove()
    import importlib

    chosen = list(argv if argv is not None else sys.argv[1:]) or BENCHMARKS
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}",
              file=sys.stderr)
        return 2
    from bench.timing import compile_tree

    compile_tree()
    sections = []
    for name in chosen:
        module = importlib.import_module(f"bench.{name}")
        print(f"running {name} ...", flush=True)
        section = module.markdown(module.measure())
        if chosen != BENCHMARKS:
            heading, _, rest = section.partition("\n")
            section = (f"{heading}\n\n(Run alone on {dt.date.today().isoformat()}: "
                       f"{machine()}.)\n{rest}")
        sections.append(section)
    if chosen != BENCHMARKS and RESULTS.is_file():
        text = replace_sections(RESULTS.read_text(encoding="utf-8"), sections)
    else:
        header = (f"# Benchmark results\n\nWritten by `make bench` ({Path(__file__).name}) on "
                  f"{dt.date.today().isoformat()}: {machine()}. "
                  "Every figure is a ratio to a baseline measured in the same run, candidates "
                  "interleaved round by round, because machines here are noisy.\n")
        text = header + "\n" + "\n".join(sections)
    RESULTS.write_text(text, encoding="utf-8")
    print("\n".join(sections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
