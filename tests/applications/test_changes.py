"""Tests of the reviewer-level change between two answer sets (no database)."""

from pathlib import Path

from shifan.applications import changes
from shifan.programs.spec import load_spec

SPEC = load_spec(Path(__file__).resolve().parents[2] / "programs" / "guangdong-2024.yaml")
FORM = SPEC.category("enterprise").form
OPERATING = FORM.field("operating")
INTRO = FORM.field("intro")
AWARDS = FORM.field("awards")

INTRO_TEXT = "本公司成立于2005年，主要从事智能装备研发、制造，产品销往全国二十多个省份。" * 4


def operating(net_profit_2023: str) -> dict:
    figures = {str(year): "100" for year in OPERATING.years}
    return {
        "total_assets": dict(figures),
        "operating_revenue": dict(figures),
        "net_profit": {**figures, "2023": net_profit_2023},
    }


def test_a_changed_figure_shows_only_its_cell_old_to_new():
    change = changes.field_change(OPERATING, operating("960"), operating("980"))
    assert change is not None
    assert change.kind == "grid"
    assert [row.label for row in change.rows] == ["净利润（万元）"]
    changed = [(cell.old, cell.new) for row in change.rows for cell in row.cells if cell.changed]
    assert changed == [("960 万元", "980 万元")]
    assert change.unchanged_rows == len(OPERATING.rows) - 1
    assert change.header == [f"{year}年" for year in OPERATING.years]


def test_inserted_words_show_as_one_insertion_with_unchanged_text_collapsed():
    new = INTRO_TEXT.replace("制造，", "制造及全生命周期运维服务，", 1)
    change = changes.field_change(INTRO, INTRO_TEXT, new)
    assert change is not None
    assert change.kind == "text"
    assert [span.text for span in change.spans if span.kind == "insert"] == ["及全生命周期运维服务"]
    assert not [span for span in change.spans if span.kind == "delete"]
    skipped = [span.count for span in change.spans if span.kind == "skip"]
    assert skipped
    assert skipped[0] > 100
    # What is shown and what is counted add up to the new text.
    shown = sum(len(span.text) for span in change.spans if span.kind in ("same", "insert"))
    assert shown + sum(skipped) == len(new)


def test_chinese_replacement_is_cleaned_up_semantically():
    spans = changes.text_spans("提供设备远程运维服务", "提供整体解决方案服务")
    assert [(span.kind, span.text) for span in spans] == [
        ("same", "提供"),
        ("delete", "设备远程运维"),
        ("insert", "整体解决方案"),
        ("same", "服务"),
    ]


def test_same_values_and_empty_against_absent_are_no_change():
    assert changes.field_change(OPERATING, operating("960"), operating("960")) is None
    assert changes.field_change(INTRO, None, "") is None
    assert changes.field_change(AWARDS, None, []) is None


def test_table_rows_added_and_changed_are_shown_and_others_counted():
    first = {"name": "广东省服务型制造示范企业", "level": "provincial", "year": "2021"}
    second = {"name": "市级专精特新企业", "level": "municipal", "year": "2020"}
    change = changes.field_change(
        AWARDS,
        [first, second],
        [first, {**second, "year": "2022"}, {"name": "新奖项", "level": "national", "year": "2023"}],
    )
    assert change is not None
    assert change.kind == "grid"
    assert [row.label for row in change.rows] == ["2", "3"]
    assert change.unchanged_rows == 1
    year_column = [column.key for column in AWARDS.columns].index("year")
    assert (change.rows[0].cells[year_column].old, change.rows[0].cells[year_column].new) == ("2020", "2022")
    assert change.rows[1].cells[0].old == ""
    assert change.rows[1].cells[0].new == "新奖项"
    assert change.rows[1].cells[1].new == "国家级"


def test_answer_changes_lists_fields_in_form_order():
    before = {"intro": INTRO_TEXT, "operating": operating("960")}
    after = {"intro": INTRO_TEXT + "新增。", "operating": operating("980")}
    order = [f.key for f in FORM.fields()]
    keys = [change.field.key for change in changes.answer_changes(FORM, before, after)]
    assert sorted(keys, key=order.index) == keys
    assert set(keys) == {"intro", "operating"}


def test_a_formula_like_text_is_kept_as_text():
    spans = changes.text_spans("", '=HYPERLINK("x")')
    assert spans == [changes.Span("insert", '=HYPERLINK("x")')]
