"""Chinese glyphs carried by the page itself: a report shows its Chinese on a machine with no CJK
font at all.

huice ships a subset of WenQuanYi Micro Hei (Apache-2.0; ``assets/``, built by
``data/build_font.py``) holding the 3,755 characters of GB2312 level 1, every character of
labels.yaml and of the bundled catalog's names, and CJK punctuation. Each page embeds a further
subset holding only the characters it uses, as a WOFF data URI under ``@font-face`` with a
``unicode-range``, so Latin text keeps the reader's own fonts and a page pays a few kilobytes per
hundred distinct characters. fontTools does the subsetting; it is imported only for a page that
has Chinese on it.
"""

from __future__ import annotations

import base64
import functools
import io
import re
from pathlib import Path

from loguru import logger

CJK_FONT = Path(__file__).resolve().parent / "assets" / "huice-cjk-wqy-microhei-subset.woff"
FAMILY = "Huice CJK"
# CJK punctuation, kana-free ideographs and their extensions, compatibility ideographs and
# full-width forms: what the embedded font answers for; everything else falls to the page's
# font stack
RANGES = ((0x2E80, 0x2FDF), (0x3000, 0x303F), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
          (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF))
UNICODE_RANGE = ", ".join(f"U+{low:04X}-{high:04X}" for low, high in RANGES)
_IN_RANGES = re.compile("[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in RANGES) + "]")


def cjk_characters(text: str) -> str:
    """The distinct characters of ``text`` inside the embedded font's ranges, sorted."""
    return "".join(sorted(set(_IN_RANGES.findall(text))))


@functools.lru_cache(maxsize=32)
def _subset_woff(characters: str) -> tuple[bytes, str]:
    """The shipped font cut to ``characters``, as WOFF bytes, and the characters it lacks. The
    same characters give the same bytes (no timestamp is written), so reruns stay identical."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = []
    options.hinting = False
    options.notdef_outline = True
    options.recalc_timestamp = False
    options.ignore_missing_unicodes = True
    font = TTFont(CJK_FONT, recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters)
    subsetter.subset(font)
    covered = font.getBestCmap()
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue(), "".join(c for c in characters if ord(c) not in covered)


def font_face_css(text: str) -> str:
    """An ``@font-face`` rule embedding the glyphs of the Chinese characters in ``text`` (empty
    when there are none). Characters the shipped font lacks are named in a warning: they show
    only where the reader's machine has a font for them."""
    characters = cjk_characters(text)
    if not characters:
        return ""
    if not CJK_FONT.is_file():
        logger.warning("the embedded Chinese font is missing ({}); Chinese shows only with a "
                       "system CJK font", CJK_FONT)
        return ""
    woff, missing = _subset_woff(characters)
    if missing:
        logger.warning("{} Chinese character(s) are not in huice's embedded font ({}): they show "
                       "only where the reader has a CJK font", len(missing), missing[:20])
    data = base64.b64encode(woff).decode("ascii")
    return (f'@font-face{{font-family:"{FAMILY}";src:url(data:font/woff;base64,{data}) '
            f'format("woff");unicode-range:{UNICODE_RANGE};font-display:block}}')
