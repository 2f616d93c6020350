"""Interactive charts for the HTML reports, drawn by plotly.js in the reader's browser.

Why plotly: its JavaScript bundle is one file, so a report embeds it and works offline; it
zooms, hovers and toggles series by clicking the legend out of the box, and is what AKQuant's
report uses, so researchers know it. The figures are written here as plain JSON specs (traces and
layout): nothing renders on our side and no Python plotting package is needed. The bundle is
plotly.js's own *cartesian* distribution (scatter, bar, box, heatmap, histogram: every trace type
the reports draw), vendored in ``assets/`` (see its README): 1.5 MB inlined instead of the full
bundle's 4.8 MB.
"""

from __future__ import annotations

import functools
import html
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from huice.config.errors import HuiceError
from huice.engine.results.chart_payload import pack_traces
from huice.engine.results.cjk_font import FAMILY, RANGES
from huice.engine.results.labels import WORDS, text

PALETTE = ("#1f4e9c", "#d9822b", "#2e8b57", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d",
           "#b8860b", "#2c3e50", "#e377c2")
STRATEGY_COLOUR, BENCHMARK_COLOUR = "#1f4e9c", "#7f7f7f"
# high red, low green, the middle white (plotly.js has no built-in red-white-green scale): the
# crowding monitor's scale (crowded is the warning, whatever the market's colour convention)
DIVERGING = [[0.0, "#b03a2e"], [0.5, "#f7f7f7"], [1.0, "#1e8449"]]
# gains and losses: green up and red down (the Western convention), or red up and green down
# (红涨绿跌, what every Chinese trading screen shows): (gain rgb, loss rgb)
GREEN_UP = ((46, 139, 87), (192, 57, 43))
RED_UP = ((192, 57, 43), (46, 139, 87))


def gain_loss_colours(colors: str, language: str) -> tuple[tuple[int, int, int],
                                                              tuple[int, int, int]]:
    """The (gain, loss) colours: ``report.colors`` cn (red up) or intl (green up), or auto (cn
    for a Chinese report, intl otherwise)."""
    red = colors == "cn" or (colors == "auto" and text(WORDS, "gains_in", language) == "red")
    return RED_UP if red else GREEN_UP


def gain_loss_scale(colours: tuple[tuple[int, int, int], tuple[int, int, int]]) -> list[list[Any]]:
    """A heatmap colour scale from losses (low) through white (zero) to gains (high)."""
    gain, loss = colours
    return [[0.0, rgba(loss, 1.0)], [0.5, "#f7f7f7"], [1.0, rgba(gain, 1.0)]]


def rgba(colour: tuple[int, int, int], alpha: float) -> str:
    return f"rgba({colour[0]},{colour[1]},{colour[2]},{alpha:.2f})"
SEQUENTIAL = [[0.0, "#f7fbff"], [1.0, "#08519c"]]
PLOT_CONFIG = {"displaylogo": False, "responsive": True,
               "modeBarButtonsToRemove": ["sendDataToCloud", "lasso2d", "select2d"]}

Trace = dict[str, Any]  # one plotly trace, as JSON types
# a promise settled when the page's embedded Chinese font has loaded (asked for with a character
# inside its unicode-range), or at once on a page without one
FONT_THEN = ("(document.fonts&&document.fonts.load?document.fonts.load("
             f"'12px \"{FAMILY}\"','\\u{RANGES[0][0]:04x}'):Promise.resolve()).then")
# the page's embedded Chinese glyphs first (they answer only for CJK code points), then the
# reader's own fonts
CHART_FONT = '"Huice CJK", system-ui, sans-serif'


PLOTLY_BUNDLE = Path(__file__).resolve().parent / "assets" / "plotly-cartesian-4.1.1.min.js"


@functools.lru_cache(maxsize=1)
def plotly_bundle() -> str:
    """plotly.js (its cartesian distribution, vendored in ``assets/``), read once per process."""
    if not PLOTLY_BUNDLE.is_file():
        raise HuiceError(f"the report's plotly.js bundle is missing ({PLOTLY_BUNDLE}): "
                         "reinstall huice")
    return PLOTLY_BUNDLE.read_text(encoding="utf-8")


def script_tag() -> str:
    """The inline ``<script>`` holding plotly.js, for the page's head."""
    return f"<script>{plotly_bundle()}</script>"


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (np.floating,)):
        return _plain(float(value))
    if isinstance(value, (np.integer,)):
        return int(value)
    return value


CHART_DIGITS = 7  # significant digits a chart keeps: 1,004,821 CNY, 0.1234567 (CSVs keep all)


def significant(array: np.ndarray, digits: int = CHART_DIGITS) -> np.ndarray:
    """``array`` rounded to ``digits`` significant digits (zeros, NaN and inf unchanged)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        magnitude = np.floor(np.log10(np.abs(array)))
    magnitude = np.where(np.isfinite(magnitude), magnitude, 0.0)
    scale = 10.0 ** (digits - 1 - magnitude)
    return np.round(array * scale) / scale


def series_values(values: Any, digits: int = CHART_DIGITS) -> list[float | None]:
    """A column as JSON-ready numbers, to ``digits`` significant digits (7: what a chart can
    show, about a third of the bytes of full precision; NaN and inf as null)."""
    array = significant(np.asarray(values, dtype=float), digits)
    finite = np.isfinite(array)
    listed = array.tolist()
    if finite.all():
        return list(listed)
    return [value if ok else None for value, ok in zip(listed, finite.tolist())]


def dates(index: Any) -> list[str]:
    """ISO dates of a DatetimeIndex."""
    values = pd.DatetimeIndex(index).to_numpy(dtype="datetime64[D]")
    days: list[str] = np.datetime_as_string(values, unit="D").tolist()
    return days


def legend_entries(traces: list[Trace]) -> int:
    """How many entries plotly's legend shows for ``traces``."""
    return sum(1 for trace in traces if trace.get("showlegend", True)
               and trace.get("type") not in NO_LEGEND_TYPES)


