"""The bundled strategies' notes in English and Chinese (strategies/words.yaml beside this
module), read through :class:`huice.config.language.Words`: one table per strategy, and the
config values a note shows a reader."""

from __future__ import annotations

from pathlib import Path

from huice.config.language import Words

STRATEGY_WORDS = Words(Path(__file__).with_name("words.yaml"))


def note(strategy: str, key: str, language: str, **values: object) -> str:
    """The ``language`` sentence ``key`` of ``strategy``'s table, its placeholders filled."""
    return STRATEGY_WORDS.say(strategy, key, language=language, **values)


def value(field: str, chosen: object, language: str) -> str:
    """A config value as a note shows it (``weighting: equal`` -> 等权 in Chinese)."""
    return STRATEGY_WORDS.text("config_values", field, str(chosen), language=language)
