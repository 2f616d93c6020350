"""The base of every config model, and how a path in a YAML file is resolved."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationInfo


class StrictModel(BaseModel):
    """Base of every config model: frozen, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def resolve_path(value: Path | None, info: ValidationInfo) -> Path | None:
    """Resolve a relative path against the folder of the YAML file that named it."""
    if value is None:
        return None
    base = (info.context or {}).get("base_dir")
    path = Path(value).expanduser()
    if not path.is_absolute() and base is not None:
        path = Path(base) / path
    return path
