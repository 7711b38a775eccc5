import pytest
from django.core.files.storage import default_storage

from shifan.cases import services
from shifan.cases.models import CaseState
from shifan.cases.services import CaseError, FieldErrors
from shifan.core.models import AuditEvent
from shifan.publicity.models import UnitStatus
from tests.cases.conftest import CASE_TEXT, jpeg, make_case, png, published_case, upload


def test_create_case_takes_city_and_mode_label_from_unit_and_spec(province_officer, unit):
    case = make_case(province_officer, unit)
    assert case.state == CaseState.DRAFT
    assert (case.city_code, case.city_name) == ("440100", "广州市")
    assert case.mode_name == "工业设计服务"
    # Blank lines between paragraphs are dropped; the paragraphs stay.
    assert case.paragraphs == ["企业设立工业设计中心。", "面向产业链提供设计服务。", "形成可推广的经验。"]
    event = AuditEvent.objects.get(action="cases.created")
    assert event.actor == province_officer
    assert event.target_id == str(case.pk)


@pytest.mark.parametrize("maker", ["city_officer", "applicant_admin", "expert"])
def test_only_province_officers_write_cases(request, province_officer, unit, maker):
    actor = request.getfixturevalue(maker)
    with pytest.raises(CaseError, match="只有省工信厅"):
        make_case(actor, unit)
    case = make_case(province_officer, unit)
    with pytest.raises(CaseError, match="只有省工信厅"):
        services.update_case(actor=actor, case=case, **CASE_TEXT)
    with pytest.raises(CaseError, match="只有省工信厅"):
        services.add_picture(actor=actor, case=case, uploaded=upload(), caption="图")
    with pytest.raises(CaseError, match="只有省工信厅"):
        services.publish_case(actor=actor, case=case)
    services.publish_case(actor=province_officer, case=case)
    with pytest.raises(CaseError, match="只有省工信厅"):
        services.withdraw_case(actor=actor, case=case, reason="过时")
    assert not AuditEvent.objects.filter(actor=actor).exists()


def test_create_refuses_a_revoked_unit(province_officer, unit):
    unit.status = UnitStatus.REVOKED
    unit.save()
    with pytest.raises(CaseError, match="示范资格已撤销") as refusal:
        make_case(province_officer, unit)
    assert refusal.value.field == "unit"


def test_publish_refuses_a_case_whose_unit_was_revoked(province_officer, unit):
    case = make_case(province_officer, unit)
    unit.status = UnitStatus.REVOKED
    unit.save()
    with pytest.raises(CaseError, match="示范资格已撤销"):
        services.publish_case(actor=province_officer, case=case)


def test_create_checks_every_field(province_officer, unit):
    with pytest.raises(FieldErrors) as refusal:
        make_case(province_officer, unit, title=" ", summary="", mode="other", body="\n\n")
    assert refusal.value.errors == {
        "title": "请填写案例标题。",
        "summary": "请填写摘要。",
        "mode": "请从工作方案的九种模式中选择。",
        "body": "请填写案例正文。",
    }
    with pytest.raises(FieldErrors) as refusal:
        make_case(province_officer, unit, title="长" * 101, summary="摘" * 301)
    assert set(refusal.value.errors) == {"title", "summary"}


def test_update_records_what_changed(province_officer, unit):
    case = make_case(province_officer, unit)
    services.update_case(actor=province_officer, case=case, **{**CASE_TEXT, "mode": "customization"})
    case.refresh_from_db()
    assert (case.mode, case.mode_name) == ("customization", "定制化服务")
    event = AuditEvent.objects.get(action="cases.edited")
    assert event.before == {"mode": "industrial_design"}
    assert event.after == {"mode": "customization"}
    # Saving the same text again changes nothing and records nothing.
    services.update_case(actor=province_officer, case=case, **{**CASE_TEXT, "mode": "customization"})
    assert AuditEvent.objects.filter(action="cases.edited").count() == 1


