"""How a strategy asks the report for a chart of the values it records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from huice.config.language import in_language


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
    title_zh: str = ""                 # the title in a Chinese report ("": the English one)
    ylabel_zh: str = ""
    names_zh: Mapping[str, str] = field(default_factory=dict)  # a recorded column's name in a
    #                                    Chinese report's legend (lines, shade, markers)

    def title_in(self, language: str) -> str:
        """The chart's title in ``language`` (en or zh)."""
        return in_language(language, en=self.title, zh=self.title_zh)

    def ylabel_in(self, language: str) -> str:
        """The y axis' label in ``language``."""
        return in_language(language, en=self.ylabel, zh=self.ylabel_zh)

    def name_in(self, column: str, language: str) -> str:
        """A recorded column's legend name in ``language`` (the column's own name in English,
        or when the strategy gives no Chinese one)."""
        return in_language(language, en=column, zh=self.names_zh.get(column, ""))
