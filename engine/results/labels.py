"""The report's words in English and Chinese: section titles, and for every metric a label and
a one-line explanation, read from ``labels.yaml`` beside this module. ``report.language`` picks
one (default ``en``: the CSV columns and docs are English, so an English page reads as one
text; ``zh`` translates the labels, explanations, headings, table headers and the states in
them)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LABELS_FILE = Path(__file__).with_name("labels.yaml")
# the tables of labels.yaml that text() reads
GROUP_TITLES, SECTION_TITLES, WORDS = "group_titles", "sections", "words"
COLUMNS, VALUES = "columns", "values"  # table headers, and the states and sides in the cells
NOTES = "notes"  # the run notes' sentences
CODES = "codes"  # what the broker's order codes mean


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
        return self.zh if language == "zh" else self.en

    def explanation(self, language: str) -> str:
        return self.zh_help if language == "zh" else self.en_help


@functools.lru_cache(maxsize=1)
def _words() -> dict[str, Any]:
    import yaml

    words: dict[str, Any] = yaml.load(LABELS_FILE.read_text(encoding="utf-8"),
                     Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return words


def metric_groups() -> dict[str, tuple[MetricLabel, ...]]:
    """Metric groups (returns, risk, risk_adjusted, trading, costs) in report order."""
    return {group: tuple(MetricLabel(**item) for item in items)
            for group, items in _words()["groups"].items()}


def text(table: str, key: str, language: str) -> str:
    """The ``language`` wording of ``key`` in ``table`` (``group_titles``, ``sections``,
    ``words``, ``columns`` or ``values``); the key itself if absent."""
    entry = _words()[table].get(key)
    if entry is None:
        return key
    return str(entry["zh"] if language == "zh" else entry["en"])
