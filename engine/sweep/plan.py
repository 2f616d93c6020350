"""Expand a ``sweep:`` block into the list of runs: grid x random samples, filtered by constraints.

Each run is the base config with some dotted paths overridden (``strategy.params.share``). A run
is identified by a ``task_id``: a hash of its resolved config, so a sweep can resume by skipping
the ids it has finished.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import ValidationError

from huice.config.errors import ConfigError
from huice.config.overrides import config_tree, get_path, override_tree
from huice.config.schema import RangeSpec, RunConfig, SweepConfig, UniformSpec
from huice.config.validation import config_error_from

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne,
}


@dataclass(frozen=True)
class SweepTask:
    """One run of a sweep, validated once when it is planned: ``config`` is its whole config
    tree (JSON types, sweep block removed; its hash is the ``task_id``, it is written as the
    best runs' YAML) and ``resolved`` the same config validated (what the run uses)."""

    index: int
    task_id: str
    overrides: dict[str, Any]
    config: dict[str, Any]
    resolved: RunConfig

    @property
    def label(self) -> str:
        """How errors name the run: ``sweep run 3 (strategy.params.share=0.6)``."""
        return run_label(self.index, self.overrides)


def run_label(index: int, overrides: dict[str, Any]) -> str:
    """``sweep run 3 (strategy.params.share=0.6)``."""
    return f"sweep run {index} ({', '.join(f'{k}={v}' for k, v in overrides.items())})"


def task_of(index: int, overrides: dict[str, Any], tree: dict[str, Any]) -> SweepTask:
    """The task running ``tree``, validated; an invalid run is a config error naming it."""
    task_id = task_id_of(tree)
    try:
        resolved = RunConfig.model_validate(tree)
    except ValidationError as exc:
        error = config_error_from(exc, RunConfig, source="", lines={})
        raise ConfigError(f"{error.where}: {error.message}",
                          where=run_label(index, overrides)) from exc
    return SweepTask(index, task_id, overrides, tree, resolved)


def range_values(spec: RangeSpec) -> list[float]:
    """Values of a range, inclusive of ``stop``, rounded to hide float steps (0.1 + 0.2)."""
    count = math.floor((spec.stop - spec.start) / spec.step + 1e-9) + 1
    decimals = max(0, -math.floor(math.log10(spec.step)) + 6)
    return [round(spec.start + i * spec.step, decimals) for i in range(count)]


def grid_points(sweep: SweepConfig) -> list[dict[str, Any]]:
    """The cartesian product of the grid (one empty point when there is no grid)."""
    keys = list(sweep.grid)
    values = [range_values(v) if isinstance(v, RangeSpec) else list(v) for v in sweep.grid.values()]
    for key, options in zip(keys, values):
        if not options:
            raise ConfigError("an empty list of values", where=f"sweep.grid[{key}]")
    return [dict(zip(keys, combo)) for combo in itertools.product(*values)]


def random_points(sweep: SweepConfig) -> list[dict[str, Any]]:
    """``samples`` draws with ``seed`` (one empty point when there are no random params)."""
    if sweep.random is None:
        return [{}]
    rng = np.random.default_rng(sweep.random.seed)
    points: list[dict[str, Any]] = []
    for _ in range(sweep.random.samples):
        point: dict[str, Any] = {}
        for key, spec in sweep.random.params.items():
            if isinstance(spec, UniformSpec):
                if spec.integer:
                    point[key] = int(rng.integers(int(spec.low), int(spec.high) + 1))
                else:
                    point[key] = round(float(rng.uniform(spec.low, spec.high)), 10)
            else:
                point[key] = spec[int(rng.integers(0, len(spec)))]
        points.append(point)
    return points


def _keep(point: dict[str, Any], config: dict[str, Any], sweep: SweepConfig) -> bool:
    def value(path: str) -> Any:
        if path in point:
            return point[path]
        try:
            return get_path(config, path)
        except KeyError as exc:
            raise ConfigError(f"'{path}' is neither varied nor set in the config",
                              where="sweep.constraints") from exc
    for constraint in sweep.constraints:
        right = (value(constraint.right) if isinstance(constraint.right, str)
                 else constraint.right)
        if not OPERATORS[constraint.op](value(constraint.left), right):
            return False
    return True


def task_id_of(config: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]


def plan_sweep(base: RunConfig) -> list[SweepTask]:
    """Every run of ``base.sweep``, in a fixed order (grid order, then sample order)."""
    sweep = base.sweep_block()
    if sweep is None:
        raise ConfigError("the config has no sweep: block", where="sweep")
    base_tree = config_tree(base, exclude={"sweep"})
    tasks: list[SweepTask] = []
    seen: set[str] = set()
    for grid_point, random_point in itertools.product(grid_points(sweep), random_points(sweep)):
        point = {**grid_point, **random_point}
        tree = override_tree(base_tree, point)
        if not _keep(point, tree, sweep):
            continue
        task_id = task_id_of(tree)
        if task_id in seen:
            continue
        seen.add(task_id)
        tasks.append(task_of(len(tasks), point, tree))
    if not tasks:
        raise ConfigError("the constraints leave no run", where="sweep.constraints")
    return tasks
