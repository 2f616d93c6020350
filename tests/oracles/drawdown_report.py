"""Plain-pandas reimplementation of docs/research.md section 3, published-tracking ("report") mode.

Written from the text of docs/research.md only, deliberately sharing no code with
``strategies/drawdown_reversion.py`` or ``engine/``: it is the oracle the engine is checked
against. Conventions: statistics on the whole window, the ratio r traded with fractional units,
the signal of day t filled at t's close, no costs.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd


def read_close(path: Path) -> pd.Series:
    with gzip.open(path, "rt") as handle:
        frame = pd.read_csv(handle, usecols=["date", "close"], parse_dates=["date"])
    return frame.set_index("date")["close"]


def episode_depths(drawdown: np.ndarray) -> list[float]:
    depths, current, inside = [], 0.0, False
    for value in drawdown:
        if value > 0:
            inside, current = True, max(current, value)
        elif inside:
            depths.append(current)
            inside, current = False, 0.0
    return depths  # an episode still open at the end is left out


def threshold(depths: list[float], share: float, ratio: float) -> float:
    kept = sorted(depths, reverse=True)
    while True:
        total = sum(kept)
        running, count = 0.0, len(kept)
        for index, depth in enumerate(kept):
            running += depth
            if running >= share * total:
                count = index + 1
                break
        if count == len(kept):
            return ratio * max(kept)
        kept = kept[:count]


def report_metrics(target: pd.Series, reference: pd.Series, start: str, end: str,
                   share: float = 0.8, ratio: float = 0.8) -> dict[str, float]:
    both = pd.concat([target, reference], axis=1, join="inner").loc[start:end]
    relative = both.iloc[:, 0] / both.iloc[:, 1]
    relative = relative / relative.iloc[0]
    drawdown = 1.0 - relative / relative.cummax()
    theta = threshold(episode_depths(drawdown.to_numpy()), share, ratio)
    signal, previous = [], 0
    for value in drawdown:
        if value > theta:
            previous = 1
        elif value == 0:
            previous = 0
        signal.append(previous)
    held = pd.Series(signal, index=relative.index).shift(1).fillna(0)
    daily = relative.pct_change().fillna(0.0) * held
    equity = (1.0 + daily).cumprod()
    # value the equity on every trading day of the window (a day without a target bar keeps
    # the last value), so that drawdown durations count trading days
    calendar = reference.loc[start:end].index
    equity = equity.reindex(calendar).ffill()
    below = equity < equity.cummax()
    longest, run = 0, 0
    for flag in below:
        run = run + 1 if flag else 0
        longest = max(longest, run)
    total = equity.iloc[-1] - 1.0
    buy_hold = relative.iloc[-1] - 1.0
    return {
        "theta": theta,
        "total_return": total,
        "buy_and_hold_return": buy_hold,
        "excess_vs_buy_and_hold": total - buy_hold,
        "max_drawdown": float((1.0 - equity / equity.cummax()).max()),
        "longest_drawdown_days": longest,
        "entries": int(((pd.Series(signal).diff() == 1)).sum() + (signal[0] == 1)),
    }
