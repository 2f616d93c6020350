"""Issue 21 benchmark: what one evening's paper step costs as the account's history grows.

A barbell of 510300.SH and 159915.SZ (bundled unadjusted bars, monthly rebalance) is booked
through its history once; then one step books one new day, timed on fresh copies of the booked
state. A huice strategy's step runs only the new days from the booked state; the baseline is a
backtest over the same history, which is what every step cost before (the account re-simulated
its whole history each poll) and what a backtrader strategy's step still costs.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bench.timing import interleaved, median

YEARS = (1, 5, 10)
LAST = "2023-01-03"     # the day each step books
START = {1: "2022-01-04", 5: "2018-01-02", 10: "2013-01-04"}


def _config(state: Path, start: str):
    import huice

    return huice.load_config({
        "name": "paper_step_bench",
        "data": {"start": start, "end": LAST, "benchmark": "000300.SH"},
        "strategy": {"name": "barbell", "params": {
            "legs": [{"symbol": "510300.SH", "weight": 0.5},
                     {"symbol": "159915.SZ", "weight": 0.5}], "rebalance": "monthly"}},
        "paper": {"state": str(state), "source": {"kind": "replay", "start": "2022-12-30",
                                                  "days_per_poll": 1}, "poll_seconds": 0}})


def measure(rounds: int = 5) -> dict:
    import huice

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for years in YEARS:
            booked = Path(tmp) / f"booked_{years}.sqlite"
            huice.paper_run(_config(booked, START[years]), once=True)  # through 2022-12-30
            copies = iter(range(10_000))

            def step(years: int = years, booked: Path = booked,
                     copies: Iterator[int] = copies) -> None:
                copy = Path(tmp) / f"step_{years}_{next(copies)}.sqlite"
                shutil.copy(booked, copy)
                done = huice.paper_run(_config(copy, START[years]), once=True)
                assert done.booked == 1, done

            def backtest(years: int = years) -> None:
                config = _config(Path(tmp) / "unused.sqlite", START[years])
                huice.backtest(config)

            times = interleaved({"step": step, "backtest": backtest}, rounds)
            results[years] = {name: median(values) for name, values in times.items()}
    return results


def markdown(results: dict) -> str:
    rows = "\n".join(
        f"| {years} | {r['step']:.3f} s | {r['backtest']:.3f} s | {r['step'] / r['backtest']:.2f}x |"
        for years, r in results.items())
    growth = results[YEARS[-1]]["step"] / results[YEARS[0]]["step"]
    return ("## A paper step as history grows (issue 21)\n\n"
            "One evening's step (book one new day) of a barbell of 510300.SH and 159915.SZ, on "
            "copies of an account booked through 2022-12-30 from 1, 5 and 10 years earlier; "
            "medians. A huice strategy's step runs only the new day from the booked broker and "
            "strategy state; the baseline is a backtest over the same history, which is what "
            "each step cost when the account re-simulated its history (and what a backtrader "
            "strategy's step still costs: its state lives in Python objects).\n\n"
            "| years of history | step | backtest over the history | step / backtest |\n"
            "|---|---|---|---|\n" + rows
            + f"\n\nThe step at {YEARS[-1]} years costs {growth:.2f}x the step at {YEARS[0]} "
            "year. What a step still does over the whole history (loading and validating the "
            "bars, preparing the strategy's arrays) is a small part of it.\n")


if __name__ == "__main__":
    print(markdown(measure()))
