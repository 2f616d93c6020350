"""Issue 11 benchmark: a native backtrader strategy under huice against a raw backtrader script
doing the same with backtrader's own BackBroker.

Workload: the SMA crossover of docs/backtrader-strategies.md (10/30 days, 1,000 units) on
510300.SH (unadjusted bars 2012-05-28 .. 2023-06-08, about 2,700 days). Both candidates read
the same gzip CSV, build a Cerebro, run, and read the final value; huice also applies the A-share
rules, builds every output table and computes the metrics (no files written). Interleaved,
in the same process after a warm-up.
"""

from __future__ import annotations

import backtrader as bt
import pandas as pd

from bench.timing import REPO, interleaved, median

BARS = REPO / "data" / "bars" / "510300.SH.csv.gz"
START, END = "2012-05-28", "2023-06-08"


class SmaCross(bt.Strategy):
    params = dict(pfast=10, pslow=30, stake=1000)  # noqa: RUF012 (backtrader's params)

    def __init__(self):
        sma1 = bt.ind.SMA(period=self.p.pfast)
        sma2 = bt.ind.SMA(period=self.p.pslow)
        self.crossover = bt.ind.CrossOver(sma1, sma2)

    def next(self):
        if not self.position:
            if self.crossover > 0:
                self.buy(size=self.p.stake)
        elif self.crossover < 0:
            self.close()


def raw_backtrader() -> float:
    frame = pd.read_csv(BARS, index_col="date", parse_dates=True).loc[START:END]
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(bt.feeds.PandasData(dataname=frame, openinterest=None), name="510300.SH")
    cerebro.broker.setcash(1_000_000)
    cerebro.broker.setcommission(commission=0.00025)
    cerebro.addstrategy(SmaCross)
    cerebro.run()
    return cerebro.broker.getvalue()


def huice_native() -> float:
    import huice

    config = {"name": "bench_native", "data": {"start": START, "end": END, "benchmark": None},
              "strategy": {"name": "sma", "instruments": ["510300.SH"]}}
    return huice.backtest(config, strategy=SmaCross).metrics.final_equity


def measure(rounds: int = 7) -> dict:
    times = interleaved({"raw backtrader (BackBroker)": raw_backtrader,
                         "huice, native strategy": huice_native}, rounds)
    return {name: median(values) for name, values in times.items()}


def markdown(results: dict) -> str:
    base = results["raw backtrader (BackBroker)"]
    rows = "\n".join(f"| {name} | {seconds * 1000:.0f} ms | {seconds / base:.2f}x |"
                     for name, seconds in results.items())
    return ("## Native backtrader strategy (issue 11)\n\n"
            "The SMA crossover of docs/backtrader-strategies.md on 510300.SH, 2012-2023 (about "
            "2,700 bars): huice's A-share broker, ledger, result tables and metrics against a raw "
            "backtrader script with BackBroker on the same file. Target: at most 1.3x.\n\n"
            "| candidate | median | ratio |\n|---|---|---|\n" + rows + "\n")


if __name__ == "__main__":
    print(markdown(measure()))
