"""The episode and threshold algorithm of docs/research.md section 3 on hand-built series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huice.engine.run.assembly import run_backtest
from huice.feeds.catalog import Instrument
from huice.strategies.drawdown_reversion import (
    DrawdownReversion,
    completed_episode_depths,
    drawdown_threshold,
    effective_drawdowns,
    relative_drawdown,
)
from tests.helpers.configs import make_config
from tests.helpers.days import isos


def test_episodes_only_count_completed_drawdowns():
    w = np.array([0, 0.1, 0.2, 0.05, 0, 0, 0.05, 0, 0.3, 0.4])
    assert completed_episode_depths(w) == [0.2, 0.05]  # the open 0.4 episode is left out


def test_no_completed_episode_gives_no_threshold():
    assert drawdown_threshold(completed_episode_depths(np.array([0, 0.1, 0.2])), 0.8, 0.8) is None


def test_effective_set_stops_at_share_of_total():
    # T = 1.0; cumsum .5, .8 reaches 0.8 at the 2nd depth -> {.5, .3};
    # again: T = .8, 0.64 reached at the 2nd -> unchanged. theta = .8 * .5
    depths = [0.05, 0.3, 0.1, 0.5, 0.05]
    assert effective_drawdowns(depths, 0.8) == [0.5, 0.3]
    assert drawdown_threshold(depths, 0.8, 0.8) == pytest.approx(0.4)


def test_effective_set_repeats_until_stable():
    # pass 1: T = 1.0, cumsum .4, .75, .9 -> keep 3; pass 2: T = .9, .72 reached at .75 -> keep 2;
    # pass 3: T = .75, .6 reached at .75 -> unchanged
    depths = [0.1, 0.35, 0.4, 0.15]
    assert effective_drawdowns(depths, 0.8) == [0.4, 0.35]
    assert drawdown_threshold(depths, 0.8, 0.5) == pytest.approx(0.2)


def test_share_one_keeps_every_depth():
    assert effective_drawdowns([0.2, 0.1, 0.3], 1.0) == [0.3, 0.2, 0.1]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(0.0001, 0.9), min_size=1, max_size=40), st.floats(0.01, 1.0),
       st.floats(0.01, 1.0))
def test_threshold_is_ratio_times_the_largest_kept_depth(depths, share, ratio):
    # steps 4-7 as written (theta = ratio * max of the effective set) and the engine's
    # shortcut (ratio * the largest depth) are the same float for any share
    assert drawdown_threshold(depths, share, ratio) == ratio * max(effective_drawdowns(depths, share))


def test_relative_drawdown():
    target = np.array([10.0, 11.0, 9.9, 12.1])
    reference = np.array([1.0, 1.0, 1.0, 1.1])
    w = relative_drawdown(target, reference)
    assert w == pytest.approx([0.0, 0.0, 0.1, 0.0])


def _frame(closes):
    dates = pd.bdate_range("2021-01-04", periods=len(closes))
    return pd.DataFrame({"open": closes, "high": closes, "low": closes, "close": closes,
                         "volume": 1e9}, index=pd.DatetimeIndex(dates, name="date"))


# synthetic series with no exchange code: say what they are (an unclassifiable code is an error)
INDICES = {s: Instrument(s, asset_class="index") for s in ("T", "R")}


def test_signal_enters_above_threshold_and_exits_at_new_high():
    # reference flat at 100, so r is the target / its first value. Completed episodes (whole
    # window): 0.2 (days 1-3), 1 - 91/101 = 0.099 (days 5-6), 1 - 84.66/102 = 0.17 (days 8-10).
    # Sorted .2, .17, .099 (T = .469): 0.8 T is reached only with all three, so C is all of
    # them and theta = 0.8 * 0.2 = 0.16. W: day 2 0.2 > theta -> long; day 4 new high -> flat;
    # day 9 0.17 > theta -> long; day 11 new high -> flat. Fills at those days' closes.
    target = [100, 90, 80, 95, 101, 95, 91, 102, 95, 84.66, 90, 103, 104]
    reference = [100] * len(target)
    frames = {"T": _frame(target), "R": _frame(reference)}
    params = {"target": "T", "reference": "R", "window": "full", "trade": "relative"}
    config = make_config("drawdown_reversion", params, benchmark="R",
                         broker={"execution": "close", "costs": "none"})
    result = run_backtest(config, DrawdownReversion.from_params(params), frames=frames,
                          instruments=INDICES)
    assert result.signals["threshold"].iloc[0] == pytest.approx(0.16)
    signal = result.signals["signal"].tolist()
    assert signal == [0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0]
    fills = result.fills
    assert isos(fills["date"]) == ["2021-01-06", "2021-01-08", "2021-01-15", "2021-01-19"]
    assert fills["side"].tolist() == ["buy", "sell", "buy", "sell"]
    # r bought at 0.80, sold at 1.01, bought at 0.8466, sold at 1.03, fully invested each time
    expected = 1e6 * (1.01 / 0.80) * (1.03 / 0.8466)
    assert result.metrics["final_equity"] == pytest.approx(expected, abs=0.005)  # to the cent
    assert result.metrics["trades"] == 2


def test_expanding_window_waits_for_history_and_episodes():
    target = [100, 90, 80, 95, 101, 95, 91, 102, 95, 84.66, 90, 103, 104]
    frames = {"T": _frame(target), "R": _frame([100] * len(target))}
    params = {"target": "T", "reference": "R", "window": "expanding", "min_history_days": 10,
              "trade": "relative"}
    config = make_config("drawdown_reversion", params, benchmark="R",
                         broker={"execution": "close", "costs": "none"})
    result = run_backtest(config, DrawdownReversion.from_params(params), frames=frames,
                          instruments=INDICES)
    # the threshold exists from day 4 (first completed episode, 0.2 -> 0.16) but trading waits
    # until more than 10 observations: day 9's W = 0.17 is too early, so nothing trades
    assert np.isnan(result.signals["threshold"].iloc[3])
    assert result.signals["threshold"].iloc[4] == pytest.approx(0.16)
    assert result.signals["signal"].sum() == 0
    assert result.fills.empty
