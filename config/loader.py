"""Read a run configuration from YAML (``yaml.safe_load`` semantics only) into :class:`RunConfig`.

Relative paths are resolved against the YAML file's folder. Duplicate keys, which YAML would
silently merge, are errors. Each node's line is remembered so that errors point at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from huice.config.errors import ConfigError
from huice.config.schema import RunConfig
from huice.config.validation import Location, format_path, validate_model


@dataclass(frozen=True)
class LoadedConfig:
    """A validated config with what is needed to report later errors precisely."""

    config: RunConfig
    source: Path
    lines: dict[Location, int]
    raw: Any = None  # the YAML as parsed, to find where a value was written

    @property
    def base_dir(self) -> Path:
        return self.source.parent

    def locate(self, where: str | None = None, value: str | None = None
               ) -> tuple[int | None, str | None]:
        """The line and YAML path of a dotted path (``data.start``) or of the first place the
        string ``value`` is written; (None, None) when neither is found."""
        if where:
            path = parse_path(where)
            while path:
                if path in self.lines:
                    return self.lines[path], where
                path = path[:-1]
        if value is not None:
            found = _find_value(self.raw, value, ())
            if found is not None:
                return self.lines.get(found), format_path(found)
        return None, None


_PATH_PART = re.compile(r"\[([^\]]+)\]|([^.\[\]]+)")


def parse_path(where: str) -> Location:
    """``data.files[510300.SH].path`` -> ``('data', 'files', '510300.SH', 'path')``."""
    parts: list[str | int] = []
    for bracketed, plain in _PATH_PART.findall(where):
        part = bracketed or plain
        parts.append(int(part) if part.isdigit() else part)
    return tuple(parts)


def _find_value(node: Any, value: str, path: Location) -> Location | None:
    if isinstance(node, str) and node == value:
        return path
    items = (node.items() if isinstance(node, dict)
             else enumerate(node) if isinstance(node, list) else ())
    for key, child in items:
        found = _find_value(child, value, path + (key,))
        if found is not None:
            return found
    return None


# A run config has a few hundred nodes; aliases may repeat a block, but a tree that expands past
# this many nodes is refused before anything walks or validates it (a YAML "billion laughs").
MAX_EXPANDED_NODES = 20_000


def _expanded_size(node: yaml.Node, source: Path,
                   sizes: dict[int, int], active: set[int]) -> int:
    """Nodes in the tree once aliases are expanded, counted without expanding them (each shared
    node's size is memoised); raises as soon as the count passes :data:`MAX_EXPANDED_NODES`."""
    key = id(node)
    if key in sizes:
        size = sizes[key]
    elif key in active:
        raise ConfigError("a YAML alias refers to itself (a recursive structure): not allowed "
                          "in a config", source=source, line=node.start_mark.line + 1)
    else:
        active.add(key)
        size = 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                size += _expanded_size(key_node, source, sizes, active)
                size += _expanded_size(value_node, source, sizes, active)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                size += _expanded_size(item, source, sizes, active)
        active.discard(key)
        sizes[key] = size
    if size > MAX_EXPANDED_NODES:
        raise ConfigError(f"YAML aliases expand this config past {MAX_EXPANDED_NODES:,} nodes: "
                          "refused (repeat blocks with fewer nested aliases)", source=source,
                          line=node.start_mark.line + 1)
    return size


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


class _NotADate(yaml.constructor.ConstructorError):
    """A scalar that YAML reads as a date but that is no date (2013-02-30)."""


class _DateCheckingLoader(yaml.SafeLoader):
    """SafeLoader whose dates that look like dates but are not (2013-02-30) are a YAML error
    at their line, not a ValueError."""

    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise _NotADate(
                None, None, f"'{node.value}' is not a date ({exc}); write dates as YYYY-MM-DD",
                node.start_mark) from exc


_DateCheckingLoader.add_constructor("tag:yaml.org,2002:timestamp",
                                    _DateCheckingLoader.construct_yaml_timestamp)


def parse_yaml(text: str, source: Path) -> tuple[Any, dict[Location, int]]:
    """Parse YAML safely; return the data and a map from key path to line number."""
    lines: dict[Location, int] = {}
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is not None:
            _expanded_size(node, source, {}, set())
            _walk(node, (), lines, source)
        data = yaml.load(text, Loader=_DateCheckingLoader)  # a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        line = mark.line + 1 if mark else None
        where = max((p for p, n in lines.items() if n == line and p), key=len, default=None)
        raise ConfigError(problem if isinstance(exc, _NotADate)
                          else f"not valid YAML: {problem}", source=source, line=line,
                          where=".".join(str(p) for p in where) if where else None) from exc
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
    return LoadedConfig(config=config, source=source, lines=lines, raw=data)
