"""Typography of official documents (GB/T 9704), shared by the 通告 and the 申报书 generators.

Word files name the fonts the reader's Word or WPS should use (仿宋_GB2312, 黑体, 楷体_GB2312) on
the East Asian font attribute: government offices have them installed, and they are not ours to
ship; the font table offers an alternative for computers without them. PDFs embed free Debian
fonts instead (Makefile `SYSTEM_PACKAGES`), found by family name through fontconfig, and say in
their properties which font stands for which. The only free 仿宋 in Debian, cwTeX 仿宋體, was drawn
for traditional Chinese and lacks about a third of the simplified characters the forms use (务, 业,
报, …): each face is a list of families, and Pango takes every character from the first family
that has it, so a missing 仿宋 glyph prints in 楷体, the nearest free look, and never as a blank box.
tests/documents/test_glyph_coverage.py checks every character of the spec, the demo and the
reference data against each list.

Nothing is fetched while rendering: `url_fetcher()` refuses every URL that is not a local file or
data carried in the page itself (the QR codes of the 申报书 are PNG data URIs).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docx.document import Document
    from docx.styles.style import ParagraphStyle
    from docx.text.paragraph import Paragraph
    from docx.text.parfmt import ParagraphFormat
    from docx.text.run import Run
    from weasyprint.urls import URLFetcher

# Chinese type sizes in points (section 7 of the reference data).
SIZES: dict[str, float] = {
    "初号": 42,
    "小初": 36,
    "一号": 26,
    "小一": 24,
    "二号": 22,
    "小二": 18,
    "三号": 16,
    "小三": 15,
    "四号": 14,
    "小四": 12,
    "五号": 10.5,
    "小五": 9,
}

# Latin letters and digits in Word: the usual companion of the Chinese faces in official documents.
LATIN_FONT = "Times New Roman"


@dataclass(frozen=True)
class Face:
    """One typeface of the standard: its name in Word, and its free stand-in in PDFs."""

    word: str
    # Installed families, best first; fontconfig takes the first it has.
    pdf_families: tuple[str, ...]
    generic: str
    pdf_weight: int = 400
    # What Word or WPS should use where `word` is missing: current Windows has 仿宋 and 楷体
    # but not the GB2312 editions government offices install.
    word_alternative: str = ""
    # Classification digits Word also uses to pick a similar font.
    panose: str = "00000000000000000000"
    # What the first family lacks that the second supplies, when that is common enough to say.
    fallback_note: str = ""

    @property
    def pdf_name(self) -> str:
        return self.pdf_families[0] + (" Bold" if self.pdf_weight >= 700 else "")

    @property
    def pdf_stand_in(self) -> str:
        """Return the stand-in as the font note names it: the face, and the one that fills its gaps."""
        if self.fallback_note:
            return f"{self.pdf_name}（{self.fallback_note}以 {self.pdf_families[1]} 补足）"
        return self.pdf_name

    def css(self) -> str:
        """Return the CSS declarations that set this face's stand-in."""
        families = ", ".join(f'"{family}"' for family in self.pdf_families)
        return f"font-family: {families}, {self.generic}; font-weight: {self.pdf_weight};"


FANGSONG = Face(
    "仿宋_GB2312",
    ("cwTeXFangSong", "AR PL KaitiM GB", "Noto Serif CJK SC"),
    "serif",
    word_alternative="仿宋",
    panose="02010609030101010101",
    fallback_note="其缺少的简体字",
)
HEITI = Face("黑体", ("Noto Sans CJK SC", "WenQuanYi Zen Hei"), "sans-serif", panose="02010609060101010101")
KAITI = Face(
    "楷体_GB2312",
    ("AR PL KaitiM GB", "Noto Serif CJK SC"),
    "serif",
    word_alternative="楷体",
    panose="02010609030101010101",
)
SONGTI = Face("宋体", ("Noto Serif CJK SC",), "serif", panose="02010600030101010101")
# The title face of government documents; a bold Song is the nearest free look.
XIAOBIAOSONG = Face(
    "方正小标宋简体",
    ("Noto Serif CJK SC",),
    "serif",
    pdf_weight=700,
    word_alternative="宋体",
)


