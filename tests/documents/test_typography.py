import io
import re

import pypdf

from shifan.documents import typography as ty


def embedded_font_names(pdf_bytes):
    reader = pypdf.PdfReader(io.BytesIO(pdf_bytes))
    names = set()
    for page in reader.pages:
        for reference in page["/Resources"]["/Font"].values():
            for descendant in reference.get_object()["/DescendantFonts"]:
                name = str(descendant.get_object()["/BaseFont"]).lstrip("/")
                names.add(re.sub(r"^[A-Z]{6}\+", "", name))
    return names


def test_every_face_renders_in_its_installed_stand_in():
    from weasyprint import HTML

    html = f"""<html lang="zh-CN"><style>{ty.css_font_rules()}</style>
    <p class="fs">仿宋正文</p><p class="ht">黑体标题</p><p class="kt">楷体标题</p>
    <p class="st">宋体页码</p><p class="xbs">小标宋标题</p></html>"""
    pdf = HTML(string=html, url_fetcher=ty.url_fetcher()).write_pdf()
    assert embedded_font_names(pdf) == {
        "cwTeXFangSong-Medium",
        "Noto-Serif-CJK-SC",
        "Noto-Serif-CJK-SC-Bold",
        "Noto-Sans-CJK-SC",
        "AR-PL-KaitiM-GB",
    }


def test_pdf_note_says_which_free_font_stands_for_which():
    note = ty.pdf_font_note({"正文": ty.FANGSONG, "二级标题": ty.KAITI})
    assert note == (
        "字体说明：本 PDF 嵌入开源字体，"
        "正文以 cwTeXFangSong（其缺少的简体字以 AR PL KaitiM GB 补足）代替仿宋_GB2312，"
        "二级标题以 AR PL KaitiM GB 代替楷体_GB2312；Word 版使用原字体名称。"
    )


def test_word_note_names_each_font_once():
    note = ty.word_font_note({"正文": ty.FANGSONG, "表格": ty.FANGSONG, "一级标题": ty.HEITI})
    assert note.startswith("字体说明：本文件指定仿宋_GB2312、黑体字体")