def test_publish_then_withdraw_then_publish_again(province_officer, unit):
    case = published_case(province_officer, unit)
    assert case.state == CaseState.PUBLISHED
    assert case.published_at is not None
    with pytest.raises(CaseError, match="案例已发布"):
        services.publish_case(actor=province_officer, case=case)
    with pytest.raises(FieldErrors) as refusal:
        services.withdraw_case(actor=province_officer, case=case, reason=" ")
    assert refusal.value.errors == {"reason": "请填写撤下原因。"}
    case = services.withdraw_case(actor=province_officer, case=case, reason="数据已过时，待更新。")
    assert case.state == CaseState.WITHDRAWN
    with pytest.raises(CaseError, match="只有已发布的案例可以撤下"):
        services.withdraw_case(actor=province_officer, case=case, reason="再撤一次")
    with pytest.raises(CaseError, match="已撤下"):
        services.update_case(actor=province_officer, case=case, **CASE_TEXT)
    case = services.publish_case(actor=province_officer, case=case)
    assert case.state == CaseState.PUBLISHED
    assert case.withdrawn_reason == ""
    actions = list(
        AuditEvent.objects.filter(target_id=str(case.pk), action__startswith="cases.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "cases.created",
        "cases.picture_added",
        "cases.published",
        "cases.withdrawn",
        "cases.published",
    ]


def test_withdraw_refuses_a_draft(province_officer, unit):
    case = make_case(province_officer, unit)
    with pytest.raises(CaseError, match="只有已发布的案例可以撤下"):
        services.withdraw_case(actor=province_officer, case=case, reason="不要了")


def test_add_picture_stores_png_and_jpeg_with_their_types(province_officer, unit):
    case = make_case(province_officer, unit)
    first = services.add_picture(actor=province_officer, case=case, uploaded=upload(), caption=" 车间 ")
    second = services.add_picture(
        actor=province_officer,
        case=case,
        uploaded=upload("现场.jpg", jpeg(), "image/jpeg"),
        caption="现场",
    )
    assert (first.content_type, first.width, first.height, first.caption) == ("image/png", 8, 6, "车间")
    assert second.content_type == "image/jpeg"
    assert first.file.name.endswith(".png")
    assert second.file.name.endswith(".jpg")
    assert [p.position for p in case.pictures.all()] == [1, 2]
    assert not first.thumbnail  # small already
    # The content decides the type: a PNG named .jpg is stored and served as a PNG.
    third = services.add_picture(
        actor=province_officer, case=case, uploaded=upload("照片.jpg", png(), "image/jpeg"), caption="照片"
    )
    assert third.content_type == "image/png"
    assert third.file.name.endswith(".png")


def test_add_picture_makes_a_thumbnail_of_a_wide_picture(province_officer, unit):
    case = make_case(province_officer, unit)
    picture = services.add_picture(
        actor=province_officer, case=case, uploaded=upload(data=png(1600, 900)), caption="全景"
    )
    from PIL import Image

    with picture.thumbnail.open("rb") as stored, Image.open(stored) as small:
        assert small.size == (640, 360)
        assert small.format == "PNG"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("图.png", b"", "文件为空"),
        ("图.png", b"%PDF-1.4\n%test\n", "文件内容不是允许的类型"),
        ("图.gif", b"GIF89a" + b"\x00" * 40, "只接受 JPEG 或 PNG 图片"),
        ("图.docx", png(), "扩展名为 .docx 但内容不是 Word 文档"),
        ("图.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "图片已损坏"),
    ],
    ids=["empty", "pdf", "gif", "wrong-extension", "broken-png"],
)
def test_add_picture_refuses_bad_pictures(province_officer, unit, name, data, message):
    case = make_case(province_officer, unit)
    with pytest.raises(CaseError, match=message) as refusal:
        services.add_picture(
            actor=province_officer, case=case, uploaded=upload(name, data, "image/png"), caption="图"
        )
    assert refusal.value.field == "picture"
    assert not case.pictures.exists()


def test_add_picture_refuses_an_oversized_file_and_a_missing_caption(province_officer, unit, settings):
    case = make_case(province_officer, unit)
    big = upload(data=png() + b"\x00" * (5 * 1024 * 1024))
    with pytest.raises(CaseError, match="文件过大"):
        services.add_picture(actor=province_officer, case=case, uploaded=big, caption="大图")
    with pytest.raises(FieldErrors) as refusal:
        services.add_picture(actor=province_officer, case=case, uploaded=upload(), caption=" ")
    assert refusal.value.errors == {"caption": "请填写图片说明。"}


@pytest.mark.django_db(transaction=True)
def test_remove_picture_deletes_its_file(province_officer):
    from tests.cases.conftest import recognised_unit

    unit = recognised_unit()
    case = make_case(province_officer, unit)
    picture = services.add_picture(actor=province_officer, case=case, uploaded=upload(), caption="车间")
    name = picture.file.name
    assert default_storage.exists(name)
    services.remove_picture(actor=province_officer, picture=picture)
    assert not case.pictures.exists()
    assert not default_storage.exists(name)
    assert AuditEvent.objects.filter(action="cases.picture_removed", target_id=str(case.pk)).exists()


def test_cases_of_a_platform_preselect_its_main_mode(province_officer):
    from shifan.cases.modes import declared_mode, mode_choices
    from tests.cases.conftest import recognised_unit

    unit = recognised_unit(category="platform", answers={"main_mode": "shared_manufacturing"})
    modes = mode_choices(unit.announcement.batch)
    assert len(modes) == 9
    assert declared_mode(unit.application.answers, modes) == "shared_manufacturing"
    assert declared_mode({"modes": {"selected": ["other"]}}, modes) == ""
