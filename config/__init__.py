"""Typed run configuration: schema (pydantic models), YAML loading and user-facing errors."""
