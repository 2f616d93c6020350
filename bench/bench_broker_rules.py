"""Issue 3 benchmark: the full A-share rule set against the bare broker on the same run.

Workload: six real ETFs (forward-adjusted bars, 2019-07 .. 2025-07), rebalanced to seeded random
target weights every 5 trading days through the ``target_weights`` replay strategy (about 290
rebalances, ~1,700 fills). Candidates, interleaved round by round:

- full rules: A-share costs (one ETF configured as a stock, so stamp duty and transfer fee are
  charged), 0.1% slippage, a 10% volume cap, lots, T+1, price limits, next-open fills;
- bare: the same broker with every rule but lots off (no costs, slippage, limits, cap; T+0);
- backtrader's own BackBroker running the same weights with ``order_target_percent``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import backtrader as bt
import numpy as np
import pandas as pd

from bench.timing import interleaved, median

SYMBOLS = ["510300.SH.qfq", "510500.SH.qfq", "159915.SZ.qfq", "515180.SH.qfq", "512100.SH.qfq",
           "518880.SH.qfq"]
START, END = "2019-07-01", "2025-07-04"


def write_weights(folder: Path) -> Path:
    """Seeded random weights (summing to 0.95) every 5th trading day of 510300's calendar."""
    from huice.feeds.catalog import BUNDLED_CATALOG, read_catalog
    from huice.feeds.csv_source import read_bars_csv

    catalog = read_catalog(BUNDLED_CATALOG)
    dates = read_bars_csv(catalog.lookup(SYMBOLS[0])[1]).loc[START:END].index[::5]
    rng = np.random.default_rng(7)
    rows = []
    for day in dates:
        weights = rng.dirichlet(np.ones(len(SYMBOLS))) * 0.95
        rows += [(day.strftime("%Y-%m-%d"), s, round(float(w), 4)) for s, w in zip(SYMBOLS, weights)]
    path = folder / "weights.csv"
    pd.DataFrame(rows, columns=["date", "symbol", "weight"]).to_csv(path, index=False)
    return path


def huice_run(weights: Path, broker: dict):
    from huice.config.schema import RunConfig
    from huice.engine.run.assembly import run_backtest
    from huice.strategies.replay import ReplayTargetWeights

    params = {"path": str(weights)}
    config = RunConfig.model_validate({"name": "bench", "data": {"start": START, "end": END,
                                                                 "benchmark": None},
                                       "strategy": {"name": "target_weights", "params": params},
                                       "broker": broker})

    def run():
        return run_backtest(config, ReplayTargetWeights.from_params(params))
    return run


FULL = {"execution": "open", "costs": "a_share", "slippage": {"kind": "percent", "value": 0.001},
        "volume_cap": {"max_participation": 0.1}, "instruments": {SYMBOLS[0]: {"asset_class": "stock"}}}
# lots kept, so both runs place comparable orders; everything else off
BARE = {"execution": "open", "costs": "none",
        "instruments": {s: {"price_limit": 0, "t_plus": 0} for s in SYMBOLS}}


class TargetWeightsBT(bt.Strategy):
    params = (("schedule", None),)

    def next(self):
        weights = self.p.schedule.get(self.datetime.date(0))
        if weights:
            for data in sorted(self.datas, key=lambda d: weights.get(d._name, 0)):
                self.order_target_percent(data, target=weights.get(data._name, 0.0))


def backtrader_run(weights: Path):
    from huice.feeds.btfeed import feed_for
    from huice.feeds.catalog import BUNDLED_CATALOG, read_catalog
    from huice.feeds.csv_source import read_bars_csv

    frame = pd.read_csv(weights)
    schedule: dict = {}
    for row in frame.itertuples():
        schedule.setdefault(pd.Timestamp(row.date).date(), {})[row.symbol] = row.weight

    def run():
        catalog = read_catalog(BUNDLED_CATALOG)
        cerebro = bt.Cerebro(stdstats=False)
        for symbol in SYMBOLS:
            cerebro.adddata(feed_for(read_bars_csv(catalog.lookup(symbol)[1]).loc[START:END], symbol))
        cerebro.broker.setcash(1_000_000.0)
        cerebro.broker.setcommission(commission=0.00025)
        cerebro.addstrategy(TargetWeightsBT, schedule=schedule)
        cerebro.run()
    return run


def measure(rounds: int = 5) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        weights = write_weights(Path(tmp))
        full, bare = huice_run(weights, FULL), huice_run(weights, BARE)
        fills = {"full": len(full().fills), "bare": len(bare().fills)}
        times = interleaved({"huice broker, rules off (bare)": bare,
                             "huice broker, full A-share rules": full,
                             "backtrader BackBroker, same weights": backtrader_run(weights)},
                            rounds)
    return {"times": times, "fills": fills}


def markdown(results: dict) -> str:
    times = results["times"]
    baseline = median(times["huice broker, rules off (bare)"])
    lines = ["## Broker rule overhead (issue 3)", "",
             f"Six ETFs 2019-07 .. 2025-07, rebalanced every 5 days ({results['fills']['full']} "
             f"fills with full rules, {results['fills']['bare']} bare). Target: full rules at "
             "most 1.3x the bare broker.", "",
             "| candidate | median s | ratio to bare |", "|---|---|---|"]
    for name, values in times.items():
        lines.append(f"| {name} | {median(values):.3f} | {median(values) / baseline:.2f}x |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(measure()))
