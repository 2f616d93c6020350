"""How a strategy asks the report for a chart of the values it records."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DiagnosticChart:
    """A strategy's own chart, drawn by the engine from the values it records each bar.

    ``lines`` are recorded columns drawn as lines; ``shade`` is a recorded column whose positive
    spans are shaded (e.g. holding periods); ``stacked_prefix`` draws the recorded columns with
    that prefix as a stacked area (e.g. weights per leg); ``markers`` marks days (rebalances);
    ``heatmap_prefix`` draws the recorded columns with that prefix as a heatmap over the days
    any of them has a value (e.g. each industry's rank at each rebalance).
    """

    title: str
    lines: tuple[str, ...] = ()
    shade: str | None = None
    ylabel: str = ""
    percent: bool = False
    stacked_prefix: str | None = None  # recorded columns starting with this: a stacked area
    line_prefix: str | None = None     # recorded columns starting with this: one line each
    markers: str | None = None         # recorded column: a marker on days where it is > 0
    heatmap_prefix: str | None = None  # recorded columns with this prefix: a heatmap (one row
    #                                    each, the days where any of them has a value)