def pt(size: str) -> float:
    """Return a Chinese type size (三号, 小四, …) in points."""
    return SIZES[size]


def _substitutions(faces_by_part: dict[str, Face]) -> str:
    def substitution(part: str, face: Face) -> str:
        stand_in = face.pdf_stand_in
        # A Latin name is set off by spaces; a closing full-width bracket needs none.
        return f"{part}以 {stand_in}{'' if stand_in.endswith('）') else ' '}代替{face.word}"

    return "，".join(substitution(part, face) for part, face in faces_by_part.items())


def pdf_font_note(faces_by_part: dict[str, Face]) -> str:
    """Return the note a PDF carries in its properties on the fonts standing in for the real ones.

    `faces_by_part` names the parts of the document and their faces: {"正文": FANGSONG, …}.
    """
    return f"字体说明：本 PDF 嵌入开源字体，{_substitutions(faces_by_part)}；Word 版使用原字体名称。"


def word_font_note(faces_by_part: dict[str, Face]) -> str:
    """Return the note a Word file carries in its properties on the fonts it names."""
    names = "、".join(dict.fromkeys(face.word for face in faces_by_part.values()))
    return (
        f"字体说明：本文件指定{names}字体，计算机未安装时由 Word 或 WPS 以其他字体显示；"
        f"PDF 版嵌入开源字体，{_substitutions(faces_by_part)}。"
    )


# Word -----------------------------------------------------------------------------------------

_THEME_ATTRIBUTES = ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme")


def set_word_fonts(target: Run | ParagraphStyle, face: Face, *, latin: str = LATIN_FONT) -> None:
    """Set the Latin and East Asian fonts of a python-docx run or style.

    python-docx's `font.name` sets only the Latin slots; Chinese text takes `w:eastAsia`. Theme
    font attributes win over named ones on the same element, so they go.
    """
    from docx.oxml.ns import qn

    r_fonts = target.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in _THEME_ATTRIBUTES:
        r_fonts.attrib.pop(qn(f"w:{attribute}"), None)
    r_fonts.set(qn("w:ascii"), latin)
    r_fonts.set(qn("w:hAnsi"), latin)
    r_fonts.set(qn("w:cs"), latin)
    r_fonts.set(qn("w:eastAsia"), face.word)


def east_asian_font(target: Run | ParagraphStyle) -> str | None:
    """Return the East Asian font set directly on a run or style, if any."""
    from docx.oxml.ns import qn

    r_pr = target.element.rPr
    if r_pr is None or r_pr.rFonts is None:
        return None
    value = r_pr.rFonts.get(qn("w:eastAsia"))
    return str(value) if value is not None else None


def declare_word_fonts(document: Document, faces: Iterable[Face]) -> None:
    """List the faces in the document's font table, each with its alternative and GB2312 charset.

    Word and WPS read the table when a named font is missing, to pick the alternative or a
    similar font rather than their default.
    """
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement, parse_xml
    from docx.oxml.ns import qn
    from lxml import etree

    part = document.part.part_related_by(RELATIONSHIP_TYPE.FONT_TABLE)
    table = parse_xml(part.blob)
    declared = {font.get(qn("w:name")) for font in table.findall(qn("w:font"))}
    for face in faces:
        if face.word in declared:
            continue
        declared.add(face.word)
        font = OxmlElement("w:font", {qn("w:name"): face.word})
        if face.word_alternative:
            font.append(OxmlElement("w:altName", {qn("w:val"): face.word_alternative}))
        font.append(OxmlElement("w:panose1", {qn("w:val"): face.panose}))
        font.append(OxmlElement("w:charset", {qn("w:val"): "86"}))  # GB2312
        font.append(OxmlElement("w:family", {qn("w:val"): "auto"}))
        font.append(OxmlElement("w:pitch", {qn("w:val"): "variable"}))
        table.append(font)
    # The font table is a plain part to python-docx: its bytes are all there is to replace.
    part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)


