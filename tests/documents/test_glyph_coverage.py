"""Every character the forms, the demo and the reference data can print has a glyph in each PDF face.

A face is a list of installed families; Pango takes each character from the first family that has
it. cwTeX 仿宋 lacks many simplified characters, so these tests also prove the fallback is there and
is used: a character missing from every family would print as an empty box.
"""

import functools
import subprocess
import unicodedata
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from shifan.documents import typography as ty
from tests.documents.test_typography import embedded_font_names

ROOT = Path(__file__).resolve().parents[2]
FACES = {
    "仿宋": ty.FANGSONG,
    "楷体": ty.KAITI,
    "黑体": ty.HEITI,
    "宋体": ty.SONGTI,
    "小标宋": ty.XIAOBIAOSONG,
}


def corpus_files():
    yield from sorted((ROOT / "programs").glob("*.yaml"))
    yield from sorted(path for path in (ROOT / "src/shifan/demo").rglob("*.py"))
    yield ROOT.parent / "shared/spec/reference-data.md"


@functools.cache
def printable_characters():
    text = "".join(path.read_text(encoding="utf-8") for path in corpus_files())
    # Controls and spaces have no glyph to draw; everything else does.
    return frozenset(
        char for char in text if not unicodedata.category(char).startswith(("C", "Z")) and char != "\ufeff"
    )


@functools.cache
def family_characters(family):
    """Return the code points of an installed family's regular face, from fontconfig's exact match."""
    listed = subprocess.run(
        ["fc-list", "--format=%{file}|%{index}|%{style}\n", f":family={family}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert listed, f"{family} is not installed (Makefile SYSTEM_PACKAGES)"
    path, index, _style = sorted(listed, key=lambda line: "Regular" not in line)[0].split("|")
    with TTFont(path, fontNumber=int(index), lazy=True) as font:
        return frozenset(font.getBestCmap())


def uncovered(face, characters):
    covered = set().union(*(family_characters(family) for family in face.pdf_families))
    return {char for char in characters if ord(char) not in covered}


def test_corpus_holds_the_programmes_chinese():
    characters = printable_characters()
    assert {"申", "报", "务", "粤", "（", "）", "，", "。", "元"} <= characters
    assert len([char for char in characters if unicodedata.east_asian_width(char) == "W"]) > 500


@pytest.mark.parametrize("name", FACES)
def test_every_printed_character_has_a_glyph_in_the_face_or_its_fallback(name):
    missing = uncovered(FACES[name], printable_characters())
    assert not missing, f"{name}: {''.join(sorted(missing))}"


def test_fangsong_is_a_real_fangsong_face_whose_gaps_the_fallback_fills():
    assert ty.FANGSONG.pdf_families[0] == "cwTeXFangSong"
    own = family_characters("cwTeXFangSong")
    gaps = {char for char in printable_characters() if ord(char) not in own}
    # cwTeX 仿宋 was drawn for traditional Chinese: simplified forms such as 务 and 报 are missing.
    assert {"务", "报"} <= gaps
    assert not uncovered(ty.Face("", ty.FANGSONG.pdf_families[1:], "serif"), gaps)


def test_a_line_mixing_covered_and_missing_characters_embeds_fangsong_and_its_fallback():
    from weasyprint import HTML

    html = f"""<html lang="zh-CN"><meta charset="utf-8"><style>{ty.css_font_rules()}</style>
    <p class="fs">企业服务型制造示范申报</p></html>"""
    pdf = HTML(string=html, url_fetcher=ty.url_fetcher()).write_pdf()
    assert embedded_font_names(pdf) == {"cwTeXFangSong-Medium", "AR-PL-KaitiM-GB"}
