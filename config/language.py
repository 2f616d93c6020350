"""The one way huice picks a language: word files of English and Chinese entries.

Every word huice shows a reader lives in a YAML file of tables (engine/results/labels.yaml for
the engine, reports, sweeps and monitors; strategies/words.yaml for the bundled strategies'
notes), each entry an ``en`` and a ``zh`` wording. :class:`Words` reads one such file; a key
that is not there raises :class:`MissingWords`, so a page never shows a raw key.
``report.language`` picks the language (default ``en``). Code outside this module never
compares a language itself: it asks a :class:`Words` file or :func:`in_language`."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LANGUAGES = ("en", "zh")


class MissingWords(LookupError):
    """A word asked for that its words file does not have: a missing translation is a bug,
    caught by the tests that render every page, never shown as a raw key."""


def _checked(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r}: allowed {', '.join(LANGUAGES)}")
    return language


@functools.lru_cache(maxsize=8)
def _tables(path: Path) -> dict[str, Any]:
    import yaml

    tables: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"),
                                       Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return tables


@dataclass(frozen=True)
class Words:
    """One YAML file of word tables: ``{table: {key: {en: ..., zh: ...}}}``, where a table may
    nest further tables (``config_values: {weighting: {equal: {...}}}``)."""

    path: Path

    def tables(self) -> dict[str, Any]:
        """The file's tables, read once."""
        return _tables(self.path)

    def entry(self, *keys: str) -> Mapping[str, Any]:
        """The entry at ``keys`` (a table, then keys inside it); :class:`MissingWords` if
        absent."""
        node: Any = self.tables()
        for depth, key in enumerate(keys):
            if not isinstance(node, Mapping) or key not in node:
                raise MissingWords(f"{self.path.name}: no words for "
                                   f"{'.'.join(keys[:depth + 1])!r}")
            node = node[key]
        if not isinstance(node, Mapping):
            raise MissingWords(f"{self.path.name}: {'.'.join(keys)!r} is not a table")
        return node

    def has(self, *keys: str) -> bool:
        """Whether ``keys`` name an entry of this file."""
        try:
            self.entry(*keys)
        except MissingWords:
            return False
        return True

    def text(self, *keys: str, language: str) -> str:
        """The ``language`` wording of the entry at ``keys``."""
        entry = self.entry(*keys)
        wording = entry.get(_checked(language))
        if wording is None:
            raise MissingWords(f"{self.path.name}: {'.'.join(keys)!r} has no {language!r}")
        return str(wording)

    def say(self, *keys: str, language: str, **values: object) -> str:
        """The ``language`` wording of the entry at ``keys``, its ``{placeholders}`` filled
        with ``values``."""
        return self.text(*keys, language=language).format(**values)


def in_language(language: str, *, en: str, zh: str) -> str:
    """The ``language`` one of two wordings a source gives itself (an instrument's names, a
    chart's titles), the other when that one is empty."""
    first, other = (zh, en) if _checked(language) == "zh" else (en, zh)
    return first or other
