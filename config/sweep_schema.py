"""The ``sweep:`` block of a run config: grids, random samples, constraints, walk-forward
and the screen (docs/sweeps.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from huice.config.identity import left_out_of
from huice.config.strict import StrictModel


class RangeSpec(StrictModel):
    """``start``, ``start + step``, ... up to ``stop`` inclusive."""

    start: float
    stop: float
    step: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> RangeSpec:
        if self.stop < self.start:
            raise ValueError(f"stop {self.stop:g} is below start {self.start:g}")
        if (self.stop - self.start) / self.step > 10_000:
            raise ValueError("the range has more than 10,000 values")
        return self


class UniformSpec(StrictModel):
    """Random values drawn uniformly from ``low`` .. ``high`` (whole numbers if ``integer``)."""

    low: float
    high: float
    integer: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> UniformSpec:
        if self.high < self.low:
            raise ValueError(f"high {self.high:g} is below low {self.low:g}")
        return self


class RandomSpec(StrictModel):
    """``samples`` random parameter sets drawn with ``seed``."""

    samples: int = Field(ge=1, le=100_000)
    seed: int = 0
    params: dict[str, UniformSpec | list[Any]] = Field(min_length=1)


class Constraint(StrictModel):
    """Keep only runs where ``left op right`` holds (``right``: a number or another path)."""

    left: str
    op: Literal["<", "<=", ">", ">=", "==", "!="]
    right: str | float


class ScreenConfig(StrictModel):
    """Screen every combination with the strategy's vectorised signals (approximate: next-open
    fills, proportional costs, no lots, limits or T+1), then run the exact engine on the
    ``top`` best by ``rank_by`` and on ``sample`` others drawn at random (with ``seed``)."""

    top: int = Field(50, ge=1, le=10_000, description="best screened runs confirmed exactly")
    sample: int = Field(20, ge=0, le=10_000,
                        description="other runs drawn at random and confirmed, to measure "
                                    "the screen's agreement beyond the top")
    seed: int = Field(0, ge=0, description="seed of the random draw")


class WalkForwardConfig(StrictModel):
    """Rolling (or anchored) train/test windows in trading days."""

    train_days: int = Field(ge=20)
    test_days: int = Field(ge=5)
    step_days: int | None = Field(None, ge=1, description="default: test_days")
    anchored: bool = Field(False, description="train from the first day every time")


class SweepConfig(StrictModel):
    """Many runs of one config with some values varied. Keys are dotted config paths,
    e.g. ``strategy.params.share`` or ``broker.slippage.value``."""

    grid: dict[str, list[Any] | RangeSpec] = Field(default_factory=dict)
    random: RandomSpec | None = None
    constraints: list[Constraint] = Field(default_factory=list)
    rank_by: str = "sharpe"
    descending: bool = True
    top: int = Field(5, ge=1, le=100)
    walk_forward: WalkForwardConfig | None = None
    # how the sweep chose which runs to confirm never changes a run's figures
    screen: ScreenConfig | None = Field(None, json_schema_extra=left_out_of("run", "account"))

    @model_validator(mode="after")
    def _screen_alone(self) -> SweepConfig:
        if self.screen is not None and self.walk_forward is not None:
            raise ValueError("screen and walk_forward cannot be combined: walk-forward folds "
                             "run exactly; remove one of them")
        return self

    @model_validator(mode="after")
    def _something_varies(self) -> SweepConfig:
        if not self.grid and self.random is None:
            raise ValueError("a sweep needs a grid, random samples, or both")
        return self
