"""Issue 35 benchmark: the fast runner against Cerebro on every bundled backtest example.

Each example's config (config/examples, the sweep, walk-forward and paper ones left out: their
runs are these runs) is run by ``run_backtest`` on both runners over the same market, loaded
once, in interleaved rounds; the speed-up is the median of the paired rounds. Beside each
ratio, the check that the two runs booked the same fills and the same equity, to the float.
"""

from __future__ import annotations

from bench.timing import REPO, interleaved, median

EXAMPLES = REPO / "config" / "examples"
NOT_BACKTESTS = ("sweep_", "walk_forward", "paper_")


def examples() -> list[str]:
    return sorted(path.stem for path in EXAMPLES.glob("*.yaml")
                  if not path.stem.startswith(NOT_BACKTESTS))


def _runner(run_backtest, config, market, way: str, outcome: dict):
    """One candidate: the example on runner ``way``, its result kept in ``outcome``."""
    import huice

    def run() -> None:
        outcome[way] = run_backtest(config, huice.build_strategy(config), market=market,
                                    runner=way)
    return run


def measure(rounds: int = 3) -> dict:
    import pandas as pd

    import huice
    from huice.engine.run.assembly import market_of, run_backtest

    results = {}
    for name in examples():
        config = huice.load_config(EXAMPLES / f"{name}.yaml")
        market = market_of(config, huice.build_strategy(config))
        outcome: dict = {}
        times = interleaved({way: _runner(run_backtest, config, market, way, outcome)
                             for way in ("cerebro", "fast")}, rounds)
        cerebro, fast = outcome["cerebro"], outcome["fast"]
        try:
            pd.testing.assert_frame_equal(cerebro.equity, fast.equity, check_exact=True)
            pd.testing.assert_frame_equal(cerebro.fills, fast.fills, check_exact=True)
            same = True
        except AssertionError:
            same = False
        results[name] = {"cerebro": times["cerebro"], "fast": times["fast"],
                         "fills": len(fast.fills), "bars": len(fast.equity), "same": same}
    return results


def markdown(results: dict) -> str:
    lines = ["## Fast runner against Cerebro on every example (issue 35)", "",
             "Each bundled backtest example, `run_backtest` on both runners over the same market "
             "(loaded once), interleaved rounds, medians; target: fast at least 3x Cerebro on "
             "every one (bench/bench_every_example.py).", "",
             "| example | bars | fills | cerebro | fast | speed-up [rounds] | equity and fills |",
             "|---|---|---|---|---|---|---|"]
    for name, figures in results.items():
        pairs = [c / f for c, f in zip(figures["cerebro"], figures["fast"])]
        lines.append(f"| {name} | {figures['bars']:,} | {figures['fills']:,} | "
                     f"{median(figures['cerebro']):.3f} s | {median(figures['fast']):.3f} s | "
                     f"**{median(pairs):.1f}x** [{min(pairs):.1f}-{max(pairs):.1f}] | "
                     f"{'identical' if figures['same'] else 'DIFFERENT'} |")
    slowest = min(results, key=lambda n: median([c / f for c, f in zip(results[n]["cerebro"],
                                                                      results[n]["fast"])]))
    lines += ["", f"The smallest speed-up is {slowest}'s."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(measure(rounds=1)))
