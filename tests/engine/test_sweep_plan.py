"""Expanding a sweep: grids, ranges, seeded random samples, constraints, task ids."""

from __future__ import annotations

import pytest

from huice.config.errors import ConfigError
from huice.config.schema import RangeSpec, RunConfig
from huice.engine.sweep.plan import plan_sweep, range_values


def config(sweep):
    return RunConfig.model_validate({
        "name": "s", "data": {}, "strategy": {"name": "drawdown_reversion",
                                             "params": {"target": "801080.SI"}},
        "sweep": sweep})


def test_range_includes_stop_without_float_noise():
    assert range_values(RangeSpec(start=0.5, stop=1.0, step=0.1)) == [0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    assert range_values(RangeSpec(start=20, stop=60, step=20)) == [20, 40, 60]


def test_grid_is_the_cartesian_product_in_order():
    tasks = plan_sweep(config({"grid": {"strategy.params.share": [0.6, 0.8],
                                        "strategy.params.ratio": {"start": 0.7, "stop": 0.9,
                                                                  "step": 0.1}}}))
    assert [t.overrides for t in tasks] == [
        {"strategy.params.share": s, "strategy.params.ratio": r}
        for s in (0.6, 0.8) for r in (0.7, 0.8, 0.9)]
    assert tasks[4].config["strategy"]["params"] == {"target": "801080.SI", "share": 0.8,
                                                     "ratio": 0.8}
    assert len({t.task_id for t in tasks}) == 6


def test_random_samples_are_reproducible_with_the_seed():
    sweep = {"random": {"samples": 5, "seed": 3,
                        "params": {"strategy.params.share": {"low": 0.5, "high": 1.0},
                                   "strategy.params.min_history_days": {"low": 100, "high": 500,
                                                                        "integer": True}}}}
    first, second = plan_sweep(config(sweep)), plan_sweep(config(sweep))
    assert [t.overrides for t in first] == [t.overrides for t in second]
    assert all(0.5 <= t.overrides["strategy.params.share"] <= 1.0 for t in first)
    assert all(isinstance(t.overrides["strategy.params.min_history_days"], int) for t in first)
    other = plan_sweep(config({**sweep, "random": {**sweep["random"], "seed": 4}}))
    assert [t.overrides for t in other] != [t.overrides for t in first]


def test_constraints_between_params_and_with_numbers():
    tasks = plan_sweep(config({
        "grid": {"strategy.params.share": [0.6, 0.8, 1.0], "strategy.params.ratio": [0.6, 0.8, 1.0]},
        "constraints": [{"left": "strategy.params.ratio", "op": "<=",
                         "right": "strategy.params.share"},
                        {"left": "strategy.params.share", "op": "<", "right": 1.0}]}))
    assert [(t.overrides["strategy.params.share"], t.overrides["strategy.params.ratio"])
            for t in tasks] == [(0.6, 0.6), (0.8, 0.6), (0.8, 0.8)]


def test_constraints_that_leave_nothing_are_an_error():
    with pytest.raises(ConfigError, match="leave no run"):
        plan_sweep(config({"grid": {"strategy.params.share": [0.6]},
                           "constraints": [{"left": "strategy.params.share", "op": ">",
                                            "right": 0.9}]}))


def test_a_sweep_needs_something_to_vary():
    with pytest.raises(Exception, match="needs a grid"):
        config({"rank_by": "sharpe"})
