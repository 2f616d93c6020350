"""The base class of strategy plugins.

A plugin declares a typed ``Params`` model (validated from the YAML ``params:`` block), the
instruments it needs, and what to do after each bar's close. Prefer returning target weights
through ``ctx.order_target_weights``; the engine turns them into lot-rounded orders under the
A-share rules. See ``docs/writing-a-strategy.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from huice.engine.results.diagnostic import DiagnosticChart
from huice.engine.run.context import BarContext
from huice.feeds.market import MarketData


class StrategyParams(BaseModel):
    """Base of every strategy's ``Params``: frozen, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Strategy:
    """Subclass this, set ``Params``, and implement :meth:`symbols` and :meth:`on_bar`.

    Class attributes
    ----------------
    name:
        Registry name (set by the ``@register`` decorator).
    description:
        One line shown by ``run.py strategies``.
    Params:
        The pydantic model of the strategy's parameters.
    diagnostic_chart:
        Optional chart of recorded values the report draws.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    Params: ClassVar[type[StrategyParams]] = StrategyParams
    diagnostic_chart: ClassVar[DiagnosticChart | tuple[DiagnosticChart, ...] | None] = None

    def __init__(self, params: StrategyParams | None = None) -> None:
        self.params = params if params is not None else self.Params()
        if not self.name:  # a plugin loaded as module:Class or file.py:Class, not registered
            self.name = type(self).__qualname__  # type: ignore[misc]  # an instance's own name

    @classmethod
    def from_params(cls, raw: Mapping[str, Any]) -> Strategy:
        """Validate ``raw`` against ``Params`` and build the strategy (raises ValidationError)."""
        return cls(cls.Params.model_validate(dict(raw)))

    @property
    def causal(self) -> bool:
        """Whether every decision uses data up to its bar only (checked by the truncation test)."""
        return True

    def symbols(self) -> list[str]:
        """Every instrument the strategy reads or trades."""
        raise NotImplementedError

    def traded_symbols(self) -> list[str]:
        """Instruments it may trade (default: all of :meth:`symbols`)."""
        return self.symbols()

    def prepare(self, market: MarketData) -> None:
        """Optional one-off work before the first bar. Anything computed here must be causal."""

    def on_bar(self, ctx: BarContext) -> None:
        """Decide after the close of ``ctx.today``."""
        raise NotImplementedError

    def report_notes(self, language: str = "en") -> list[str]:
        """Sentences for the report about how this run decided, in ``language`` (en or zh:
        the report's language; a strategy that writes only English may ignore it)."""
        return []

    def resolved_params(self) -> dict[str, Any]:
        return self.params.model_dump(mode="json")

    def get_state(self) -> dict[str, Any]:
        """JSON-serialisable state for paper trading (override if the strategy keeps state)."""
        return {}

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`get_state`'s output."""
