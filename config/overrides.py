"""One way to change a validated config: dotted-path overrides, re-validated once.

Sweeps, walk-forward, paper polls and the Python API all derive configs through
:func:`with_overrides` (or :func:`override_tree` when they need the JSON tree itself, e.g. to
hash a sweep task), so a changed value is always checked by the same schema.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from huice.config.errors import ConfigError
from huice.config.schema import RunConfig


def config_tree(config: RunConfig, *, exclude: set[str] | None = None) -> dict[str, Any]:
    """The config as plain JSON types (dates as ISO text), keys as written in YAML."""
    return config.model_dump(mode="json", by_alias=True, exclude=exclude)


def get_path(tree: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (``strategy.params.share``); KeyError when absent."""
    node: Any = tree
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise KeyError(path)
        node = node[part]
    return node


def set_path(tree: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path in a nested dict, creating sections as needed (a misspelt path is
    caught when the config is validated, with a "did you mean")."""
    node = tree
    for part in path.split(".")[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"'{part}' holds a value, not a section", where=path)
        node = child
    node[path.split(".")[-1]] = value


def override_tree(config: RunConfig | Mapping[str, Any], overrides: Mapping[str, Any], *,
                  exclude: set[str] | None = None) -> dict[str, Any]:
    """The JSON tree of ``config`` with each dotted path of ``overrides`` set."""
    tree = (config_tree(config, exclude=exclude) if isinstance(config, RunConfig)
            else copy.deepcopy(dict(config)))
    for path, value in overrides.items():
        set_path(tree, path, value)
    return tree


def with_overrides(config: RunConfig, overrides: Mapping[str, Any]) -> RunConfig:
    """``config`` with each dotted path of ``overrides`` set, validated again.

    Dates may be given as ``datetime.date`` or ISO text. Raises ConfigError (through the
    schema) when a path or value is not allowed.
    """
    if not overrides:
        return config
    from huice.config.validation import validate_model

    tree = override_tree(config, {k: _plain(v) for k, v in overrides.items()})
    return validate_model(RunConfig, tree, source="<overrides>", lines={})


def _plain(value: Any) -> Any:
    """Dates and timestamps as ISO text, as the JSON tree holds them."""
    if hasattr(value, "isoformat") and not isinstance(value, str):
        text = value.isoformat()
        return text[:10] if len(text) >= 10 and "T00:00:00" in text else text
    return value
