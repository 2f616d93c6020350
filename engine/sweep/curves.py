"""The equity curves a sweep's report draws, kept from the runs themselves as they finish.

The report draws the best :data:`CURVES` distinct results (runs with the same outcome are one
result, its best run drawn). :class:`BestCurves` sees every row in completion order and holds
the curves of the current best distinct results only, so memory stays at a few curves however
many runs a sweep has, and no run is made twice to draw it. A run finished by an earlier,
interrupted invocation has its row in the journal but no curve: it is run again for its curve
(:meth:`BestCurves.missing` names those).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import pandas as pd

from huice.engine.sweep.report_parts import outcome_key

CURVES = 5  # best distinct runs drawn

Order = tuple[bool, float, int]


class BestCurves:
    """The curves of the best distinct results seen so far, by ``rank_by``."""

    def __init__(self, rank_by: str, descending: bool, count: int = CURVES) -> None:
        self._rank_by = rank_by
        self._descending = descending
        self._count = count
        self._best: dict[str, tuple[Order, str]] = {}  # outcome -> (order, task id)
        self._curves: dict[str, pd.DataFrame] = {}

    def _order(self, row: dict[str, Any]) -> Order:
        """The ranking's order (:func:`huice.engine.sweep.runner.rank`): best first, a
        missing figure last, ties by the lower index."""
        value = row.get(self._rank_by)
        number = float(value) if isinstance(value, numbers.Real) else math.nan
        if math.isnan(number):
            return (True, 0.0, int(row["index"]))
        return (False, -number if self._descending else number, int(row["index"]))

    def offer(self, row: dict[str, Any], curve: pd.DataFrame | None) -> None:
        """A finished run (``curve`` None: its curve is not at hand, a journal row)."""
        if row.get("status") != "ok":
            return
        outcome, order = outcome_key(row), self._order(row)
        held = self._best.get(outcome)
        if held is not None and held[0] <= order:
            return
        if held is not None:
            self._curves.pop(held[1], None)
        self._best[outcome] = (order, row["task_id"])
        if curve is not None:
            self._curves[row["task_id"]] = curve
        if len(self._best) > self._count:
            worst = max(self._best, key=lambda key: self._best[key][0])
            self._curves.pop(self._best.pop(worst)[1], None)

    def missing(self) -> list[str]:
        """The best distinct runs whose curve is not held (finished by an earlier run)."""
        return [task_id for _, task_id in sorted(self._best.values())
                if task_id not in self._curves]

    def add(self, task_id: str, curve: pd.DataFrame | None) -> None:
        """The curve of a run named by :meth:`missing` (None: it failed this time)."""
        if curve is not None:
            self._curves[task_id] = curve

    def curves(self) -> dict[str, pd.DataFrame]:
        """Task id -> equity frame (equity, benchmark) of the best distinct runs, best first."""
        return {task_id: self._curves[task_id] for _, task_id in sorted(self._best.values())
                if task_id in self._curves}
