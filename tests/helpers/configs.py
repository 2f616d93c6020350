"""Build run configs in tests without YAML files."""

from __future__ import annotations

from typing import Any

from huice.config.schema import RunConfig


def make_config(strategy: str, params: dict[str, Any], *, start: str | None = None,
                end: str | None = None, broker: dict[str, Any] | None = None,
                benchmark: str | None = "000300.SH", files: dict[str, Any] | None = None,
                name: str = "test_run") -> RunConfig:
    """A RunConfig on the bundled catalog."""
    data: dict[str, Any] = {"benchmark": benchmark}
    if start:
        data["start"] = start
    if end:
        data["end"] = end
    if files:
        data["files"] = files
    return RunConfig.model_validate({"name": name, "data": data,
                                     "strategy": {"name": strategy, "params": params},
                                     "broker": broker or {}})
