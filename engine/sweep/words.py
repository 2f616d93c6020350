"""The sweep, walk-forward and screen pages' words in English or Chinese (the ``sweep`` and
``columns`` tables of engine/results/labels.yaml): an English page names metrics and columns
by their results.csv keys, a Chinese one by their labels."""

from __future__ import annotations

import functools

from huice.engine.results.labels import COLUMNS, metric_groups, text

SWEEP = "sweep"


def say(key: str, language: str, **values: object) -> str:
    """The ``language`` wording of ``key``, its ``{placeholders}`` filled with ``values``."""
    return text(SWEEP, key, language).format(**values)


@functools.lru_cache(maxsize=1)
def _metric_labels() -> dict[str, str]:
    return {label.key: label.zh for labels in metric_groups().values() for label in labels}


def metric_name(key: str, language: str) -> str:
    """A metric as the page names it: its results.csv key in English, its label in Chinese."""
    if language != "zh":
        return key
    return _metric_labels().get(key) or text(COLUMNS, key, language)


def header(column: str, language: str) -> str:
    """A table header of the sweep pages in ``language``: a column of results.csv, a metric,
    or a metric with a prefix (``best sharpe``, ``train_return``)."""
    if language != "zh":
        return column
    translated = text(COLUMNS, column, language)
    if translated != column:
        return translated
    if column in _metric_labels():
        return _metric_labels()[column]
    for prefix, key in (("best ", "best_metric"), ("mean ", "mean_metric"),
                        ("train_", "train_metric"), ("test_", "test_metric")):
        if column.startswith(prefix):
            rest = column[len(prefix):]
            rest = "total_return" if rest == "return" else rest
            return say(key, language, metric=metric_name(rest, language))
    return column
