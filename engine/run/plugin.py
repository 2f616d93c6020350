"""What the engine expects of a strategy plugin (implemented by ``huice.strategies.base.Strategy``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from huice.engine.results.diagnostic import DiagnosticChart
from huice.feeds.market import MarketData


class StrategyPlugin(Protocol):
    """The interface the engine drives. See ``docs/writing-a-strategy.md``."""

    name: str
    description: str
    diagnostic_chart: DiagnosticChart | tuple[DiagnosticChart, ...] | None

    def symbols(self) -> list[str]:
        """Every instrument the strategy reads or trades (ratio symbols ``A/B`` allowed)."""

    def traded_symbols(self) -> list[str]:
        """The instruments it may trade."""

    def prepare(self, market: MarketData) -> None:
        """Called once before the first bar with the whole run's data (must stay causal)."""

    def on_bar(self, ctx: Any) -> None:
        """Called after every bar's close with a :class:`huice.engine.run.context.BarContext`."""

    def report_notes(self) -> list[str]:
        """Sentences the report shows about how the run was made (e.g. in-sample warnings)."""

    def resolved_params(self) -> dict[str, Any]:
        """The validated parameters with defaults filled in (JSON types)."""

    def get_state(self) -> dict[str, Any]:
        """JSON-serialisable state, for paper trading across restarts."""

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`get_state` returned."""


# Builds a strategy plugin for a validated run config (sweep workers, paper runs).
PluginFactory = Callable[[Any], StrategyPlugin]
