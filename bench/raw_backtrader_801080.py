"""A minimal raw-backtrader script doing the 801080 published-tracking run: the baseline that
huice's end-to-end time is compared against. It reads the same bundled files, builds the ratio,
computes the whole-window threshold, and trades the ratio at the close with no costs."""

from __future__ import annotations

from pathlib import Path

import backtrader as bt
import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent.parent / "data" / "bars"


class FractionalCommission(bt.CommInfoBase):
    params = (("stocklike", True), ("commtype", bt.CommInfoBase.COMM_PERC), ("commission", 0.0))

    def getsize(self, price, cash):
        return cash / price  # fractional units of the ratio


def threshold(drawdown: np.ndarray, share: float = 0.8, ratio: float = 0.8) -> float:
    depths, depth, inside = [], 0.0, False
    for value in drawdown:
        if value > 0:
            inside, depth = True, max(depth, value)
        elif inside:
            depths.append(depth)
            inside, depth = False, 0.0
    kept = sorted(depths, reverse=True)
    while True:
        running = np.cumsum(kept)
        count = int(np.argmax(running >= share * running[-1])) + 1
        if count == len(kept):
            return ratio * kept[0]
        kept = kept[:count]


class Reversion(bt.Strategy):
    params = (("theta", 0.0),)

    def __init__(self):
        self.peak = 0.0
        self.signal = 0

    def next(self):
        r = self.data.close[0]
        self.peak = max(self.peak, r)
        w = 1.0 - r / self.peak
        if w > self.p.theta:
            self.signal = 1
        elif w == 0:
            self.signal = 0
        if self.signal and not self.position:
            self.order_target_percent(target=1.0)
        elif not self.signal and self.position:
            self.close()


def run() -> float:
    target = pd.read_csv(DATA / "801080.SI.csv.gz", index_col="date", parse_dates=True)
    reference = pd.read_csv(DATA / "000300.SH.csv.gz", index_col="date", parse_dates=True)
    target, reference = target.loc["2010-01-04":"2025-03-18"], reference.loc["2010-01-04":"2025-03-18"]
    joined = target[["close"]].join(reference[["close"]].add_suffix("_b"), how="inner")
    r = joined["close"] / joined["close_b"]
    r = r / r.iloc[0]
    theta = threshold((1 - r / r.cummax()).to_numpy())
    frame = pd.DataFrame({"open": r, "high": r, "low": r, "close": r, "volume": 0.0})
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(bt.feeds.PandasData(dataname=frame))
    cerebro.broker.set_coc(True)
    cerebro.broker.setcash(1_000_000.0)
    cerebro.broker.addcommissioninfo(FractionalCommission())
    cerebro.addstrategy(Reversion, theta=theta)
    cerebro.run()
    return cerebro.broker.getvalue() / 1_000_000.0 - 1.0


if __name__ == "__main__":
    print(f"total return {run():.6%}")
