"""When and at what price an order due on a bar trades (``broker.execution``)."""

from __future__ import annotations

from enum import Enum
from typing import Protocol


class _Bar(Protocol):
    @property
    def open(self) -> float: ...
    @property
    def high(self) -> float: ...
    @property
    def low(self) -> float: ...
    @property
    def close(self) -> float: ...


class Execution(str, Enum):
    """The execution mode: ``open`` (the next bar's open), ``close`` (the close of the bar that
    placed the order) or ``vwap`` (the next bar's typical price)."""

    OPEN = "open"
    CLOSE = "close"
    VWAP = "vwap"
    # after-hours fixed-price trading (盘后固定价格交易) of STAR and ChiNext stocks: the same
    # bar's close, exactly (no slippage: the price is fixed)
    CLOSE_FIXED = "close_fixed"

    @property
    def same_bar(self) -> bool:
        """Whether orders fill on the bar that placed them (after its close)."""
        return self in (Execution.CLOSE, Execution.CLOSE_FIXED)

    @property
    def path_known(self) -> bool:
        """Whether the bar's open comes before the fill, so that its high and low happened
        after the open (limit and stop orders can then trade inside the bar)."""
        return self is Execution.OPEN

    def reference(self, bar: _Bar) -> float:
        """A market order's price before slippage."""
        if self.same_bar:
            return bar.close
        if self is Execution.VWAP:
            return (bar.high + bar.low + bar.close) / 3.0
        return bar.open
