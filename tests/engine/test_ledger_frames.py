"""The ledger tables built column by column equal what ``DataFrame(rows).astype(dtypes)`` and
``whole_units`` give (the recipe they replace, kept here as the oracle): values, dtypes, column
order, whole quantities as integers, fractional ones as floats, empty tables included."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from huice.engine.results.ledger_frames import (
    FILL_COLUMNS,
    FILL_DTYPES,
    TRADE_COLUMNS,
    TRADE_DTYPES,
    typed_frame,
    whole_units,
)


def oracle(rows, columns, dtypes, quantities):
    return whole_units(pd.DataFrame(rows, columns=columns).astype(dtypes), quantities)


texts = st.text(alphabet="abc0123456789-. ", max_size=12)
money = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False)
quantity = st.one_of(st.integers(0, 10**7).map(float), st.floats(0, 1e6, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 10**6), texts, texts, st.sampled_from(["buy", "sell"]),
                          quantity, *[money] * 10), max_size=30))
def test_fills_equal_the_astype_recipe(rows):
    pd.testing.assert_frame_equal(typed_frame(rows, FILL_COLUMNS, FILL_DTYPES, ("quantity",)),
                                  oracle(rows, FILL_COLUMNS, FILL_DTYPES, ("quantity",)),
                                  check_exact=True)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(texts, texts, texts, quantity,
                          *[st.one_of(money, st.just(float("nan")))] * 6), max_size=30))
def test_trades_with_open_rounds_equal_the_astype_recipe(rows):
    pd.testing.assert_frame_equal(typed_frame(rows, TRADE_COLUMNS, TRADE_DTYPES, ("quantity",)),
                                  oracle(rows, TRADE_COLUMNS, TRADE_DTYPES, ("quantity",)),
                                  check_exact=True)


def test_a_fractional_quantity_keeps_the_column_float_and_an_empty_table_is_typed():
    row = (1, "2021-01-04", "X", "buy", 0.5) + (1.0,) * 10
    frame = typed_frame([row], FILL_COLUMNS, FILL_DTYPES, ("quantity",))
    assert frame["quantity"].dtype == "float64" and frame["quantity"].iloc[0] == 0.5
    empty = typed_frame([], FILL_COLUMNS, FILL_DTYPES, ("quantity",))
    assert list(empty.columns) == FILL_COLUMNS and empty["quantity"].dtype == "int64"
    assert empty["symbol"].dtype == object
    pd.testing.assert_frame_equal(empty, oracle([], FILL_COLUMNS, FILL_DTYPES, ("quantity",)))
