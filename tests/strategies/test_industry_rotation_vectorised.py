"""Industry rotation's vectorised target weights (the sweep screen's) equal the event-driven
strategy's decisions on every day of a run on the bundled Shenwan data, and a day's weights use
data up to that day only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import huice
from huice.engine.run.assembly import market_of
from huice.strategies.industry_rotation import IndustryRotation
from tests.conftest import EXAMPLES
from tests.helpers.recorded import recorded_run

CASES = [
    {},  # the example: long-weak-short-strong, monthly on the last day, crowded excluded
    {"ranking": "momentum", "lookback_days": 60, "top_k": 3, "rebalance": "weekly",
     "rebalance_day": "first", "crowding_filter": "none"},
    {"ranking": "reversal", "lookback_days": 20, "weighting": "score",
     "crowding_filter": "require_uncrowded", "crowding_threshold": 60},
]


class Recording(IndustryRotation):
    """The strategy as it is, noting the target weights it chose on each day it rebalanced."""

    def __init__(self, params=None):
        super().__init__(params)
        self.decisions: dict[int, dict[str, float]] = {}

    def choose(self, ctx):
        weights = super().choose(ctx)
        self.decisions[ctx.bar_index] = weights
        return weights


@pytest.mark.slow  # three event-driven runs of 31 industries over 2013-2025
@pytest.mark.parametrize("changes", CASES, ids=["example", "momentum_weekly", "reversal_score"])
def test_vectorised_weights_equal_the_strategy_day_by_day(changes):
    plugin, market = recorded_run("industry_rotation", changes, Recording)
    screened = IndustryRotation.screen_weights(market, [plugin.params]).weights[:, 0]
    universe = plugin.params.universe
    rebalanced = np.flatnonzero(~np.isnan(screened).all(axis=1))
    assert rebalanced.tolist() == sorted(plugin.decisions)
    assert len(rebalanced) >= 100
    for day in rebalanced:
        expected = [plugin.decisions[day].get(s, 0.0) for s in universe]
        assert screened[day].tolist() == expected, market.calendar[day]
    chosen = (screened[rebalanced] > 0).sum(axis=1)
    assert chosen.max() == plugin.params.top_k


@pytest.mark.slow  # two screens of 31 industries
def test_a_day_uses_data_up_to_that_day():
    config = huice.load_config(EXAMPLES / "industry_rotation.yaml",
                               overrides={"strategy.params.rebalance": "weekly"})
    plugin = huice.build_strategy(config)
    whole = market_of(config, plugin)
    sets = [plugin.params, plugin.params.model_copy(update={"ranking": "momentum",
                                                            "crowding_filter": "none"})]
    full = IndustryRotation.screen_weights(whole, sets).weights
    for cut in ("2016-02-26", "2020-07-31"):
        shorter = IndustryRotation.screen_weights(whole.between(None, pd.Timestamp(cut)),
                                                  sets).weights
        days = len(shorter)
        # the last day is a rebalance only when the calendar says so, in both
        np.testing.assert_array_equal(shorter[:days], full[:days])
