"""User-facing error types.

Every error a user can cause (bad YAML, bad data file, unknown strategy) is a ``HuiceError``:
it carries where the problem is (file, line, YAML path) and what is allowed, and the CLI prints
it on one or two lines with exit code 2. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from pathlib import Path


class HuiceError(Exception):
    """An error caused by the user's input, reported without a traceback.

    Parameters
    ----------
    message:
        What is wrong and what is allowed.
    source:
        The file the problem is in, if any.
    line:
        1-based line number in ``source``, if known.
    where:
        A location inside the file: a YAML path (``strategy.params.share``) or a column name.
    """

    def __init__(self, message: str, *, source: str | Path | None = None, line: int | None = None,
                 where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.source = str(source) if source is not None else None
        self.line = line
        self.where = where

    def __str__(self) -> str:
        prefix = ""
        if self.source:
            prefix = self.source + (f":{self.line}" if self.line else "") + ": "
        elif self.line:
            prefix = f"line {self.line}: "
        where = f"{self.where}: " if self.where else ""
        return f"{prefix}{where}{self.message}"


class ConfigError(HuiceError):
    """The run configuration (YAML) is invalid."""


class RegistryError(HuiceError):
    """A strategy name cannot be resolved, or is registered twice."""
