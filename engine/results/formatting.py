"""Numbers for people: percentages, ratios and money, with "n/a" for undefined figures."""

from __future__ import annotations

import math
from typing import Any

NOT_AVAILABLE = "n/a"


def is_undefined(value: Any) -> bool:
    """True for None and for NaN or infinite floats (figures that have no value)."""
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def percent(value: Any, decimals: int = 2) -> str:
    """0.2481 -> '24.81%'; undefined -> 'n/a'."""
    return NOT_AVAILABLE if is_undefined(value) else f"{value:.{decimals}%}"


def number(value: Any, pattern: str = ",.2f", suffix: str = "") -> str:
    """A number with ``pattern``; undefined -> 'n/a'."""
    return NOT_AVAILABLE if is_undefined(value) else f"{value:{pattern}}{suffix}"


def json_safe(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by None (strict JSON's null)."""
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
