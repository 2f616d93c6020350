"""Build the Chinese font subset that every report embeds (engine/results/cjk_font.py).

Run from the repo root on a machine with WenQuanYi Micro Hei (Debian: fonts-wqy-microhei)::

    python data/build_font.py [--source /usr/share/fonts/truetype/wqy/wqy-microhei.ttc]

WenQuanYi Micro Hei is licensed Apache-2.0 (or GPL-3+ with the font exception); huice takes it
under Apache-2.0 (engine/results/assets/wqy-microhei-LICENSE.txt). The subset holds:

- the 3,755 characters of GB2312 level 1 (the common characters of simplified Chinese), so a
  user's own Chinese run names and instrument names mostly render too;
- every character of engine/results/labels.yaml, data/catalog.csv and the bundled strategies'
  Chinese report notes (whatever their level);
- CJK symbols and punctuation (U+3000..U+303F) and full-width forms (U+FF00..U+FFEF).

The output is deterministic for the same source font: WOFF (zlib), no hinting, no layout
features (the reports set no vertical or ligature text).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "engine" / "results" / "assets" / "huice-cjk-wqy-microhei-subset.woff"
SOURCE = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def gb2312_level1() -> str:
    """The 3,755 characters of GB2312 level 1 (rows 16..55), in code order."""
    characters = []
    for high in range(0xB0, 0xD8):
        for low in range(0xA1, 0xFF):
            try:
                characters.append(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue  # the five unassigned cells at the end of row 55
    return "".join(characters)


def essential_characters() -> str:
    """GB2312 level 1 and every Chinese character of labels.yaml, the catalog and the bundled
    strategies (sorted)."""
    text = gb2312_level1()
    text += (REPO / "engine" / "results" / "labels.yaml").read_text(encoding="utf-8")
    text += (REPO / "data" / "catalog.csv").read_text(encoding="utf-8")
    for module in sorted((REPO / "strategies").glob("*.py")):  # their Chinese report notes
        text += module.read_text(encoding="utf-8")
    return "".join(sorted({c for c in text if ord(c) >= 0x2E80}))


def punctuation() -> str:
    """CJK symbols and punctuation, full-width ASCII and the full-width currency signs."""
    return "".join(chr(c) for c in [*range(0x3000, 0x3040), *range(0xFF01, 0xFF5F),
                                    *range(0xFFE0, 0xFFE7)])


def build(source: Path, output: Path) -> int:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = []
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = ["*"]  # keep the copyright and licence records
    options.drop_tables += ["FFTM"]
    font = TTFont(source, fontNumber=0)
    characters = essential_characters()
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters + punctuation())
    subsetter.subset(font)
    font.flavor = "woff"
    output.parent.mkdir(parents=True, exist_ok=True)
    font.save(output)
    missing = [c for c in characters if ord(c) not in TTFont(output).getBestCmap()]
    print(f"{output.relative_to(REPO)}: {len(characters)} characters asked, "
          f"{len(characters) - len(missing)} in the font, {output.stat().st_size:,} bytes")
    if missing:
        print(f"not in {source.name}: {''.join(missing)}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    if not args.source.is_file():
        print(f"{args.source}: no such font (apt-get install fonts-wqy-microhei)",
              file=sys.stderr)
        return 2
    return build(args.source, args.output)


if __name__ == "__main__":
    sys.exit(main())
