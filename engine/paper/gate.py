"""The data-quality gate in front of every paper step: a day is booked only when each of the
account's instruments has a believable bar for it (docs/paper-trading.md, "The gate").

For every day after the watermark that the source has reached, and for every instrument:

- the day is a trading day on the exchange calendar;
- the instrument has a bar that day, or a zero-volume bar (the exchange's suspension), or a
  suspension accepted on purpose (``paper-accept SYMBOL DATE --as suspension``);
- the bar is not a repeat of the instrument's previous bar (open, high, low, close and volume
  all equal, with volume traded): a source that re-sends yesterday under today's date;
- a traded instrument's open and close lie within the day's price limit from its previous close
  (ex-rights on a dividend or split day), with a tick of slack (0.5% of the price for a
  forward-adjusted series); a move beyond it needs a corporate action to explain it, or an
  acceptance (``--as bar``); an instrument without a limit (an index, the benchmark) must not
  move beyond what no real day does (a unit or scale error).

Each check and its wording is :mod:`huice.feeds.quality`'s, as for every other door.

The first day that fails stops the step: the days before it are booked, it and the days after
wait. Each problem is one line; the paper command exits with code 3.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from huice.engine.broker.rules import InstrumentRules
from huice.engine.run.data_gate import limit_rule
from huice.feeds import quality

ACCEPT_KINDS = ("suspension", "bar")


@dataclass(frozen=True)
class GateProblem:
    """Why one instrument's bar keeps a day from being booked."""

    day: dt.date
    symbol: str
    kind: str          # not_trading_day | missing | not_yet | stale | limit_jump | magnitude
    detail: str

    def line(self) -> str:
        """The one line printed for it."""
        return f"gate: {self.day} {self.symbol}: {self.detail}"


@dataclass(frozen=True)
class GateVerdict:
    """The days that may be booked (in order) and the problems of the first day that may not."""

    bookable: list[dt.date]
    problems: list[GateProblem]


def candidate_days(frames: Mapping[str, pd.DataFrame], after: dt.date | None,
                   until: dt.date | None) -> list[dt.date]:
    """Every day after ``after`` (through ``until``) that any instrument reports."""
    days: set[dt.date] = set()
    for frame in frames.values():
        index = frame.index
        if after is not None:
            index = index[index > pd.Timestamp(after)]
        if until is not None:
            index = index[index <= pd.Timestamp(until)]
        days.update(day.date() for day in index)
    return sorted(days)


def judge_days(days: Iterable[dt.date], frames: Mapping[str, pd.DataFrame],
               rules: Mapping[str, InstrumentRules | None], calendar: pd.DatetimeIndex,
               accepted: set[tuple[str, dt.date, str]]) -> GateVerdict:
    """The gate over ``days``: the bookable prefix, and the first failing day's problems.
    ``rules`` is None for an instrument without a price limit (an index)."""
    trading = set(calendar.date)
    bookable: list[dt.date] = []
    for day in days:
        problems = [problem for symbol, frame in frames.items()
                    for problem in _judge(day, symbol, frame, rules.get(symbol), accepted)]
        if calendar.size and day not in trading and day <= calendar[-1].date():
            problems.insert(0, GateProblem(day, "*", "not_trading_day",
                                           quality.not_trading_day_detail()))
        if problems:
            return GateVerdict(bookable, problems)
        bookable.append(day)
    return GateVerdict(bookable, [])


def _judge(day: dt.date, symbol: str, frame: pd.DataFrame, rules: InstrumentRules | None,
           accepted: set[tuple[str, dt.date, str]]) -> list[GateProblem]:
    stamp = pd.Timestamp(day)
    if stamp not in frame.index:
        if (symbol, day, "suspension") in accepted or (len(frame) and frame.index[0] > stamp):
            return []  # suspended on purpose, or not listed yet
        if len(frame) and frame.index[-1] > stamp:
            return [GateProblem(day, symbol, "missing",
                                f"{quality.missing_detail()} (if the exchange suspended it, "
                                f"run `paper-accept CONFIG {symbol} {day} --as suspension`)")]
        return [GateProblem(day, symbol, "not_yet",
                            "no bar yet while other instruments have one: the source is behind "
                            "for it (wait for it, or accept a suspension with `paper-accept "
                            f"CONFIG {symbol} {day} --as suspension`)")]
    if (symbol, day, "bar") in accepted:
        return []
    position = frame.index.get_loc(stamp)
    if not isinstance(position, int) or position == 0:
        return []
    if float(frame["volume"].iloc[position]) == 0 if "volume" in frame.columns else False:
        return []  # the exchange's own suspension: no trade, prices carried
    found = quality.bar_is_stale(frame, position) or quality.jump_of(
        symbol, frame, position, position - 1,
        limit_rule(symbol, rules) if rules is not None else None)
    if found is None:
        return []
    return [GateProblem(day, symbol, found.kind, f"{found.detail} (if it is real, "
                                           f"`paper-accept CONFIG {symbol} {day} --as bar`)")]
