"""Days of a result's tables (datetime64) as the ISO strings the tests write by hand."""

from __future__ import annotations

from typing import Any

import pandas as pd


def iso(value: Any) -> str:
    """One day as ``YYYY-MM-DD``; ``""`` for NaT (an order or trade not closed yet)."""
    return "" if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def isos(values: pd.Series) -> list[str]:
    """A column of days as ``YYYY-MM-DD`` strings."""
    return [iso(value) for value in values]
