"""ETF flow rotation's screen weights equal the event-driven strategy's decisions on every day
it decided, on the bundled ETFs, and a day's weights use data up to that day only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import huice
from huice.engine.run.assembly import market_of
from huice.strategies.etf_flow import EtfFlowRotation
from tests.conftest import EXAMPLES
from tests.helpers.recorded import recorded_run

CASES = [
    {},  # the example: four indices through their ETFs, contrarian, top 1, monthly
    {"direction": "follow", "top_k": 2, "weighting": "flow", "rebalance": "weekly",
     "lookback_days": 10, "min_avg_turnover_cny": 0},
]


class Recording(EtfFlowRotation):
    """The strategy as it is, noting what it chose on each day it ordered, and the days an
    order still pending kept it from deciding."""

    def __init__(self, params=None):
        super().__init__(params)
        self.decisions: dict[int, dict[str, float]] = {}
        self.waited: set[int] = set()

    def on_bar(self, ctx):
        if ctx.pending_orders():
            self.waited.add(ctx.bar_index)
        super().on_bar(ctx)

    def targets(self, ctx):
        chosen = super().targets(ctx)
        if chosen is not None:
            self.decisions[ctx.bar_index] = chosen
        return chosen


@pytest.mark.slow  # two event-driven runs of eight ETFs
@pytest.mark.parametrize("changes", CASES, ids=["example", "follow_weekly_flow"])
def test_screen_weights_equal_the_strategy_on_every_decision(changes):
    plugin, market = recorded_run("etf_flow_rotation", changes, Recording)
    screened = EtfFlowRotation.screen_weights(market, [plugin.params])
    weights = screened.weights[:, 0]
    ordered = set(np.flatnonzero(~np.isnan(weights).all(axis=1)).tolist())
    assert len(plugin.decisions) >= 10
    # the screen decides wherever the strategy did, and where it did not only because an
    # order was still pending
    assert set(plugin.decisions) <= ordered
    assert ordered - set(plugin.decisions) <= plugin.waited
    for day, chosen in plugin.decisions.items():
        assert weights[day].tolist() == [chosen.get(s, 0.0) for s in screened.symbols], \
            market.calendar[day]


def test_a_day_uses_data_up_to_that_day():
    config = huice.load_config(EXAMPLES / "etf_flow_rotation.yaml",
                               overrides={"strategy.params.rebalance": "weekly"})
    plugin = huice.build_strategy(config)
    whole = market_of(config, plugin)
    full = EtfFlowRotation.screen_weights(whole, [plugin.params]).weights
    for cut in ("2023-09-28", "2024-10-18"):
        shorter = EtfFlowRotation.screen_weights(whole.between(None, pd.Timestamp(cut)),
                                                 [plugin.params]).weights
        np.testing.assert_array_equal(shorter, full[:len(shorter)])
