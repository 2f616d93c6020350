"""The report's tables as HTML: grouped metrics with explanations, yearly returns against the
benchmark, the monthly heatmap, the worst drawdown periods, trades and orders (refusals
summarised by refusal code, the details collapsible)."""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from huice.engine.results.formatting import NOT_AVAILABLE, is_undefined, number, percent
from huice.engine.results.labels import (
    CODES,
    COLUMNS,
    GROUP_TITLES,
    VALUES,
    WORDS,
    joined,
    metric_groups,
    say,
    text,
)
from huice.engine.results.plotly_traces import GREEN_UP, rgba
from huice.engine.results.tearsheet import DrawdownPeriod


def _escape(value: Any) -> str:
    return html.escape(str(value))


def format_figure(value: Any, kind: str) -> str:
    """A figure for people, by its kind."""
    if kind == "percent":
        return percent(value)
    if kind == "ratio":
        return number(value, ".3f")
    if kind == "money":
        return number(value, ",.2f")
    if kind in ("count", "days"):
        return NOT_AVAILABLE if is_undefined(value) else f"{int(value):,}"
    return NOT_AVAILABLE if value is None or value == "" else str(value)


def contribution_table(contribution: Mapping[str, float], language: str) -> str:
    """Each instrument's contribution to return (they add up to the total return)."""
    if not contribution:
        return ""
    title = text(WORDS, "contribution_title", language)
    help_text = text(WORDS, "contribution_help", language)
    rows = "".join(f'<tr><td class="label">{_escape(symbol)}</td>'
                   f'<td class="value" data-metric="contribution.{_escape(symbol)}">'
                   f"{_escape(percent(value))}</td><td class=\"help\"></td></tr>"
                   for symbol, value in contribution.items())
    return (f'<div class="group"><h3>{_escape(title)}</h3><p class="small">{_escape(help_text)}'
            f'</p><table class="metrics">{rows}</table></div>')


def shown_figure(value: Any, kind: str, language: str) -> str:
    """``format_figure`` with an undefined figure said in ``language`` (n/a, 无)."""
    shown = format_figure(value, kind)
    return text(WORDS, "not_available", language) if shown == NOT_AVAILABLE else shown


def metrics_tables(figures: Mapping[str, Any], language: str) -> str:
    """One table per group: label, value, what it means."""
    parts = []
    for group, labels in metric_groups().items():
        rows = "".join(
            f'<tr><td class="label">{_escape(m.label(language))}</td>'
            f'<td class="value" data-metric="{_escape(m.key)}">'
            f'{_escape(shown_figure(figures.get(m.key), m.kind, language))}</td>'
            f'<td class="help">{_escape(m.explanation(language))}</td></tr>'
            for m in labels)
        parts.append(f'<div class="group"><h3>{_escape(text(GROUP_TITLES, group, language))}'
                     f'</h3><table class="metrics">{rows}</table></div>')
    return "".join(parts) + contribution_table(figures.get("contribution") or {}, language)


Colours = tuple[tuple[int, int, int], tuple[int, int, int]]


def _signed_cell(value: float, bound: float, colours: Colours = GREEN_UP) -> str:
    """A table cell coloured for a gain or a loss (``colours``: gain, loss; see
    :func:`~huice.engine.results.plotly_traces.gain_loss_colours`), deeper for larger ones."""
    if is_undefined(value):
        return "<td></td>"
    if value == 0:
        return f"<td>{value:.2%}</td>"
    strength = min(1.0, abs(value) / bound) if bound else 0.0
    colour = rgba(colours[0] if value >= 0 else colours[1], 0.12 + 0.6 * strength)
    return f'<td style="background:{colour}">{value:.2%}</td>'


def yearly_table_html(table: pd.DataFrame, language: str, colours: Colours = GREEN_UP) -> str:
    """Year, strategy, benchmark, excess."""
    if table.empty:
        return f"<p>{_escape(text(WORDS, 'none', language))}</p>"
    columns = [c for c in ("strategy", "benchmark", "excess") if c in table.columns]
    values = table[columns].to_numpy(dtype=float)
    bound = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    head = "".join(f"<th>{_escape(text(WORDS, c, language))}</th>" for c in ["year", *columns])
    body = "".join("<tr><td>" + str(int(row["year"])) + "</td>"
                   + "".join(_signed_cell(float(row[c]), bound, colours) for c in columns)
                   + "</tr>"
                   for _, row in table.iterrows())
    return f'<table class="yearly"><tr>{head}</tr>{body}</table>'


def monthly_heatmap_html(table: pd.DataFrame, yearly: pd.Series | None, language: str,
                         colours: Colours = GREEN_UP) -> str:
    """Years down, months across, each cell coloured on a scale centred on zero whose end is
    the largest monthly move of the run."""
    if table.empty:
        return f"<p>{_escape(text(WORDS, 'none', language))}</p>"
    values = table.to_numpy(dtype=float)
    bound = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    months = [text(WORDS, f"month_{m}", language) for m in range(1, 13)]
    head = ("<tr><th>" + _escape(text(WORDS, "year", language)) + "</th>"
            + "".join(f"<th>{m}</th>" for m in months)
            + (f"<th>{_escape(text(WORDS, 'total', language))}</th>" if yearly is not None
               else "") + "</tr>")
    rows = []
    for year, row in table.iterrows():
        cells = "".join(_signed_cell(float(v), bound, colours)
                        for v in row.to_numpy(dtype=float))
        total = ""
        if yearly is not None:
            year_value = yearly.get(year, math.nan)
            total = (f"<td><b>{year_value:.2%}</b></td>" if not is_undefined(year_value)
                     else "<td></td>")
        rows.append(f"<tr><td>{int(year)}</td>{cells}{total}</tr>")
    return (f'<table class="heatmap">{head}{"".join(rows)}</table>'
            f'<p class="small">'
            f"{_escape(text(WORDS, 'colour_scale', language).format(bound=f'{bound:.2%}'))}</p>")


