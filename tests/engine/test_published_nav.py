"""``ctx.nav(symbol)``: the unit NAV a decision at a day's close has seen, with the date it is
the NAV of. A NAV comes out in the evening of its publication day, its publication lag after
its date (0 trading days for a domestic fund, 1 for a cross-border one, ``data.nav_lag_days``
over that), so on 2021-03-09 510300.SH shows 2021-03-08's NAV and 513100.SH (QDII) 2021-03-05's.
Figures from the bundled NAV files (eastmoney's published values, SOURCES.md section 7A)."""

from __future__ import annotations

import datetime as dt

import pytest

import huice
from huice.strategies.base import Strategy, StrategyParams


class NavWatcherParams(StrategyParams):
    symbols: tuple[str, ...] = ("510300.SH", "513100.SH")


class NavWatcher(Strategy):
    """Records, each day, the NAV each fund shows and the day it is the NAV of."""

    Params = NavWatcherParams

    def symbols(self):
        return list(self.params.symbols)

    def on_bar(self, ctx):
        for symbol in self.params.symbols:
            seen = ctx.nav(symbol)
            ctx.record(**{f"nav_{symbol}": seen.nav if seen else float("nan"),
                          f"day_{symbol}": seen.date.toordinal() if seen else float("nan")})
            assert seen is None or seen.date < ctx.today  # never today's: published tonight


def watched(**data):
    config = {"name": "nav_watch", "data": {"start": "2021-03-01", "end": "2021-03-10",
                                            "benchmark": None, **data},
              "strategy": {"name": "tests.engine.test_published_nav:NavWatcher"}}
    return huice.backtest(config, runner="fast").signals


def on(signals, day: str, symbol: str) -> tuple[float, dt.date]:
    row = signals.loc[day]
    return float(row[f"nav_{symbol}"]), dt.date.fromordinal(int(row[f"day_{symbol}"]))


def test_a_domestic_fund_shows_yesterdays_nav_and_a_cross_border_one_two_days_old():
    signals = watched()
    assert on(signals, "2021-03-09", "510300.SH") == (5.0815, dt.date(2021, 3, 8))
    assert on(signals, "2021-03-09", "513100.SH") == (4.229, dt.date(2021, 3, 5))
    # across the weekend: Monday 2021-03-08 shows Friday's domestic NAV
    assert on(signals, "2021-03-08", "510300.SH") == (5.2644, dt.date(2021, 3, 5))
    assert on(signals, "2021-03-08", "513100.SH") == (4.152, dt.date(2021, 3, 4))


def test_the_lag_is_configurable_per_class():
    signals = watched(nav_lag_days={"cross_border_etf": 0, "etf": 2})
    assert on(signals, "2021-03-09", "513100.SH") == (4.099, dt.date(2021, 3, 8))
    # published two trading days after its date: 2021-03-04's NAV came out on 03-08's evening
    assert on(signals, "2021-03-09", "510300.SH") == (5.2814, dt.date(2021, 3, 4))


def test_a_negative_lag_is_refused_naming_the_key():
    from huice.config.errors import HuiceError

    with pytest.raises(HuiceError, match="nav_lag_days"):
        watched(nav_lag_days={"cross_border_etf": -1})
