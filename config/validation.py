"""Turn pydantic validation errors into one-line :class:`ConfigError` messages.

A message names the YAML path, the line, what was found and what is allowed, and suggests a
near name for a misspelt key: ``strategy.params.share: must be in (0, 1], got 1.5``.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from huice.config.errors import ConfigError

Location = tuple[str | int, ...]


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types an annotation may hold (Optional/Union flattened)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        found: list[Any] = []
        for arg in typing.get_args(annotation):
            found.extend(_unwrap(arg))
        return found
    return [annotation]


def _child_annotation(annotation: Any, key: str | int) -> Any | None:
    """The annotation of ``annotation[key]`` for models, dicts and lists."""
    for candidate in _unwrap(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            field = _field_by_key(candidate, key)
            if field is not None:
                return field.annotation
        origin = typing.get_origin(candidate)
        if origin in (dict, Mapping) and isinstance(key, str):
            return typing.get_args(candidate)[1]
        if origin in (list, Sequence, tuple) and isinstance(key, int):
            return typing.get_args(candidate)[0]
    return None


def _field_by_key(model: type[BaseModel], key: str | int) -> FieldInfo | None:
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return field
    return None


def _model_at(root: type[BaseModel], loc: Location) -> type[BaseModel] | None:
    annotation: Any = root
    for key in loc:
        annotation = _child_annotation(annotation, key)
        if annotation is None:
            return None
    for candidate in _unwrap(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def allowed_keys(model: type[BaseModel]) -> list[str]:
    """The YAML keys a model accepts (aliases where set)."""
    return [field.alias or name for name, field in model.model_fields.items()]


def _describe_range(field: FieldInfo | None) -> str | None:
    if field is None:
        return None
    low: object = None
    high: object = None
    low_open = high_open = False
    for item in field.metadata:
        if isinstance(item, annotated_types.Gt):
            low, low_open = item.gt, True
        elif isinstance(item, annotated_types.Ge):
            low, low_open = item.ge, False
        elif isinstance(item, annotated_types.Lt):
            high, high_open = item.lt, True
        elif isinstance(item, annotated_types.Le):
            high, high_open = item.le, False
    if low is None and high is None:
        return None
    if high is None:
        return f"must be {'>' if low_open else '>='} {low}"
    if low is None:
        return f"must be {'<' if high_open else '<='} {high}"
    return f"must be in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"


def _format_one(error: Mapping[str, Any], root: type[BaseModel]) -> str:
    loc: Location = tuple(error["loc"])
    kind = error["type"]
    found = error.get("input")
    if kind == "extra_forbidden":
        parent = _model_at(root, loc[:-1])
        allowed = allowed_keys(parent) if parent else []
        key = str(loc[-1])
        hint = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        text = f"unknown key '{key}'"
        if hint:
            text += f"; did you mean '{hint[0]}'?"
        if allowed:
            text += f" Allowed: {', '.join(allowed)}"
        return text
    if kind == "missing":
        return "is required"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        text = f"must be one of {expected}, got {found!r}"
        options = [part.strip().strip("'") for part in str(expected).replace(" or ", ",").split(",")]
        hint = difflib.get_close_matches(str(found), options, n=1, cutoff=0.6)
        return text + (f"; did you mean '{hint[0]}'?" if hint else "")
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        parent = _model_at(root, loc[:-1])
        field = _field_by_key(parent, loc[-1]) if parent else None
        described = _describe_range(field) or error["msg"].lower()
        return f"{described}, got {found!r}"
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    message = error["msg"].rstrip(".")
    return f"{message[:1].lower()}{message[1:]}, got {found!r}"


def format_path(loc: Sequence[str | int]) -> str:
    """``('broker', 'instruments', '510300.SH', 'lot')`` -> ``broker.instruments[510300.SH].lot``."""
    text = ""
    for key in loc:
        if isinstance(key, int) or "." in key or "/" in key:
            text += f"[{key}]"
        else:
            text += ("." if text else "") + key
    return text


def config_error_from(exc: ValidationError, root: type[BaseModel], *, source: str | Path,
                      lines: Mapping[Location, int], prefix: Location = ()) -> ConfigError:
    """Build the user-facing error for the first problem (and count the others)."""
    # a misspelt key also makes the intended key "missing": report the misspelling first
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    loc = prefix + tuple(key for key in first["loc"] if key not in ("function-after",))
    message = _format_one(first, root)
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    line = None
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in lines:
            line = lines[loc[:cut]]
            break
    return ConfigError(message, source=source, line=line, where=format_path(loc) or None)


Model = TypeVar("Model", bound=BaseModel)


def validate_model(model: type[Model], data: Any, *, source: str | Path,
                   lines: Mapping[Location, int], prefix: Location = (),
                   context: Mapping[str, Any] | None = None) -> Model:
    """Validate ``data`` against ``model``; raise :class:`ConfigError` on the first problem."""
    try:
        return model.model_validate(data, context=dict(context or {}))
    except ValidationError as exc:
        raise config_error_from(exc, model, source=source, lines=lines, prefix=prefix) from exc
