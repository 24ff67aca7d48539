"""Make NotoSansSC-banli.otf, the CJK font banli's charts are drawn with: a subset of Noto Sans
CJK SC Regular (SIL OFL 1.1, see OFL.txt) covering ASCII, the GB2312 character set (its 6,763
hanzi and its symbols), CJK and full-width punctuation, and every character of banli's own
Chinese text (definitions, the demo county, labels). A maintainer's tool, not run by banli:

    .venv/bin/python banli/reports/fonts/make_subset.py [/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc]

(fontTools comes with matplotlib; the source font with Debian's fonts-noto-cjk.)
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

HERE = Path(__file__).parent
ROOT = HERE.parent.parent.parent
SOURCE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
TARGET = HERE / "NotoSansSC-banli.otf"
FAMILY, POSTSCRIPT = "Banli Noto Sans SC", "BanliNotoSansSC-Regular"


def gb2312() -> set[str]:
    """Every character GB2312 encodes (rows 0xA1–0xF7, cells 0xA1–0xFE)."""
    chars = set()
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                chars.add(bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def wanted() -> set[str]:
    chars = {chr(code) for code in range(0x20, 0x7F)} | gb2312()
    ranges = [(0x00A0, 0x00FF), (0x2010, 0x2027), (0x2030, 0x203B), (0x2190, 0x2193), (0x2460, 0x2473),
              (0x3000, 0x303F), (0xFF01, 0xFF5E), (0xFFE0, 0xFFE5)]
    chars |= {chr(code) for low, high in ranges for code in range(low, high + 1)}
    for pattern in ("banli/**/*.yaml", "banli/**/*.py", "README.md"):
        for path in ROOT.glob(pattern):
            chars |= {ch for ch in path.read_text(encoding="utf-8") if ord(ch) > 0x2E7F}
    return chars


def main(source: str = SOURCE) -> None:
    collection = TTCollection(source)
    font = next(f for f in collection.fonts if f["name"].getDebugName(1) == "Noto Sans CJK SC")
    options = subset.Options()
    options.hinting = False  # drawn at chart sizes by FreeType's autohinter; saves a fifth
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.layout_features = ["kern", "palt", "halt"]  # no vertical or other-locale forms: half the glyphs
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(ch) for ch in wanted()])
    subsetter.subset(font)
    # a modified version is renamed, as the OFL asks, so it is never taken for the full font
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 3, 4, 16, 21):
            names.setName(FAMILY, record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID in (6, 20):
            names.setName(POSTSCRIPT, record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID in (17, 22):
            names.setName("Regular", record.nameID, record.platformID, record.platEncID, record.langID)
    font["CFF "].cff.fontNames = [POSTSCRIPT]
    font.save(TARGET)
    print(f"{TARGET}: {len(font.getGlyphOrder())} glyphs, {TARGET.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(*sys.argv[1:])
