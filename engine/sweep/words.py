"""The sweep, walk-forward and screen pages' words in English or Chinese (the ``sweep`` and
``columns`` tables of engine/results/labels.yaml): an English page names metrics and columns
by their results.csv keys, a Chinese one by their labels. A column built from a metric
(``best sharpe``, ``train_return``) is named by :func:`metric_column`, the one place its
spelling is made, so a header is looked up, never parsed."""

from __future__ import annotations

import functools
from collections.abc import Collection

from huice.engine.results.labels import (
    COLUMNS,
    MissingWords,
    has_text,
    in_language,
    metric_groups,
    text,
)

SWEEP = "sweep"
# a metric column's kind: (how results.csv spells it, its words in the sweep table)
METRIC_COLUMNS = {"best": ("best {metric}", "best_metric"), "mean": ("mean {metric}",
                                                                      "mean_metric"),
                  "train": ("train_{metric}", "train_metric"),
                  "test": ("test_{metric}", "test_metric")}
# a fold's train and test return are total returns, spelled train_return and test_return
RETURN_ALIAS = {"return": "total_return"}


def say(key: str, language: str, **values: object) -> str:
    """The ``language`` wording of ``key``, its ``{placeholders}`` filled with ``values``."""
    return text(SWEEP, key, language).format(**values)


def metric_column(kind: str, metric: str) -> str:
    """The column of ``metric`` of a ``kind`` (best, mean, train, test): ``best sharpe``."""
    return METRIC_COLUMNS[kind][0].format(metric=metric)


@functools.lru_cache(maxsize=1)
def _metric_labels() -> dict[str, str]:
    return {label.key: label.zh for labels in metric_groups().values() for label in labels}


@functools.lru_cache(maxsize=1)
def _metric_columns() -> dict[str, tuple[str, str]]:
    metrics = [*_metric_labels(), *RETURN_ALIAS]
    return {metric_column(kind, metric): (kind, metric)
            for kind in METRIC_COLUMNS for metric in metrics}


def _metric_in_chinese(key: str) -> str:
    key = RETURN_ALIAS.get(key, key)
    return _metric_labels().get(key) or text(COLUMNS, key, "zh")


def metric_name(key: str, language: str) -> str:
    """A metric as the page names it: its results.csv key in English, its label in Chinese
    (:class:`MissingWords` when it has none)."""
    return in_language(language, en=key, zh=_metric_in_chinese(key))


def header(column: str, language: str, identifiers: Collection[str] = ()) -> str:
    """A table header of the sweep pages in ``language``: a column of results.csv, a metric,
    a metric's column (:func:`metric_column`), or one of ``identifiers`` (the params, shown
    as they are); :class:`MissingWords` for anything else."""
    if column in identifiers:
        return column
    if has_text(COLUMNS, column):
        chinese = text(COLUMNS, column, "zh")
    elif column in _metric_labels():
        chinese = _metric_labels()[column]
    elif column in _metric_columns():
        kind, metric = _metric_columns()[column]
        chinese = say(METRIC_COLUMNS[kind][1], "zh", metric=_metric_in_chinese(metric))
    else:
        raise MissingWords(f"labels.yaml: no words for the sweep column {column!r}")
    return in_language(language, en=column, zh=chinese)
