"""Rounding of money and prices, done the way exchanges and brokers do it."""

from __future__ import annotations

import functools
import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

_CENT = Decimal("0.01")


def round_cents(amount: float) -> float:
    """Round a CNY amount to the cent, half away from zero (0.125 -> 0.13)."""
    return float(Decimal(repr(amount)).quantize(_CENT, rounding=ROUND_HALF_UP))


@functools.lru_cache(maxsize=64)
def tick_decimals(tick: float) -> int:
    """Decimal places of a tick size (0.01 -> 2, 0.001 -> 3); a market has a handful of
    ticks, each worked out once."""
    exponent = Decimal(repr(tick)).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def round_to_tick(price: float, tick: float) -> float:
    """Nearest tick, half up (how exchanges round price limits)."""
    steps = Decimal(repr(price)) / Decimal(repr(tick))
    return round(float(steps.quantize(Decimal(1), rounding=ROUND_HALF_UP)) * tick,
                 tick_decimals(tick))


def ceil_to_tick(price: float, tick: float) -> float:
    """Smallest tick price >= ``price`` (a buy rounds against the buyer)."""
    steps = math.ceil(round(price / tick, 6))
    return round(steps * tick, tick_decimals(tick))


def floor_to_tick(price: float, tick: float) -> float:
    """Largest tick price <= ``price`` (a sell rounds against the seller)."""
    steps = math.floor(round(price / tick, 6))
    return round(steps * tick, tick_decimals(tick))


def round_like_builtin(values: np.ndarray, ndigits: int = 2) -> np.ndarray:
    """``round(value, ndigits)`` of every element, the same float Python's ``round`` gives
    (the exact binary value rounded to ``ndigits`` decimals, ties to even), in numpy.

    ``rint(value * 10**ndigits) / 10**ndigits`` is that float unless the product's own rounding
    moved it across a half (within a few ulps of ``k + 0.5``) or it is too large to be exact;
    those few elements are rounded by ``round`` itself."""
    scale = 10.0 ** ndigits
    scaled = values * scale
    rounded: np.ndarray = np.rint(scaled) / scale
    with np.errstate(invalid="ignore"):
        near_half = np.abs(scaled - np.floor(scaled) - 0.5) <= np.abs(scaled) * 1e-12 + 1e-9
        doubtful = np.flatnonzero(near_half | (np.abs(scaled) >= 2.0 ** 52))
    for at in doubtful.tolist():
        rounded[at] = round(float(values[at]), ndigits)
    return rounded
