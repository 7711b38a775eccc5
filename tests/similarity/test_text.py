"""Normalisation, shingles and the alignment shown side by side."""

from shifan.programs.registry import spec_file
from shifan.similarity import services
from shifan.similarity.align import align
from shifan.similarity.text import Stripper, normalise, shingle_hashes, shingles


def test_width_case_punctuation_and_spaces_are_unified():
    assert normalise("ＡＢＣ１２３ abc") == "abc123abc"
    assert normalise("服务，制造。“引号”（一）、\n\t 【注】") == "服务制造引号一注"
    # The same sentence typed with full-width and half-width punctuation compares equal.
    assert normalise("公司建立了远程运维平台, 接入设备3000台;") == normalise(
        "公司建立了远程运维平台，接入设备３０００台；"
    )


def test_spec_headings_guidance_and_boilerplate_are_removed():
    spec = spec_file("guangdong-2024.yaml").spec
    strip = Stripper(services.spec_phrases(spec))
    field = spec.category("enterprise").form.field("intro")
    text = f"{field.label}：{field.guidance}本公司成立于1998年，专注数控机床。服务型制造示范企业"
    assert strip(text) == "本公司成立于1998年专注数控机床".lower()
    # Phrases of one or two characters would cut ordinary words out of every text: kept.
    assert Stripper(["企业", "的"])("企业的发展") == "企业的发展"


def test_shingles_are_overlapping_and_hashes_distinct():
    assert shingles("abcdef", 4) == {"abcd", "bcde", "cdef"}
    assert shingles("abc", 4) == {"abc"}
    assert len(shingle_hashes("abcdabcd", 4)) == len(shingles("abcdabcd", 4)) == 4
    assert len(shingle_hashes("", 5)) == 0


def test_alignment_marks_shared_runs_whatever_their_order_and_punctuation():
    first = (
        "一、总体情况。公司建立了覆盖研发设计、生产制造的服务体系。\n\n二、客户续约率达到百分之八十五以上。"
    )
    second = (
        "客户续约率达到百分之八十五以上！\n\n公司建立了覆盖研发设计，生产制造的服务体系。另有独立内容写在这里"
    )
    left, right = align(first, second)
    shared_left = "".join(s.text for s in left.segments if s.shared)
    shared_right = "".join(s.text for s in right.segments if s.shared)
    assert "公司建立了覆盖研发设计、生产制造的服务体系" in shared_left
    assert "客户续约率达到百分之八十五以上" in shared_left
    assert "公司建立了覆盖研发设计，生产制造的服务体系" in shared_right
    assert "另有独立内容" not in shared_right
    assert "总体情况" not in shared_left
    # The segments put together give back the text exactly as written.
    assert "".join(s.text for s in left.segments) == first
    assert 0 < right.shared_percent < 100


def test_alignment_marks_nothing_in_unrelated_texts_or_runs_under_eight_characters():
    left, right = align("公司专注数控机床研发制造", "企业开展检验检测认证服务，数控机床")
    assert not any(s.shared for s in left.segments + right.segments)
    assert left.shared_percent == 0
