"""The one page builder: every huice page (backtest and paper reports, sweeps and
walk-forward, the crowding monitor) has the same head, stylesheet, chart script and layout."""

from __future__ import annotations

import html
from collections.abc import Sequence

from huice.engine.results.cjk_font import FAMILY, font_face_css
from huice.engine.results.labels import WORDS, text
from huice.engine.results.plotly_traces import script_tag

STYLE = """
body{font-family:"HUICE_CJK",system-ui,-apple-system,Segoe UI,Helvetica,Arial,"PingFang SC",
"Microsoft YaHei",sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
h3{font-size:1em;margin:1em 0 .3em}
table{border-collapse:collapse;font-size:.9em;margin:.3em 0}
td,th{padding:.25em .7em;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
th{text-align:left;background:#f6f6f6}td:first-child{text-align:left}
.metrics{width:100%;table-layout:fixed}.metrics td.label{width:30%;white-space:normal}
.metrics td.value{width:22%;white-space:normal;font-variant-numeric:tabular-nums;font-weight:600}
.metrics td.help{color:#666;text-align:left;white-space:normal;font-size:.92em}
.groups{display:grid;grid-template-columns:1fr;gap:0 2em}
.notes li{margin:.3em 0}.warn{color:#a0301e;font-weight:600}
.scroll{overflow-x:auto;max-width:100%}.small{color:#777;font-size:.85em}
.chart{width:100%;min-height:240px}details{margin:.5em 0}summary{cursor:pointer}
nav a{margin-right:.9em;font-size:.9em}pre{font-family:"HUICE_CJK",monospace}
""".replace("HUICE_CJK", FAMILY)


def section(section_id: str, title: str, body: str) -> str:
    """A titled section with an anchor (``#section_id``)."""
    return f'<section id="{section_id}"><h2>{html.escape(title)}</h2>{body}</section>\n'


def html_page(*, title: str, heading: str, intro: Sequence[str], sections: Sequence[str],
              language: str = "en", charts: bool = True, navigation: Sequence[tuple[str, str]]
              = (), footer: str = "", extra_html: str = "") -> str:
    """A self-contained page. ``intro`` paragraphs (HTML) come under the heading, then the
    ``navigation`` links (anchor, label), the ``sections`` and ``extra_html``; plotly.js is
    embedded only when the page has ``charts``."""
    nav = "".join(f'<a href="#{anchor}">{html.escape(label)}</a>' for anchor, label in navigation)
    paragraphs = "".join(f"<p>{paragraph}</p>\n" for paragraph in intro if paragraph)
    body = f"""<h1>{html.escape(heading)}</h1>
{paragraphs}{f"<nav>{nav}</nav>" if nav else ""}
{"".join(sections)}
{extra_html}
{f'<p class="small">{footer}</p>' if footer else ""}
"""
    # the Chinese glyphs this page uses travel with it (no CJK font needed on the machine)
    font = font_face_css(title + body)
    return f"""<!DOCTYPE html>
<html lang="{text(WORDS, 'html_lang', language)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{font}{STYLE}</style>{script_tag() if charts else ""}</head><body>
{body}</body></html>
"""