def chart_div(chart_id: str, traces: list[Trace], layout: dict[str, Any],
              height: int = 360) -> str:
    """A ``<div>`` and the script that draws ``traces`` into it. Its legend is below the chart
    for a few entries; for more than ``LEGEND_BELOW_AT_MOST`` (unless ``layout`` places the
    legend itself) one column at the right, the chart as tall as that column (wrapped rows
    below ran off the chart's bottom edge: industry rotation holds 31 industries and cash)."""
    entries = legend_entries(traces)
    legend: dict[str, Any] = {"orientation": "h", "y": -0.15}
    if entries > LEGEND_BELOW_AT_MOST and "legend" not in layout:
        legend = {"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top"}
        height = max(height, 100 + LEGEND_ROW_PX * entries)
    base: dict[str, Any] = {"height": height, "margin": {"l": 60, "r": 20, "t": 40, "b": 40},
            "hovermode": "x unified", "legend": legend,
            "font": {"family": CHART_FONT, "size": 12}}
    base.update(layout)
    for key in [k for k in base if k.startswith(("xaxis", "yaxis"))] or ["yaxis"]:
        # room for the tick labels, however wide (2,200,000 never loses its "2,")
        axis = dict(base.get(key) or {})
        axis.setdefault("automargin", True)
        base[key] = axis
    if "yaxis" not in base:
        base["yaxis"] = {"automargin": True}
    packed = pack_traces(traces)
    payload = json.dumps({"data": packed.traces, "layout": base, "config": PLOT_CONFIG},
                         default=_plain, allow_nan=False, ensure_ascii=False)
    payload = payload.replace("</", "<\\/")  # never end the script early
    safe_id = html.escape(chart_id)
    # drawn once the embedded Chinese font is in: plotly measures its text (a legend entry's
    # width, the room for tick labels) when it draws, and a measure taken in the fallback font
    # cuts the real glyphs off
    return (f'<div class="chart" id="{safe_id}"></div>\n<script>(function(){{var f={payload};'
            f'{packed.unpack_script("f")}'
            f'var draw=function(){{Plotly.newPlot("{safe_id}",f.data,f.layout,f.config);}};'
            f'{FONT_THEN}(draw,draw);}})();</script>')


LEGEND_BELOW_AT_MOST = 8  # more entries: the legend is one column at the right
LEGEND_ROW_PX = 20  # a legend row at the charts' 12 px font, with its gap
NO_LEGEND_TYPES = ("heatmap", "histogram2d", "contour")  # traces a legend does not list
RATIO_DIGITS = 4  # rolling ratios and drawdowns: 0.1234 is all a reader can see
SHADE_DIGITS = 3  # weights stacked to 100% and a diagnostic heatmap's cells: colour, not figures


def line(x: list[Any], y: Any, name: str, colour: str | None = None,
         digits: int = CHART_DIGITS, **extra: Any) -> Trace:
    """A line trace; ``y`` kept to ``digits`` significant digits."""
    trace: Trace = {"type": "scatter", "mode": "lines", "x": x,
                    "y": series_values(y, digits), "name": name, "line": {"width": 1.4}}
    if colour:
        trace["line"]["color"] = colour
    trace.update(extra)
    return trace


def scale_buttons(linear: str, log: str) -> list[dict[str, Any]]:
    """A linear / log switch for the y axis."""
    # top left, in the chart's top margin: plotly's toolbar takes the top right
    return [{"type": "buttons", "direction": "left", "x": 0, "xanchor": "left", "y": 1.0,
             "yanchor": "bottom", "pad": {"b": 4},
             "showactive": True,
             "buttons": [{"label": label, "method": "relayout", "args": [{"yaxis.type": kind}]}
                         for label, kind in ((linear, "linear"), (log, "log"))]}]


def heatmap(z: np.ndarray, x: list[str], y: list[str], *, title: str, colour_title: str,
            zrange: tuple[float, float] | None = None, colorscale: Any = SEQUENTIAL,
            reverse: bool = False, labelled: bool = False, percent: bool = False,
            digits: int = CHART_DIGITS) -> tuple[list[Trace], dict[str, Any]]:
    """A heatmap of ``z`` (rows ``y``, columns ``x``): its trace and layout. ``zrange`` fixes
    the colour range (default: the data's own); ``labelled`` writes every cell's value into it
    (as a percentage with ``percent``); values keep ``digits`` significant digits."""
    trace = {"type": "heatmap", "z": [series_values(row, digits) for row in z], "x": x, "y": y,
             "colorscale": colorscale, "reversescale": reverse,
             "hovertemplate": "%{y}, %{x}: %{z:.4g}<extra></extra>",
             "colorbar": {"title": {"text": colour_title},
                          **({"tickformat": ".1%"} if percent else {})}}
    if zrange is not None:
        trace.update(zmin=zrange[0], zmax=zrange[1])
    if labelled:
        trace.update(text=[[("" if not math.isfinite(v) else (f"{v:.1%}" if percent
                                                               else f"{v:.3g}"))
                            for v in row] for row in z],
                     texttemplate="%{text}", textfont={"size": 14},
                     hovertemplate="%{y} / %{x}: %{text}<extra></extra>")
    layout = {"title": {"text": title}, "hovermode": "closest",
              "xaxis": {"type": "category"}, "yaxis": {"type": "category"}}
    return [trace], layout
