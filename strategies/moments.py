"""The mean and sample standard deviation of a 1-D float array, the same floats as
``ndarray.mean()`` and ``ndarray.std(ddof=1)`` without their generic wrapper: a strategy asks
them of a short window on every bar, where numpy's argument handling costs more than the
arithmetic. Each step is the one numpy's own ``_mean`` and ``_var`` take for a float64 array
(the same pairwise sum, the same divisions); tests/strategies/test_moments.py checks them
equal, bit for bit, to numpy's on random and real windows."""

from __future__ import annotations

import math

import numpy as np

_sum = np.add.reduce


def mean_of(values: np.ndarray) -> float:
    """``values.mean()`` of a non-empty float64 array."""
    return float(_sum(values, axis=None) / values.size)


def sample_std(values: np.ndarray) -> float:
    """``values.std(ddof=1)`` of a float64 array of two values or more."""
    count = values.size
    mean = _sum(values, axis=None, keepdims=True)
    np.true_divide(mean, count, out=mean, casting="unsafe")
    deviations = np.subtract(values, mean)
    np.square(deviations, out=deviations)
    variance = _sum(deviations, axis=None) / np.intp(count - 1)
    return math.sqrt(variance) if variance >= 0 else float(np.sqrt(variance))
