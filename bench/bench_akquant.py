"""Issue 14 benchmark: huice's fast runner against AKQuant (PyPI ``akquant``, a Rust-core
A-share engine; ``pip install -e ".[bench]"``) on the same two workloads, with fills compared.

1. MA crossover on 510300.SH (unadjusted, 2012-05-28 .. 2023-06-08, about 2,700 bars): long
   1,000 units while the 10-day mean close is above the 30-day mean, flat otherwise.
2. Momentum rotation on the synthetic 100 ETFs x 2,500 days universe (bench/synthetic_universe.py):
   on the first bar of each month, hold the 5 ETFs with the best 60-day return, 5,000 units each
   (sell what dropped out, buy what came in).

Both engines: the same bars, decisions at a bar's close, fills at the next bar's open, no costs,
no slippage, lots of 100; both are timed from data already in memory (huice: frames handed to
run_backtest; AKQuant: its long DataFrame) to the finished result, interleaved round by round.
Fills are compared by (date, symbol, side, quantity, price).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.synthetic_universe import synthetic_universe
from bench.timing import REPO, interleaved, median
from huice.strategies.base import Strategy, StrategyParams

BARS = REPO / "data" / "bars" / "510300.SH.csv.gz"
START, END = "2012-05-28", "2023-06-08"
FAST, SLOW, STAKE = 10, 30, 1000
LOOKBACK, TOP, UNITS = 60, 5, 5000


class MaCrossParams(StrategyParams):
    symbol: str = "510300.SH"


class MaCross(Strategy):
    """Long STAKE units while the fast mean is above the slow one."""

    Params = MaCrossParams

    def symbols(self):
        return [self.params.symbol]

    def on_bar(self, ctx):
        closes = ctx.history(self.params.symbol)
        if len(closes) < SLOW:
            return
        fast, slow = closes[-FAST:].mean(), closes[-SLOW:].mean()
        held = ctx.position(self.params.symbol)
        if fast > slow and held == 0:
            ctx.buy(self.params.symbol, STAKE)
        elif fast <= slow and held > 0:
            ctx.sell(self.params.symbol, held)


class MomentumParams(StrategyParams):
    universe: list[str]


class Momentum(Strategy):
    """First bar of each month: hold the TOP best LOOKBACK-day returns, UNITS units each."""

    Params = MomentumParams

    def symbols(self):
        return list(self.params.universe)

    def prepare(self, market):
        self.month = None

    def on_bar(self, ctx):
        month = (ctx.today.year, ctx.today.month)
        if month == self.month:
            return
        self.month = month
        chosen = choose([ctx.history(s) for s in self.params.universe], self.params.universe)
        if chosen is not None:
            for side, symbol, quantity in rotation_orders(chosen, self.params.universe,
                                                          ctx.position):
                (ctx.buy if side == "buy" else ctx.sell)(symbol, quantity)


def choose(histories: list[np.ndarray], universe: list[str]) -> list[str] | None:
    """The TOP symbols by LOOKBACK-day return (ties: the earlier symbol), or None too early."""
    if min(len(h) for h in histories) <= LOOKBACK:
        return None
    momentum = np.array([h[-1] / h[-1 - LOOKBACK] - 1.0 for h in histories])
    order = np.lexsort((np.arange(len(universe)), -momentum))
    return [universe[i] for i in order[:TOP]]


def rotation_orders(chosen: list[str], universe: list[str], held_of) -> list[tuple[str, str, float]]:
    """(side, symbol, quantity): sell what dropped out, buy UNITS of what came in."""
    orders = [("sell", s, held_of(s)) for s in universe if held_of(s) > 0 and s not in chosen]
    return orders + [("buy", s, UNITS) for s in chosen if held_of(s) == 0]


def ma_frames() -> dict[str, pd.DataFrame]:
    frame = pd.read_csv(BARS, index_col="date", parse_dates=True).loc[START:END]
    return {"510300.SH": frame[["open", "high", "low", "close", "volume", "amount"]]}


def huice_run(strategy: Strategy, frames: dict[str, pd.DataFrame], instruments=None):
    from huice.config.schema import RunConfig
    from huice.engine.run.assembly import run_backtest

    first = min(f.index[0] for f in frames.values()).date()
    last = max(f.index[-1] for f in frames.values()).date()
    config = RunConfig.model_validate({
        "name": "bench_akquant", "data": {"benchmark": None, "calendar": "data",
                                          "start": first, "end": last},
        "strategy": {"name": "bench"}, "runner": "fast",
        "broker": {"execution": "open", "costs": "none"}})
    return run_backtest(config, strategy, frames=frames, instruments=instruments,
                        progress=False, runner="fast")


def akquant_frame(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    parts = []
    for symbol, frame in frames.items():
        parts.append(pd.DataFrame({
            "timestamp": frame.index + pd.Timedelta(hours=15), "open": frame["open"].to_numpy(),
            "high": frame["high"].to_numpy(), "low": frame["low"].to_numpy(),
            "close": frame["close"].to_numpy(), "volume": frame["volume"].to_numpy(),
            "symbol": symbol}))
    return pd.concat(parts, ignore_index=True)


def akquant_strategies():
    import akquant as aq

    class AkMaCross(aq.Strategy):
        def on_bar(self, bar):
            closes = self.get_history(SLOW, bar.symbol, "close")
            if len(closes) < SLOW or np.isnan(closes).any():
                return
            fast, slow = closes[-FAST:].mean(), closes.mean()
            held = self.get_position(bar.symbol)
            if fast > slow and held == 0:
                self.buy(bar.symbol, STAKE)
            elif fast <= slow and held > 0:
                self.sell(bar.symbol, held)

    class AkMomentum(aq.Strategy):
        universe: list[str] = []  # noqa: RUF012 (AKQuant reads it as a class attribute)

        def on_start(self):
            self.month = None

        def on_cross_section(self, trading_date, timestamp):
            month = (trading_date.year, trading_date.month)
            if month == self.month:
                return
            self.month = month
            histories = [self.get_history(LOOKBACK + 1, s, "close") for s in self.universe]
            if any(len(h) <= LOOKBACK or np.isnan(h).any() for h in histories):
                return
            chosen = choose(histories, self.universe)
            for side, symbol, quantity in rotation_orders(chosen, self.universe,
                                                          self.get_position):
                (self.buy if side == "buy" else self.sell)(symbol, quantity)

    return AkMaCross, AkMomentum


def akquant_run(strategy, data: pd.DataFrame, symbols: list[str], depth: int):
    import akquant as aq

    return aq.run_backtest(data=data, strategy=strategy, symbols=symbols,
                           initial_cash=1_000_000.0, commission_rate=0.0, stamp_tax_rate=0.0,
                           transfer_fee_rate=0.0, min_commission=0.0, history_depth=depth,
                           lot_size=100, show_progress=False, fill_policy=aq.NextOpen(),
                           t_plus_one=True)


def huice_fills(result) -> pd.DataFrame:
    fills = result.fills
    dates = pd.to_datetime(fills["date"]).dt.strftime("%Y-%m-%d")
    return pd.DataFrame({"date": dates, "symbol": fills["symbol"], "side": fills["side"],
                         "quantity": fills["quantity"].astype(float),
                         "price": fills["price"].round(6)})


def akquant_fills(result) -> pd.DataFrame:
    fills = pd.DataFrame(result.get_executions_dict())
    if fills.empty:
        return pd.DataFrame(columns=["date", "symbol", "side", "quantity", "price"])
    dates = (pd.to_datetime(fills["timestamp"], utc=True).dt.tz_convert("Asia/Shanghai")
             .dt.strftime("%Y-%m-%d"))
    return pd.DataFrame({"date": dates, "symbol": fills["symbol"],
                         "side": fills["side"].str.lower(),
                         "quantity": fills["quantity"].astype(float),
                         "price": fills["price"].astype(float).round(6)})


def compare_fills(ours: pd.DataFrame, theirs: pd.DataFrame) -> dict:
    key = ["date", "symbol", "side", "quantity", "price"]
    a = set(map(tuple, ours[key].itertuples(index=False)))
    b = set(map(tuple, theirs[key].itertuples(index=False)))
    return {"huice": len(ours), "akquant": len(theirs), "identical": len(a & b),
            "only_huice": sorted(a - b)[:3], "only_akquant": sorted(b - a)[:3]}


def workloads():
    from huice.feeds.catalog import Instrument

    AkMaCross, AkMomentum = akquant_strategies()
    ma = ma_frames()
    ma_instruments = {"510300.SH": Instrument(symbol="510300.SH", name="CSI 300 ETF",
                                              asset_class="etf", board="main")}
    frames, instruments = synthetic_universe(100, 2500)
    universe = list(frames)
    AkMomentum.universe = universe
    ma_long, universe_long = akquant_frame(ma), akquant_frame(frames)
    return {
        "MA crossover, 510300.SH": (
            sum(len(f) for f in ma.values()),
            lambda: huice_run(MaCross.from_params({"symbol": "510300.SH"}), ma, ma_instruments),
            lambda: akquant_run(AkMaCross, ma_long, ["510300.SH"], SLOW)),
        "momentum top 5 of 100 ETFs, monthly": (
            sum(len(f) for f in frames.values()),
            lambda: huice_run(Momentum.from_params({"universe": universe}), frames, instruments),
            lambda: akquant_run(AkMomentum, universe_long, universe, LOOKBACK + 1)),
    }


def strategy_arithmetic(frames: dict[str, pd.DataFrame]) -> float:
    """Seconds the MA crossover's own numpy means take over the run, outside any engine: the
    part of both candidates' time that is the strategy and not the engine."""
    import time

    closes = next(iter(frames.values()))["close"].to_numpy(dtype=float)
    start = time.perf_counter()
    for end in range(SLOW, len(closes) + 1):
        history = closes[:end]
        _ = history[-FAST:].mean() > history[-SLOW:].mean()
    return time.perf_counter() - start


