"""A sweep's run (``run_summary``: the deferred recorder, no records, drawdown reversion's signal
from its vectorised pass) books every equity row to the same float as the full backtest, on
real bundled data: dividends, a split, several positions, fills at the open and the close.
And the numpy rounding it uses is Python's ``round``, element for element, as the numpy count of
the longest drawdown is the count bar by bar."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import huice
from huice.engine.broker.money import round_like_builtin
from huice.engine.results.metrics import longest_drawdown_days
from huice.engine.run.assembly import market_of, run_backtest, run_summary
from huice.strategies.replay import ReplayOrders
from tests.conftest import REPO
from tests.helpers.configs import make_config

EXAMPLES = REPO / "config/examples"


def assert_same_floats(lean: pd.DataFrame, full: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(lean, full, check_exact=True, check_freq=False)
    for column in full.columns:  # equal as floats, and with the same sign of zero
        np.testing.assert_array_equal(np.signbit(lean[column].to_numpy()),
                                      np.signbit(full[column].to_numpy()))


def lean_and_full(config, plugin_of):
    market = market_of(config, plugin_of())
    full = run_backtest(config, plugin_of(), market=market, runner="fast")
    lean = run_summary(config, plugin_of(), market, runner="fast")
    return lean, full


@pytest.mark.parametrize("example_name", [
    "drawdown_reversion_801080",                      # one position, index proxy, 12 years
    pytest.param("barbell_etf", marks=pytest.mark.slow),        # ETFs with dividends
    pytest.param("etf_flow_rotation", marks=pytest.mark.slow),  # several positions at once
])
def test_a_lean_run_books_every_equity_row_as_the_full_run(example_name):
    config = huice.load_config(EXAMPLES / f"{example_name}.yaml")
    lean, full = lean_and_full(config, lambda: huice.build_strategy(config))
    assert len(full.equity) > 500 and full.metrics["fills"] > 0
    assert_same_floats(lean.equity, full.equity)
    assert lean.metrics == full.metrics


@pytest.mark.parametrize("execution", ["open", "close"])
def test_dividends_a_split_and_two_positions_book_the_same_rows(tmp_path, execution):
    # 510300 goes ex 2021-01-18 (0.072 a share); 512480 splits on 2021-03-29 (19,637 units
    # for 10,000); both held together from March, half of 510300 sold in April
    path = tmp_path / "orders.csv"
    path.write_text("date,symbol,side,quantity\n2021-01-11,510300.SH,buy,10000\n"
                    "2021-03-22,512480.SH,buy,10000\n2021-04-12,510300.SH,sell,5000\n")
    params = {"path": str(path)}
    config = make_config("orders", params, start="2021-01-04", end="2021-06-30",
                         benchmark="000300.SH", broker={"execution": execution})
    lean, full = lean_and_full(config, lambda: ReplayOrders.from_params(params))
    assert set(full.actions["kind"]) == {"dividend", "split"}
    assert_same_floats(lean.equity, full.equity)


finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False)
halves = st.integers(min_value=-10**11, max_value=10**11).map(lambda k: (k + 0.5) / 100)


@given(st.lists(st.one_of(finite, halves), min_size=1, max_size=50))
@example([0.125, 0.135, 2.675, 1.005, -0.125, 0.0, -0.0, 0.285, 1e15 + 0.125])
def test_the_numpy_rounding_is_pythons_round(values):
    rounded = round_like_builtin(np.array(values, dtype=float))
    expected = [round(value, 2) for value in values]
    assert rounded.tolist() == expected
    assert [np.signbit(r) for r in rounded] == [np.signbit(e) for e in expected]


def longest_by_hand(values: list[float]) -> int:
    """The most consecutive bars below the peak of the bars before, counted one by one."""
    longest = current = 0
    peak = -np.inf
    for value in values:
        if value < peak:
            current += 1
            longest = max(longest, current)
        else:
            current, peak = 0, value
    return longest


@given(st.lists(st.integers(0, 6).map(float), max_size=40))
@example([3.0, 1.0, 2.0, 3.0, 2.0])  # a tie with the peak ends a drawdown
def test_the_longest_drawdown_counted_in_numpy_is_the_count_by_hand(values):
    assert longest_drawdown_days(np.array(values)) == longest_by_hand(values)
