"""The Chinese glyphs a page embeds: exactly the characters it uses, from the shipped subset of
WenQuanYi Micro Hei, the same bytes on every run (the browser test draws them with no CJK font
on the machine)."""

from __future__ import annotations

import base64
import io
import re

from fontTools.ttLib import TTFont
from loguru import logger

from huice.engine.results import cjk_font
from huice.engine.results.labels import LABELS_FILE


def embedded_font(css: str) -> TTFont:
    data = re.search(r"base64,([A-Za-z0-9+/=]+)\)", css).group(1)
    return TTFont(io.BytesIO(base64.b64decode(data)))


def test_a_page_without_chinese_embeds_nothing():
    assert cjk_font.font_face_css("Sharpe ratio 1.23, 2,200,000 CNY, 801080.SI") == ""


def test_the_font_holds_exactly_the_page_characters():
    page = "<h1>申万电子 回测报告</h1><td>夏普比率</td> (Latin, 12.5%)，。"
    css = cjk_font.font_face_css(page)
    assert 'font-family:"Huice CJK"' in css and "unicode-range:U+2E80-2FDF" in css
    cmap = embedded_font(css).getBestCmap()
    assert {chr(c) for c in cmap} == set("申万电子回测报告夏普比率，。")


def test_every_label_catalog_name_and_strategy_note_is_in_the_shipped_font():
    from huice.feeds.catalog import BUNDLED_CATALOG
    from tests.conftest import REPO

    text = LABELS_FILE.read_text(encoding="utf-8") + BUNDLED_CATALOG.read_text(encoding="utf-8")
    text += "".join(p.read_text(encoding="utf-8") for p in (REPO / "strategies").glob("*.py"))
    characters = cjk_font.cjk_characters(text)
    assert len(characters) > 300
    assert cjk_font._subset_woff(characters)[1] == ""


def test_same_characters_same_bytes_and_a_missing_one_is_named():
    first = cjk_font.font_face_css("年化收益率")
    cjk_font._subset_woff.cache_clear()
    assert cjk_font.font_face_css("年化收益率") == first
    heard: list[str] = []
    sink = logger.add(heard.append, level="WARNING", format="{message}")
    logger.enable("huice")
    try:
        css = cjk_font.font_face_css("年化龘")
    finally:
        logger.remove(sink)
        logger.disable("huice")
    assert css and len(heard) == 1 and "龘" in heard[0]
    assert {chr(c) for c in embedded_font(css).getBestCmap()} == set("年化")
