"""The moments a strategy asks of a window on every bar (huice.strategies.moments) are
numpy's own floats, bit for bit: on random windows of every scale and on the bundled CSI 300
amounts and returns, as the barbell's overlays read them."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from huice.strategies.moments import mean_of, sample_std
from tests.conftest import REPO

finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, width=64)


@given(arrays(np.float64, st.integers(2, 300), elements=finite))
def test_mean_and_sample_std_are_numpys(values):
    assert mean_of(values) == float(values.mean())
    assert sample_std(values) == float(values.std(ddof=1))


def test_real_windows_are_numpys_to_the_bit():
    bars = pd.read_csv(REPO / "data/bars/000300.SH.csv.gz")
    amount, close = bars["amount"].to_numpy(float), bars["close"].to_numpy(float)
    checked = 0
    for end in range(121, len(bars), 3):
        for window in (amount[end - 20:end], amount[end - 120:end]):
            assert mean_of(window) == float(window.mean())
        prices = close[end - 61:end]
        returns = prices[1:] / prices[:-1] - 1.0
        assert sample_std(returns) == float(returns.std(ddof=1))
        checked += 1
    assert checked > 1000