def set_word_defaults(document: Document, face: Face, size: str) -> None:
    """Make a face and size the document default, in Chinese, with single spacing and no gaps."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    r_pr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    r_fonts = r_pr.find(qn("w:rFonts"))
    for attribute in _THEME_ATTRIBUTES:
        r_fonts.attrib.pop(qn(f"w:{attribute}"), None)
    for slot in ("ascii", "hAnsi", "cs"):
        r_fonts.set(qn(f"w:{slot}"), LATIN_FONT)
    r_fonts.set(qn("w:eastAsia"), face.word)
    half_points = str(round(pt(size) * 2))
    for tag in ("w:sz", "w:szCs"):
        r_pr.find(qn(tag)).set(qn("w:val"), half_points)
    lang = r_pr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        r_pr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")
    spacing.set(qn("w:lineRule"), "auto")

    normal = document.styles["Normal"]
    set_word_fonts(normal, face)
    normal.font.size = Pt(pt(size))


def style_word_paragraphs(style: ParagraphStyle, face: Face, size: str, *, bold: bool = False) -> None:
    """Restyle a (built-in) paragraph style: one face and size, black, no spacing or theme decoration."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    set_word_fonts(style, face)
    style.font.size = Pt(pt(size))
    style.font.bold = bold
    style.font.italic = False
    style.font.color.rgb = RGBColor(0, 0, 0)
    style.paragraph_format.space_before = Pt(0)
    style.paragraph_format.space_after = Pt(0)
    p_pr = style.element.pPr
    if p_pr is not None:
        for tag in ("w:pBdr", "w:contextualSpacing"):
            for element in p_pr.findall(qn(tag)):
                p_pr.remove(element)
    r_pr = style.element.rPr
    if r_pr is not None:
        for tag in ("w:spacing", "w:kern", "w:bCs", "w:iCs", "w:szCs"):
            for element in r_pr.findall(qn(tag)):
                r_pr.remove(element)


def first_line_indent_chars(paragraph_format: ParagraphFormat, chars: int, size: str) -> None:
    """Indent a paragraph's first line by whole characters, in Word's own unit and in points."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    paragraph_format.first_line_indent = Pt(pt(size) * chars)
    ind = paragraph_format._element.get_or_add_pPr().get_or_add_ind()
    ind.set(qn("w:firstLineChars"), str(chars * 100))


def add_page_number_field(paragraph: Paragraph, face: Face, size: str) -> None:
    """Append "— PAGE —" to a footer paragraph, the page number as a Word field."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    def run(text: str = "") -> Run:
        new = paragraph.add_run(text)
        set_word_fonts(new, face)
        new.font.size = Pt(pt(size))
        return new

    run("— ")
    _field_char(run(), "begin")
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = " PAGE "
    run().element.append(instruction)
    _field_char(run(), "separate")
    run("1")
    _field_char(run(), "end")
    run(" —")


def _field_char(run: Run, kind: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), kind)
    run.element.append(char)


# PDF ------------------------------------------------------------------------------------------


def css_font_rules() -> str:
    """Return CSS classes `.fs`, `.ht`, `.kt`, `.st`, `.xbs` setting the PDF stand-in faces.

    The families are installed system fonts that fontconfig finds by name. No @font-face: the
    Noto CJK files are 20–27 MB collections holding the Japanese, Korean and traditional faces as
    well, and an @font-face rule would copy a whole collection per render and register all its
    faces under one name, whereas the family name "Noto Serif CJK SC" picks the simplified face.
    """
    classes = {"fs": FANGSONG, "ht": HEITI, "kt": KAITI, "st": SONGTI, "xbs": XIAOBIAOSONG}
    return "\n".join(f".{name} {{ {face.css()} }}" for name, face in classes.items())


def url_fetcher() -> URLFetcher:
    """Return a WeasyPrint URL fetcher that opens local files and data URIs only, failing otherwise."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"file", "data"}, fail_on_errors=True)
