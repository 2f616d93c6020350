"""Drawdown reversion's vectorised signals (the sweep screen's) equal the event-driven
strategy's decisions day by day on real bundled data, use data up to each day only, and do not
depend on which other parameter sets share the batch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import huice
from huice.engine.run.assembly import market_of, run_backtest
from huice.strategies.drawdown_reversion import DrawdownReversion, drawdown_signals
from tests.conftest import REPO

EXAMPLE = REPO / "config/examples/drawdown_reversion_801080.yaml"
SLOW = pytest.mark.slow  # the fast tier checks the example; make test every case
CASES = [
    {},
    pytest.param({"ratio": 0.6, "min_history_days": 250}, marks=SLOW),
    pytest.param({"ratio": 1.0, "min_history_days": 0}, marks=SLOW),
    pytest.param({"window": "full", "ratio": 0.9}, marks=SLOW),
    pytest.param({"target": "801750.SI", "ratio": 0.7, "min_history_days": 500}, marks=SLOW),
    pytest.param({"target": "801120.SI", "ratio": 0.5, "min_history_days": 750}, marks=SLOW),
]


def case_id(changes) -> str:
    return ",".join(f"{k}={v}" for k, v in changes.items()) or "example"


def config_for(changes: dict, **data):
    overrides = {f"strategy.params.{key}": value for key, value in changes.items()}
    overrides.update({f"data.{key}": value for key, value in data.items()})
    return huice.load_config(EXAMPLE, overrides=overrides)


def held_after_each_close(weights: np.ndarray, calendar: pd.DatetimeIndex) -> pd.Series:
    """The position the vectorised weights stand for after each close (1 long, 0 flat)."""
    return pd.Series(weights, index=calendar).ffill().fillna(0.0)


@pytest.mark.parametrize("changes", CASES, ids=case_id)
def test_vectorised_weights_equal_the_strategy_day_by_day(changes):
    config = config_for(changes)
    plugin = huice.build_strategy(config)
    result = run_backtest(config, plugin, runner="fast")
    market = market_of(config, plugin)
    screened = DrawdownReversion.screen_weights(market, [plugin.params])
    assert screened.symbols == [plugin.traded_symbol]
    vectorised = held_after_each_close(screened.weights[:, 0, 0], market.calendar)
    recorded = result.signals["signal"].reindex(market.calendar).ffill().fillna(0.0)
    assert len(vectorised) == len(market.calendar) > 2000
    mismatched = vectorised.index[vectorised != recorded]
    assert not len(mismatched), f"first differing days: {list(mismatched[:5])}"
    assert (vectorised.diff() == 1).sum() >= 1  # it entered at least once


def test_a_batch_equals_each_set_alone():
    config = config_for({})
    plugin = huice.build_strategy(config)
    market = market_of(config, plugin)
    sets = [plugin.params.model_copy(update=change) for change in (
        {"ratio": 0.3}, {"ratio": 0.8, "min_history_days": 0}, {"window": "full"},
        {"ratio": 1.0, "min_history_days": 1500})]
    batch = DrawdownReversion.screen_weights(market, sets).weights
    for column, params in enumerate(sets):
        alone = DrawdownReversion.screen_weights(market, [params]).weights[:, 0]
        np.testing.assert_array_equal(batch[:, column], alone)


@pytest.mark.parametrize("cut", ["2012-06-29", "2015-07-08", "2018-12-28", "2021-02-18"])
def test_signals_of_a_day_use_data_up_to_that_day(cut):
    config = config_for({"ratio": 0.7, "min_history_days": 250})
    plugin = huice.build_strategy(config)
    whole = market_of(config, plugin)
    sets = [plugin.params, plugin.params.model_copy(update={"ratio": 0.4})]
    full = DrawdownReversion.screen_weights(whole, sets)
    shorter = DrawdownReversion.screen_weights(whole.between(None, pd.Timestamp(cut)), sets)
    days = len(shorter.weights)
    assert days < len(full.weights)
    np.testing.assert_array_equal(shorter.weights, full.weights[:days])


def test_signals_by_hand():
    # target/reference relative: 1, 1.1, 0.99 (W 0.1), 1.1 (new high: episode of depth 0.1
    # completes), 0.77 (W 0.3 > ratio 0.5 x 0.1), 0.88, 1.2 (new high: exit)
    target = np.array([1.0, 1.1, 0.99, 1.1, 0.77, 0.88, 1.2])
    reference = np.ones(7)
    params = DrawdownReversion.Params(target="X", ratio=0.5, min_history_days=0)
    later = params.model_copy(update={"min_history_days": 5})
    signals = drawdown_signals(target, reference, [params, later])
    assert signals[:, 0].tolist() == [0, 0, 0, 0, 1, 1, 0]
    assert signals[:, 1].tolist() == [0, 0, 0, 0, 0, 1, 0]  # the 6th day is the first > 5