def drawdowns_html(periods: list[DrawdownPeriod], language: str) -> str:
    """Peak, trough, recovery, depth and lengths of the worst drawdowns."""
    if not periods:
        return f"<p>{_escape(text(WORDS, 'no_drawdown', language))}</p>"
    keys = ("peak", "trough", "recovery", "depth", "to_trough", "bars")
    head = "".join(f"<th>{_escape(text(WORDS, k, language))}</th>" for k in keys)
    rows = []
    for number_, period in enumerate(periods, start=1):
        recovery = (period.recovery.date().isoformat() if period.recovery is not None
                    else text(WORDS, "not_recovered", language))
        rows.append(f"<tr><td>{number_}. {period.start.date()}</td><td>{period.trough.date()}</td>"
                    f"<td>{_escape(recovery)}</td><td>{period.depth:.2%}</td>"
                    f"<td>{period.days_to_trough}</td><td>{period.days}</td></tr>")
    return f'<table class="drawdowns"><tr>{head}</tr>{"".join(rows)}</table>'


TRANSLATED_CELLS = ("side", "status", "kind")  # columns whose values are words of labels.yaml


def frame_html(frame: pd.DataFrame, language: str = "en", limit: int = 200,
               css: str = "rows", header: Callable[[str], str] | None = None) -> str:
    """A frame as a table, the first ``limit`` rows (the CSV has all): headers (the
    ``columns`` table's, or what ``header`` names a column), sides, order states and kinds in
    ``language``."""
    if frame.empty:
        return f"<p>{_escape(text(WORDS, 'none', language))}</p>"
    shown = frame.head(limit).copy()
    for column in TRANSLATED_CELLS:
        if column in shown and shown[column].dtype == object:
            shown[column] = [text(VALUES, v, language) if isinstance(v, str) else v
                             for v in shown[column]]
    shown.columns = [header(str(c)) if header else text(COLUMNS, str(c), language)
                     for c in shown.columns]
    table = shown.to_html(index=False, border=0, classes=css, na_rep="",
                          float_format=lambda v: f"{v:,.4f}")
    more = (f"<p>{_escape(text(WORDS, 'more_rows', language).format(n=len(frame) - limit))}</p>"
            if len(frame) > limit else "")
    return f'<div class="scroll">{table}</div>{more}'


def notes_by_code(orders: pd.DataFrame) -> pd.DataFrame:
    """One row per (order, refusal code) of the orders that carry a note: the broker's codes
    (docs/broker.md, "Refusal codes"), never the wording of the sentences. Orders booked
    before codes existed (older paper accounts) count under ``(not coded)``."""
    codes = orders["codes"].fillna("").astype(str).str.split()
    codes = codes.map(lambda listed: listed or ["(not coded)"])
    exploded = orders.assign(code=codes).explode("code")
    return exploded[["order_id", "code", "status"]]


def orders_html(orders: pd.DataFrame, language: str) -> str:
    """Order counts by status, the notes summarised by reason and status, then every order with
    a note inside a collapsed ``<details>``."""
    if orders.empty:
        return f"<p>{_escape(text(WORDS, 'no_orders', language))}</p>"
    status = orders["status"].value_counts().sort_index()
    separator = text(WORDS, "colon", language)
    summary = joined([f"{_escape(text(VALUES, k, language))}{separator}{v}"
                      for k, v in status.items()], language)
    stop = text(WORDS, "full_stop", language)
    noted = orders[orders["reason"].fillna("").astype(str) != ""]
    if noted.empty:
        return f"<p>{summary}{stop} {_escape(text(WORDS, 'no_note', language))}</p>"
    counted = (notes_by_code(noted).groupby(["code", "status"]).size().rename("count")
               .reset_index().sort_values(["count", "code"], ascending=[False, True]))
    head = "".join(f"<th>{_escape(text(WORDS, k, language))}</th>"
                   for k in ("reason", "status", "count"))
    def meaning(code: str) -> str:
        return say(WORDS, "code_meaning", language, code=code,
                   meaning=text(CODES, code, language))

    rows = "".join(f"<tr><td>{_escape(meaning(r.code))}</td>"
                   f"<td>{_escape(text(VALUES, r.status, language))}</td><td>{r.count}</td></tr>"
                   for r in counted.itertuples())
    if text(WORDS, "order_reasons", language) == "codes":
        # the broker's sentence is English: say what its codes mean instead
        noted = noted.assign(reason=[
            text(WORDS, "code_separator", language).join(
                text(CODES, c, language) for c in str(codes).split()) or str(reason)
            for codes, reason in zip(noted["codes"].fillna(""), noted["reason"])])
    return (f"<p>{summary}{stop}</p><h3>{_escape(text(WORDS, 'orders_by_reason', language))}</h3>"
            f'<table class="reasons"><tr>{head}</tr>{rows}</table>'
            f"<details><summary>"
            f"{_escape(text(WORDS, 'all_noted', language).format(n=len(noted)))}</summary>"
            f"{frame_html(noted, language, limit=500)}</details>")
