"""Slippage models: each moves a reference price against the trader."""

from __future__ import annotations

from dataclasses import dataclass

from huice.config.schema import SlippageConfig


@dataclass(frozen=True)
class NoSlippage:
    """Fills at the reference price."""

    def adjust(self, price: float, is_buy: bool, tick: float | None) -> float:
        return price


@dataclass(frozen=True)
class PercentSlippage:
    """Buys fill ``fraction`` above the reference price, sells ``fraction`` below."""

    fraction: float

    def __post_init__(self) -> None:
        if not 0 <= self.fraction < 1:
            raise ValueError(f"slippage fraction must be in [0, 1), got {self.fraction}")

    def adjust(self, price: float, is_buy: bool, tick: float | None) -> float:
        return price * (1 + self.fraction) if is_buy else price * (1 - self.fraction)


@dataclass(frozen=True)
class TickSlippage:
    """Buys fill ``ticks`` ticks above the reference price, sells ``ticks`` below."""

    ticks: float

    def __post_init__(self) -> None:
        if self.ticks < 0:
            raise ValueError(f"slippage ticks must be >= 0, got {self.ticks}")

    def adjust(self, price: float, is_buy: bool, tick: float | None) -> float:
        step = self.ticks * (tick or 0.0)
        return price + step if is_buy else price - step


SlippageModel = NoSlippage | PercentSlippage | TickSlippage


def slippage_from_config(config: SlippageConfig) -> SlippageModel:
    """Build the slippage model a config names."""
    if config.kind == "percent":
        return PercentSlippage(config.value)
    if config.kind == "ticks":
        return TickSlippage(config.value)
    return NoSlippage()
