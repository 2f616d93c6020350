"""Issue 23 benchmark, part 2: huice's screen and exact engine against vectorbt on two grids.

1. A moving-average crossover grid on 510300.SH (2012-2023): 20 fast x 20 slow windows, 400
   pairs, long while the fast mean is above the slow one, next-open fills, 0.025% commission.
   - vectorbt: ``MA.run`` and ``Portfolio.from_signals`` over all pairs at once; the first call
     in a fresh process (numba compiling, or loading its cache) is timed apart from warm calls;
   - huice screened: a bench MA plugin with vectorised signals (``screen_weights``) through
     :func:`huice.engine.sweep.screening.screen_group`;
   - huice exact: the same plugin through the A-share engine (lean sweep runs), on 100 pairs.
2. A drawdown-reversion threshold grid over the 31 Shenwan industries (2010-2025): 81 ratios x
   4 min_history_days per industry, 10,044 combinations.
   - vectorbt: the relative drawdown and each set's entry/exit signals written in pandas/numpy
     for it, one ``from_signals`` per industry (324 columns), next-open fills;
   - huice screened: :func:`huice.engine.sweep.screening.screen_tasks` on the same grid;
   - huice, whole sweep: ``run.py sweep`` with the screen and the top 50 + 20 others confirmed
     exactly, 2 workers, in a fresh process (the acceptance figure: within 30 s);
   - huice exact: lean sweep runs on a sample of the grid, runs per second on one core.
Runs per second are medians of interleaved rounds in one process; vectorbt's warm rate is the
comparison the issue sets (the screen within 3x of it).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.bench_speed import INDUSTRIES
from bench.timing import REPO, median
from huice.engine.sweep.screen_sim import ScreenWeights
from huice.strategies.base import Strategy, StrategyParams

FASTS = list(range(5, 25))
SLOWS = list(range(30, 130, 5))
MA_START, MA_END = "2012-05-28", "2023-06-08"
COMMISSION = 0.00025
RATIOS = [round(0.2 + 0.01 * i, 2) for i in range(81)]
HISTORIES = [0, 250, 500, 750]
DD_START, DD_END = "2010-01-04", "2025-03-18"


class MaGridParams(StrategyParams):
    symbol: str = "510300.SH"
    fast: int = 10
    slow: int = 30


class MaGrid(Strategy):
    """Hold the symbol while its fast mean close is above its slow one (a bench plugin)."""

    name = "bench_ma_grid"
    Params = MaGridParams
    params: MaGridParams

    def symbols(self) -> list[str]:
        return [self.params.symbol]

    def on_bar(self, ctx) -> None:
        p = self.params
        closes = ctx.history(p.symbol)
        if len(closes) < p.slow:
            return
        above = closes[-p.fast:].mean() > closes[-p.slow:].mean()
        held = ctx.position(p.symbol) > 0
        if above and not held and not ctx.pending_orders(p.symbol):
            ctx.order_target_weights({p.symbol: 1.0})
        elif not above and held and not ctx.pending_orders(p.symbol):
            ctx.order_target_weights({})

    @classmethod
    def screen_weights(cls, market, params) -> ScreenWeights:
        close = market.bars(params[0].symbol)["close"].reindex(market.calendar).ffill()
        values = close.to_numpy(float)
        sums = np.concatenate([[0.0], np.cumsum(values)])
        days = np.arange(len(values))

        def mean(window: int) -> np.ndarray:
            out = np.full(len(values), np.nan)
            out[window - 1:] = (sums[window:] - sums[:-window]) / window
            return out

        signals = np.column_stack([np.where(days >= p.slow - 1, mean(p.fast) > mean(p.slow), 0)
                                   for p in params]).astype(float)
        changed = np.vstack([signals[:1] != 0, signals[1:] != signals[:-1]])
        return ScreenWeights([params[0].symbol], np.where(changed, signals, np.nan)[:, :, None],
                             np.zeros((len(params), 1), dtype=np.int64))


def ma_setup():
    from huice.config.schema import RunConfig
    from huice.engine.run.assembly import market_of

    config = RunConfig.model_validate({
        "name": "bench_ma_grid", "data": {"catalog": str(REPO / "data/catalog.csv"),
                                          "start": MA_START, "end": MA_END, "benchmark": None},
        "strategy": {"name": "bench_ma_grid"}, "runner": "fast",
        "broker": {"execution": "open"}})  # an ETF: 0.025% commission, as vectorbt's fees
    plugins = [MaGrid(MaGridParams(fast=f, slow=s)) for f in FASTS for s in SLOWS]
    return config, plugins, market_of(config, plugins[0])


def vectorbt_ma(close: pd.Series, opens: pd.Series):
    import vectorbt as vbt

    fast = vbt.MA.run(close, window=FASTS, short_name="fast", param_product=False)
    slow = vbt.MA.run(close, window=SLOWS, short_name="slow")
    fast_means = fast.ma.to_numpy()
    slow_means = slow.ma.to_numpy()
    above = np.concatenate([fast_means[:, [i]] > slow_means for i in range(len(FASTS))], axis=1)
    entries = pd.DataFrame(above, index=close.index)
    exits = ~entries
    portfolio = vbt.Portfolio.from_signals(
        close, entries.shift(1, fill_value=False), exits.shift(1, fill_value=False),
        price=opens, fees=COMMISSION, init_cash=1_000_000.0, freq="1D")
    return portfolio.sharpe_ratio().to_numpy()


def fresh_vectorbt_seconds() -> float:
    """vectorbt's first call in a new interpreter: import, numba compile (or cache load)."""
    code = ("import time; t = time.perf_counter(); import sys; sys.path.insert(0, '.'); "
            "from bench.bench_screen import ma_inputs, vectorbt_ma; "
            "vectorbt_ma(*ma_inputs()); print(time.perf_counter() - t)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def ma_inputs() -> tuple[pd.Series, pd.Series]:
    frame = pd.read_csv(REPO / "data/bars/510300.SH.csv.gz", index_col="date",
                        parse_dates=True).loc[MA_START:MA_END]
    return frame["close"], frame["open"]


def drawdown_grid():
    from huice.config.schema import RunConfig

    return RunConfig.model_validate({
        "name": "bench_screen_10k",
        "data": {"catalog": str(REPO / "data/catalog.csv"), "start": DD_START, "end": DD_END,
                 "benchmark": "000300.SH"},
        "strategy": {"name": "drawdown_reversion", "params": {"target": "801080.SI"}},
        "broker": {"execution": "open"},
        "sweep": {"grid": {"strategy.params.target": [c + ".SI" for c in INDUSTRIES],
                           "strategy.params.ratio": RATIOS,
                           "strategy.params.min_history_days": HISTORIES},
                  "rank_by": "sharpe", "screen": {"top": 50, "sample": 20}}})


def vectorbt_drawdown(closes: dict[str, pd.DataFrame], reference: pd.Series) -> np.ndarray:
    """The threshold grid written for vectorbt: per industry, the relative drawdown, the
    deepest completed episode so far, and each (ratio, min_history) set's entries and exits
    as columns; next-open fills. Returns each combination's Sharpe ratio, in the grid's order
    (industry, ratio, min_history)."""
    import vectorbt as vbt

    sharpes = []
    for frame in closes.values():
        joined = frame.join(reference.rename("reference"), how="inner")
        relative = joined["close"] / joined["reference"]
        relative = relative / relative.iloc[0]
        peak = relative.cummax()
        drawdown = (1 - relative / peak).where(relative < peak, 0.0)
        completed = (drawdown == 0) & (drawdown.shift(1) > 0)
        deepest = drawdown.cummax().shift(1)
        completed_max = deepest.where(completed).ffill()
        observations = np.arange(1, len(drawdown) + 1)
        entries, exits = {}, {}
        for ratio in RATIOS:
            for history in HISTORIES:
                ready = completed_max.notna().to_numpy() & (observations > history)
                entries[(ratio, history)] = ready & (drawdown > ratio * completed_max).to_numpy()
                exits[(ratio, history)] = (drawdown == 0).to_numpy()
        entry = pd.DataFrame(entries, index=joined.index).shift(1, fill_value=False)
        leave = pd.DataFrame(exits, index=joined.index).shift(1, fill_value=False)
        portfolio = vbt.Portfolio.from_signals(joined["close"], entry, leave,
                                               price=joined["open"], fees=COMMISSION,
                                               init_cash=1_000_000.0, freq="1D")
        sharpes.append(portfolio.sharpe_ratio().to_numpy())
    return np.concatenate(sharpes)


def rank_agreement(theirs: np.ndarray, ours: np.ndarray) -> dict:
    """How vectorbt's Sharpe ratios and the screen's agree over the same parameter sets: the
    Spearman rank correlation, and the median ratio of the two (vectorbt annualises a daily
    series by 365 days, huice by the config's 252 periods: sqrt(365 / 252) = 1.20)."""
    both = np.isfinite(theirs) & np.isfinite(ours) & (ours != 0)
    spearman = pd.Series(theirs[both]).corr(pd.Series(ours[both]), method="spearman")
    return {"spearman": float(spearman), "scale": float(np.median(theirs[both] / ours[both])),
            "sets": int(both.sum())}


def drawdown_inputs():
    def read(symbol: str) -> pd.DataFrame:
        return pd.read_csv(REPO / f"data/bars/{symbol}.csv.gz", index_col="date",
                           parse_dates=True).loc[DD_START:DD_END]

    closes = {c: read(c + ".SI")[["open", "close"]] for c in INDUSTRIES}
    return closes, read("000300.SH")["close"]


def whole_sweep_seconds() -> float:
    """``run.py sweep`` of the 10,044-combination grid with the screen, 2 workers, fresh."""
    import yaml

    config = drawdown_grid().model_dump(mode="json", exclude_none=True)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "grid.yaml"
        path.write_text(yaml.safe_dump(config))
        start = time.perf_counter()
        subprocess.run([sys.executable, str(REPO / "run.py"), "sweep", str(path), "--out",
                        str(Path(folder) / "out"), "--workers", "2"], check=True,
                       capture_output=True)
        return time.perf_counter() - start


def measure(rounds: int = 3) -> dict:
    from huice.engine.run.assembly import run_summary
    from huice.engine.sweep.plan import plan_sweep
    from huice.engine.sweep.screening import screen_group, screen_tasks
    from huice.engine.sweep.task import run_task, strategies_of
    from huice.strategies.factory import plugin_for

    results: dict = {"fresh_vectorbt": fresh_vectorbt_seconds()}
    close, opens = ma_inputs()
    config, plugins, market = ma_setup()
    vectorbt_ma(close, opens)
    grid = drawdown_grid()
    tasks = plan_sweep(grid)
    built = strategies_of(tasks, plugin_for)
    closes, reference = drawdown_inputs()
    vectorbt_drawdown(closes, reference)
    screen_tasks(tasks, built)
    results["agreement"] = {
        "ma": rank_agreement(vectorbt_ma(close, opens),
                             screen_group(market, config, plugins)["sharpe"].to_numpy(float)),
        "dd": rank_agreement(vectorbt_drawdown(closes, reference),
                             screen_tasks(tasks, built)["sharpe"].to_numpy(float))}
    sample = tasks[::81][:124]
    times: dict[str, list[float]] = {}

    def timed(name: str, work) -> None:
        start = time.perf_counter()
        work()
        times.setdefault(name, []).append(time.perf_counter() - start)

    for _ in range(rounds):
        timed("ma vectorbt", lambda: vectorbt_ma(close, opens))
        timed("ma screen", lambda: screen_group(market, config, plugins))
        timed("ma exact", lambda: [run_summary(config, p, market, runner="fast")
                                   for p in plugins[:100]])
        timed("dd vectorbt", lambda: vectorbt_drawdown(closes, reference))
        timed("dd screen", lambda: screen_tasks(tasks, built))
        timed("dd exact", lambda: [run_task(task, plugin_for) for task in sample])
    results["runs"] = {"ma vectorbt": len(plugins), "ma screen": len(plugins), "ma exact": 100,
                       "dd vectorbt": len(tasks), "dd screen": len(tasks),
                       "dd exact": len(sample)}
    results["seconds"] = {name: median(values) for name, values in times.items()}
    results["pairs"] = {grid: [v / s for v, s in zip(times[f"{grid} vectorbt"],
                                                     times[f"{grid} screen"])]
                        for grid in ("ma", "dd")}
    results["validate"] = validate_seconds(tasks)
    results["whole_sweep"] = [whole_sweep_seconds() for _ in range(2)]
    return results


def validate_seconds(tasks) -> float:
    from huice.engine.sweep.task import strategies_of
    from huice.strategies.factory import plugin_for

    start = time.perf_counter()
    strategies_of(tasks, plugin_for)
    return time.perf_counter() - start


def _agreement(results: dict, grid: str) -> str:
    found = results.get("agreement", {}).get(grid)
    if not found:
        return "not measured"
    return (f"Spearman {found['spearman']:.4f} over {found['sets']:,} sets (tolerance 0.99); "
            f"vectorbt / huice {found['scale']:.2f}")


def markdown(results: dict) -> str:
    runs, seconds = results["runs"], results["seconds"]

    def rate(name: str) -> float:
        return runs[name] / seconds[name]

    lines = ["## Screening against vectorbt (issue 23)", "",
             "Runs per second, medians of interleaved rounds in one process (vectorbt warm: "
             "its numba functions compiled). The screen is approximate (next-open fills, "
             "proportional costs, no lots, limits or T+1); exact is the A-share engine's "
             "lean sweep run, one core.", "",
             "| grid | vectorbt (warm) | huice screen | huice exact | screen / vectorbt | "
             "Sharpe ranks against vectorbt's |",
             "|---|---|---|---|---|---|"]
    for grid, title in (("ma", f"MA crossover, 510300.SH, {runs['ma screen']} pairs"),
                        ("dd", f"drawdown reversion, 31 industries, {runs['dd screen']:,} "
                               "combinations")):
        pairs = ", ".join(f"{p:.2f}" for p in results["pairs"][grid])
        lines.append(f"| {title} | {rate(f'{grid} vectorbt'):,.0f}/s | "
                     f"{rate(f'{grid} screen'):,.0f}/s | {rate(f'{grid} exact'):.1f}/s | "
                     f"{rate(f'{grid} screen') / rate(f'{grid} vectorbt'):.2f}x "
                     f"(rounds: {pairs}) | {_agreement(results, grid)} |")
    whole = ", ".join(f"{s:.1f} s" for s in results["whole_sweep"])
    lines += ["", f"vectorbt's first call in a fresh interpreter (import, numba compile or "
              f"cache load, the MA grid): {results['fresh_vectorbt']:.1f} s.",
              f"Validating the 10,044 run configs and strategies (before anything runs, "
              f"once per sweep): {results['validate']:.1f} s.",
              f"The whole `run.py sweep` of the 10,044-combination grid with the screen and "
              f"the top 50 + 20 others confirmed exactly, 2 workers, fresh interpreter: "
              f"{whole} (target: within 30 s).", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(measure()))