def measure(rounds: int = 5) -> dict:
    import logging

    from loguru import logger

    logger.remove()  # AKQuant logs through loguru and logging at INFO on every run
    logging.getLogger("akquant").setLevel(logging.ERROR)
    results = {}
    for name, (bars, ours, theirs) in workloads().items():
        fills = compare_fills(huice_fills(ours()), akquant_fills(theirs()))
        times = interleaved({"akquant": theirs, "huice fast": ours}, rounds)
        results[name] = {"bars": bars, "fills": fills, "strategy": median(
                             [strategy_arithmetic(ma_frames()) for _ in range(rounds)])
                         if name.startswith("MA") else None,
                         "akquant": median(times["akquant"]), "huice": median(times["huice fast"]),
                         "pairs": [a / h for a, h in zip(times["akquant"], times["huice fast"])]}
    return results


def markdown(results: dict) -> str:
    lines = ["## huice fast runner vs AKQuant (issue 14)", "",
             "Same bars, decisions at the close, fills at the next open, no costs, lots of 100, "
             "data in memory; medians of interleaved rounds. Target: huice's fast runner at "
             "least 3x AKQuant's bars per second.", "",
             "| workload | bars | AKQuant s | huice fast s | AKQuant bars/s | huice bars/s | "
             "huice / AKQuant | fills: huice, AKQuant, identical |", "|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        f = r["fills"]
        lines.append(f"| {name} | {r['bars']:,} | {r['akquant']:.3f} | {r['huice']:.3f} | "
                     f"{r['bars'] / r['akquant']:,.0f} | {r['bars'] / r['huice']:,.0f} | "
                     f"{r['akquant'] / r['huice']:.2f}x | {f['huice']}, {f['akquant']}, "
                     f"{f['identical']} |")
    for name, r in results.items():
        if r["strategy"]:
            own = r["strategy"]
            lines.append(f"\n{name}: the strategy's own arithmetic (two numpy means a bar) takes "
                         f"{own:.3f} s of each candidate's run; without it, engine against "
                         f"engine, huice's fast runner is {(r['akquant'] - own) / (r['huice'] - own):.2f}x "
                         f"AKQuant.")
        f = r["fills"]
        if f["only_huice"] or f["only_akquant"]:
            lines.append(f"\n{name}: first fills only in huice {f['only_huice']}; only in "
                         f"AKQuant {f['only_akquant']}.")
        lines.append(f"\n{name}: per-round ratios "
                     + ", ".join(f"{p:.2f}" for p in r["pairs"]) + ".")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(measure(rounds=3)))
