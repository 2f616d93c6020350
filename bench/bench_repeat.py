"""Issue 20's parse cache: a backtest run again in the same process (a notebook's second run, a
test session's many runs of one example) against the same run with every bar file parsed again
(what each run did before: ``forget_parsed_bars`` first).

Examples: industry rotation (32 bar files, 2013-2025) and the ETF barbell (3 files), the engine's
own runner, interleaved rounds; the metrics are checked equal."""

from __future__ import annotations

from bench.timing import REPO, interleaved, median

EXAMPLES = ("industry_rotation", "barbell_etf")


def measure(rounds: int = 5) -> dict:
    import huice
    from huice.feeds.csv_source import forget_parsed_bars

    results = {}
    for name in EXAMPLES:
        config = huice.load_config(REPO / "config" / "examples" / f"{name}.yaml")
        seen: list[float] = []

        def parsed(config=config, seen=seen) -> None:
            forget_parsed_bars()
            seen.append(huice.backtest(config, runner="fast").metrics.total_return)

        def kept(config=config, seen=seen) -> None:
            seen.append(huice.backtest(config, runner="fast").metrics.total_return)

        times = interleaved({"parsed": parsed, "kept": kept}, rounds)
        assert len(set(seen)) == 1, f"{name}: the runs' figures differ"
        results[name] = {way: median(values) for way, values in times.items()}
    return {"rounds": rounds, "examples": results}


def markdown(results: dict) -> str:
    lines = ["## A backtest run again in one process: bar files parsed once (issue 20)", "",
             "The engine's own runner, median of "
             f"{results['rounds']} interleaved rounds. parsed: every bar file read and validated "
             "again (what every run did before); kept: the frames parsed by an earlier run of "
             "the same bytes (read_bars_csv keeps them by path and SHA-256 of the content). "
             "Each run's total return is checked equal.", "",
             "| example | parsed | kept | ratio |", "|---|---|---|---|"]
    for name, times in results["examples"].items():
        lines.append(f"| {name} | {times['parsed']:.2f} s | {times['kept']:.2f} s | "
                     f"**{times['parsed'] / times['kept']:.2f}x** |")
    return "\n".join(lines + [""])


if __name__ == "__main__":
    print(markdown(measure()))
