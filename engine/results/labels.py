"""The engine's words in English and Chinese (``labels.yaml`` beside this module): the reports',
sweeps' and monitors' titles, every metric's label and explanation, table headers, states, run
notes and the config values a reader sees. Read through :class:`huice.config.language.Words`,
so a missing key raises :class:`MissingWords` instead of showing the key."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from huice.config.language import MissingWords, Words, in_language

__all__ = ["CODES", "COLUMNS", "CONFIG_VALUES", "GROUP_TITLES", "NOTES", "SECTION_TITLES",
           "VALUES", "WORDS", "MetricLabel", "MissingWords", "Words", "config_value",
           "has_text", "in_language", "joined", "metric_groups", "say", "text"]
LABELS_FILE = Path(__file__).with_name("labels.yaml")
# the tables of labels.yaml that text() reads
GROUP_TITLES, SECTION_TITLES, WORDS = "group_titles", "sections", "words"
COLUMNS, VALUES = "columns", "values"  # table headers, and the states and sides in the cells
NOTES = "notes"  # the run notes' sentences
CODES = "codes"  # what the broker's order codes mean
CONFIG_VALUES = "config_values"  # a config value shown to a reader: {field: {value: entry}}


ENGINE_WORDS = Words(LABELS_FILE)


@dataclass(frozen=True)
class MetricLabel:
    """How one figure is shown: its label and what it means, per language."""

    key: str
    kind: str            # percent, ratio, money, count, days, text
    en: str
    zh: str
    en_help: str
    zh_help: str

    def label(self, language: str) -> str:
        """The figure's label in ``language``."""
        return in_language(language, en=self.en, zh=self.zh)

    def explanation(self, language: str) -> str:
        """What the figure means, in ``language``."""
        return in_language(language, en=self.en_help, zh=self.zh_help)


def metric_groups() -> dict[str, tuple[MetricLabel, ...]]:
    """Metric groups (returns, risk, risk_adjusted, trading, costs) in report order."""
    return {group: tuple(MetricLabel(**item) for item in items)
            for group, items in ENGINE_WORDS.tables()["groups"].items()}


def text(table: str, key: str, language: str) -> str:
    """The ``language`` wording of ``key`` in ``table`` of labels.yaml (``group_titles``,
    ``sections``, ``words``, ``columns``, ``values``, ``notes``, ...); :class:`MissingWords`
    if absent."""
    return ENGINE_WORDS.text(table, key, language=language)


def has_text(table: str, key: str) -> bool:
    """Whether labels.yaml has words for ``key`` in ``table``."""
    return ENGINE_WORDS.has(table, key)


def say(table: str, key: str, language: str, **values: object) -> str:
    """:func:`text`, its ``{placeholders}`` filled with ``values``."""
    return ENGINE_WORDS.say(table, key, language=language, **values)


def config_value(field: str, value: object, language: str) -> str:
    """A config value as a reader sees it (``weighting: equal`` -> 等权 in Chinese)."""
    return ENGINE_WORDS.text(CONFIG_VALUES, field, str(value), language=language)


def joined(items: list[str] | tuple[str, ...], language: str) -> str:
    """``items`` as a list in a sentence (", " in English, "，" in Chinese)."""
    return text(WORDS, "list_separator", language).join(items)
