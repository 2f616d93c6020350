"""Read a run configuration from YAML (``yaml.safe_load`` semantics only) into :class:`RunConfig`.

Relative paths are resolved against the YAML file's folder. Duplicate keys, which YAML would
silently merge, are errors. Each node's line is remembered so that errors point at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from config.errors import ConfigError
from config.schema import RunConfig
from config.validation import Location, validate_model


@dataclass(frozen=True)
class LoadedConfig:
    """A validated config with what is needed to report later errors precisely."""

    config: RunConfig
    source: Path
    lines: dict[Location, int]

    @property
    def base_dir(self) -> Path:
        return self.source.parent


def _walk(node: yaml.Node, path: Location, lines: dict[Location, int], source: Path) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise ConfigError(f"duplicate key '{key}' (first at line {seen[key]})",
                                  source=source, line=key_node.start_mark.line + 1,
                                  where=".".join(str(p) for p in path) or None)
            seen[key] = key_node.start_mark.line + 1
            _walk(value_node, path + (key,), lines, source)
            lines[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + (index,), lines, source)


def parse_yaml(text: str, source: Path) -> tuple[Any, dict[Location, int]]:
    """Parse YAML safely; return the data and a map from key path to line number."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"not valid YAML: {problem}", source=source,
                          line=mark.line + 1 if mark else None) from exc
    lines: dict[Location, int] = {}
    if node is not None:
        _walk(node, (), lines, source)
    return data, lines


def load_config(path: str | Path) -> LoadedConfig:
    """Load and validate a run configuration file.

    Raises
    ------
    ConfigError
        The file is missing, is not YAML, or does not match the schema.
    """
    source = Path(path)
    if not source.is_file():
        raise ConfigError("config file not found", source=source)
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file: {exc}", source=source) from exc
    data, lines = parse_yaml(text, source)
    if not isinstance(data, dict):
        raise ConfigError("the top level must be a mapping with keys name, data, strategy, "
                          "broker, report", source=source, line=1)
    config = validate_model(RunConfig, data, source=source, lines=lines,
                            context={"base_dir": source.resolve().parent})
    return LoadedConfig(config=config, source=source, lines=lines)
