"""Which config fields make up a run's identity and a paper account's identity.

The schema marks each field that is *left out* of one or both identities, once, where the field
is declared (``Field(..., json_schema_extra=left_out_of("run"))``); the run id and the account
hash both read the marks through :func:`identity_tree`. A run's id leaves out where things live
(catalog, file and state paths) and how a page is worded; an account's identity leaves out what
grows or does not change what it trades (``data.end``, the paper and sweep blocks).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel

Identity = Literal["run", "account"]
MARK = "left_out_of"
# lists that are left out when empty, so that identities from before the field existed hold
OMIT_WHEN_EMPTY = "omit_when_empty"


def left_out_of(*identities: Identity, omit_when_empty: bool = False) -> dict[str, Any]:
    """The ``json_schema_extra`` of a field left out of ``identities``."""
    extra: dict[str, Any] = {MARK: list(identities)}
    if omit_when_empty:
        extra[OMIT_WHEN_EMPTY] = True
    return extra


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds directly (Model, Model | None)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    return []


def _mapped_model(annotation: Any) -> type[BaseModel] | None:
    """The value model of ``dict[str, Model]``."""
    if typing.get_origin(annotation) is dict:
        args = typing.get_args(annotation)
        models = _models_in(args[1]) if len(args) == 2 else []
        return models[0] if models else None
    return None


def identity_tree(model: type[BaseModel], tree: Mapping[str, Any],
                  identity: Identity) -> dict[str, Any]:
    """``tree`` (a config as JSON types, keys as in YAML) without the fields the schema leaves
    out of ``identity``."""
    kept: dict[str, Any] = dict(tree)
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key not in kept:
            continue
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        marks = extra.get(MARK, [])
        if isinstance(marks, list) and identity in marks:
            del kept[key]
            continue
        value = kept[key]
        if extra.get(OMIT_WHEN_EMPTY) and not value:
            del kept[key]
            continue
        models = _models_in(field.annotation)
        if models and isinstance(value, Mapping):
            kept[key] = identity_tree(models[0], value, identity)
        mapped = _mapped_model(field.annotation)
        if mapped is not None and isinstance(value, Mapping):
            kept[key] = {k: identity_tree(mapped, v, identity) if isinstance(v, Mapping) else v
                         for k, v in value.items()}
    return kept
