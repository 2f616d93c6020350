"""Where a config came from (its YAML file, folder and lines), so that errors and relative
paths refer to it. Carried beside the config, not in it: a :class:`RunConfig` is frozen, and
two equal configs from two files are still two origins. The table holds each config weakly,
by identity; a config it does not know came from no file (the current folder)."""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from huice.config.loader import LoadedConfig
from huice.config.schema import RunConfig


@dataclass(frozen=True)
class ConfigOrigin:
    """The folder relative paths are taken from, the YAML file (None: a dict or code), its
    lines by YAML path, and the YAML as read (to find where a value was written)."""

    base_dir: Path
    source: str | None = None
    lines: Mapping[Any, int] = field(default_factory=dict)
    loaded: LoadedConfig | None = None


_ORIGINS: dict[int, tuple[weakref.ref[RunConfig], ConfigOrigin]] = {}


def with_origin(config: RunConfig, origin: ConfigOrigin) -> RunConfig:
    """``config``, remembered as coming from ``origin`` (the same object, unchanged)."""
    key = id(config)
    held = _ORIGINS.get(key)
    if held is None or held[0]() is not config:
        table = _ORIGINS  # held by the callback: module globals are gone at interpreter exit
        _ORIGINS[key] = (weakref.ref(config, lambda _: table.pop(key, None)), origin)
    else:
        _ORIGINS[key] = (held[0], origin)
    return config


def origin_of(config: RunConfig) -> ConfigOrigin:
    """Where ``config`` came from; a config never loaded from a file: the current folder."""
    held = _ORIGINS.get(id(config))
    if held is not None and held[0]() is config:
        return held[1]
    return ConfigOrigin(Path.cwd())
