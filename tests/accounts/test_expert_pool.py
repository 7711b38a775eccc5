"""The expert pool: earlier employments, the province's edit, the Excel import, the conflicts signal."""

import io
import re

import pytest
from django.core import mail, signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from openpyxl import Workbook

from shifan.accounts import pool, services
from shifan.accounts.models import ExpertProfile, PastEmployment, Role, User
from shifan.accounts.services import AccountError
from shifan.accounts.signals import expert_conflicts_changed
from shifan.core import uscc
from shifan.core.models import AuditEvent
from tests import factories
from tests.helpers import login_verified

pytestmark = pytest.mark.django_db

PAST_CODE = "91440101MA5CJQ4N59"
EMPLOYER_CODE = "12440000455600002G"


@pytest.fixture
def conflict_notices():
    """The (actor, profile) of every expert_conflicts_changed sent, checked to be inside a transaction."""
    sent = []

    def receiver(sender, actor, profile, **kwargs):
        assert sender is ExpertProfile
        assert transaction.get_connection().in_atomic_block
        sent.append((actor, profile))

    expert_conflicts_changed.connect(receiver)
    yield sent
    expert_conflicts_changed.disconnect(receiver)


def expert_row(**overrides):
    values = {
        "name": "王专家",
        "email": "wang@example.com",
        "phone": "13800000000",
        "employer": "华南理工大学",
        "employer_credit_code": EMPLOYER_CODE,
        "city_code": "440100",
        "title": "教授",
        "expertise": ("工业设计服务",),
        "industries": None,
        "past_credit_codes": (),
    }
    return pool.ExpertRow(**{**values, **overrides})


# Earlier employments


def test_expert_records_and_removes_a_past_employment(expert, conflict_notices):
    profile = expert.expert_profile
    employment = services.add_past_employment(
        actor=expert, profile=profile, employer=" 原单位 ", credit_code=PAST_CODE.lower(), until_year=2019
    )
    assert (employment.employer, employment.credit_code, employment.until_year) == ("原单位", PAST_CODE, 2019)
    event = AuditEvent.objects.get(action="expert.past_employment_added")
    assert event.target_id == str(expert.pk)
    assert event.after == {"employer": "原单位", "credit_code": PAST_CODE, "until_year": 2019}
    assert conflict_notices == [(expert, profile)]

    services.remove_past_employment(actor=expert, employment=employment)
    assert not profile.past_employments.exists()
    assert AuditEvent.objects.get(action="expert.past_employment_removed").before["credit_code"] == PAST_CODE
    # Fewer conflicts: nothing for the expert review to remove.
    assert len(conflict_notices) == 1


def test_past_employment_name_comes_from_the_register(expert, organisation):
    employment = services.add_past_employment(
        actor=expert, profile=expert.expert_profile, employer="", credit_code=organisation.credit_code
    )
    assert employment.employer == organisation.name
    assert employment.until_year is None


def test_past_employment_needs_a_name_for_an_unregistered_code(expert):
    with pytest.raises(AccountError) as error:
        services.add_past_employment(
            actor=expert, profile=expert.expert_profile, employer="", credit_code=PAST_CODE
        )
    assert error.value.field == "employer"


def test_past_employment_refusals(expert, province_officer):
    profile = expert.expert_profile
    with pytest.raises(uscc.CreditCodeError):
        services.add_past_employment(actor=expert, profile=profile, employer="x", credit_code="123")
    with pytest.raises(AccountError, match="当前工作单位"):
        services.add_past_employment(
            actor=expert, profile=profile, employer="x", credit_code=profile.employer_credit_code
        )
    with pytest.raises(AccountError, match="离职年份应在 1950 年至"):
        services.add_past_employment(
            actor=expert, profile=profile, employer="x", credit_code=PAST_CODE, until_year=1900
        )
    services.add_past_employment(actor=province_officer, profile=profile, employer="x", credit_code=PAST_CODE)
    with pytest.raises(AccountError, match="已登记该曾任职单位"):
        services.add_past_employment(actor=expert, profile=profile, employer="x", credit_code=PAST_CODE)
    other = factories.ExpertProfileFactory().user
    with pytest.raises(AccountError, match="只能修改自己的专家信息"):
        services.add_past_employment(
            actor=other, profile=profile, employer="x", credit_code=factories.credit_code_for("440300", 1)
        )
    with pytest.raises(AccountError):
        services.remove_past_employment(actor=other, employment=profile.past_employments.get())


# The conflicts signal


def test_declaring_a_conflict_notifies_the_expert_review(expert, organisation, conflict_notices):
    services.declare_conflict(
        actor=expert,
        profile=expert.expert_profile,
        credit_code=organisation.credit_code,
        organisation_name="",
        reason="x",
    )
    assert conflict_notices == [(expert, expert.expert_profile)]


@pytest.mark.parametrize(
    ("changes", "notified"),
    [
        ({"employer": "新单位"}, True),
        ({"employer_credit_code": PAST_CODE}, True),
        ({"city_code": "440300"}, True),
        ({"title": "研究员", "expertise": ["共享制造"]}, False),
        ({"employer": "某大学"}, False),  # unchanged
    ],
)
def test_profile_changes_notify_only_when_conflicts_may_change(expert, conflict_notices, changes, notified):
    services.update_expert_profile(actor=expert, profile=expert.expert_profile, **changes)
    assert conflict_notices == ([(expert, expert.expert_profile)] if notified else [])


def test_a_failing_receiver_undoes_the_change(expert):
    def refuse(**kwargs):
        raise RuntimeError("the expert review failed")

    expert_conflicts_changed.connect(refuse)
    try:
        with pytest.raises(RuntimeError):
            services.update_expert_profile(actor=expert, profile=expert.expert_profile, employer="新单位")
    finally:
        expert_conflicts_changed.disconnect(refuse)
    assert ExpertProfile.objects.get(user=expert).employer == "某大学"
    assert not AuditEvent.objects.filter(action="expert.profile_updated").exists()


def test_expert_city_change_shows_on_the_account_too(expert):
    services.update_expert_profile(actor=expert, profile=expert.expert_profile, city_code="440300")
    expert.refresh_from_db()
    assert expert.city_code == "440300"


def test_profile_refuses_unknown_city(expert):
    with pytest.raises(AccountError) as error:
        services.update_expert_profile(actor=expert, profile=expert.expert_profile, city_code="999999")
    assert error.value.field == "city_code"


# The province's edit


def edit(actor, profile, **overrides):
    values = {
        "name": "新名字",
        "phone": "020-1",
        "employer": profile.employer,
        "employer_credit_code": profile.employer_credit_code,
        "city_code": profile.city_code,
        "title": profile.title,
        "expertise": profile.expertise,
        "industries": profile.industries,
    }
    return services.edit_expert(actor=actor, profile=profile, **{**values, **overrides})


def test_province_edits_account_and_profile_with_one_audit_event(province_officer, expert, conflict_notices):
    profile = expert.expert_profile
    edit(province_officer, profile, city_code="440300", expertise=["共享制造", "工业设计服务"])
    expert.refresh_from_db()
    profile.refresh_from_db()
    assert (expert.name, expert.phone, expert.city_code) == ("新名字", "020-1", "440300")
    assert profile.city_code == "440300"
    assert profile.expertise == ["共享制造", "工业设计服务"]
    event = AuditEvent.objects.get(action="expert.profile_updated")
    assert event.actor == province_officer
    assert set(event.after) == {"name", "phone", "city_code", "expertise"}
    assert conflict_notices == [(province_officer, profile)]


def test_edit_without_conflict_changes_does_not_notify(province_officer, expert, conflict_notices):
    edit(province_officer, expert.expert_profile, title="研究员")
    assert conflict_notices == []


def test_only_the_province_edits_experts(expert):
    with pytest.raises(AccountError):
        edit(expert, expert.expert_profile)


# The import


def test_import_creates_experts_with_mail_and_audit(
    province_officer, organisation, django_capture_on_commit_callbacks
):
    rows = [
        expert_row(past_credit_codes=(organisation.credit_code, PAST_CODE), industries=("34",)),
        expert_row(name="李专家", email="li@example.com", city_code="", expertise=("共享制造", "平台经济")),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        result = services.import_experts(actor=province_officer, rows=rows, file_name="名单.xlsx", skipped=2)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    wang = ExpertProfile.objects.get(user__email="wang@example.com")
    assert wang.user.role == Role.EXPERT
    assert not wang.user.has_usable_password()
    assert (wang.employer_credit_code, wang.city_code, wang.user.city_code) == (
        EMPLOYER_CODE,
        "440100",
        "440100",
    )
    assert wang.industries == ["34"]
    employers = dict(wang.past_employments.values_list("credit_code", "employer"))
    assert employers == {organisation.credit_code: organisation.name, PAST_CODE: ""}
    assert sorted(message.to[0] for message in mail.outbox) == ["li@example.com", "wang@example.com"]
    assert all("/password/reset/" in message.body for message in mail.outbox)
    event = AuditEvent.objects.get(action="expert.imported")
    assert event.actor == province_officer
    assert event.target_label == "名单.xlsx"
    assert event.after == {"created": 2, "updated": 0, "unchanged": 0, "skipped": 2}
    assert AuditEvent.objects.filter(action="account.created").count() == 2


def test_import_updates_an_existing_expert(province_officer, conflict_notices):
    profile = factories.ExpertProfileFactory(
        user__email="wang@example.com", user__name="王专家", industries=["13"], employer="旧单位"
    )
    factories.PastEmploymentFactory(expert=profile, credit_code=PAST_CODE)
    other = factories.credit_code_for("440300", 4321)
    result = services.import_experts(
        actor=province_officer,
        rows=[expert_row(employer="新单位", past_credit_codes=(PAST_CODE, other))],
    )
    assert (result.created, result.updated) == (0, 1)
    profile.refresh_from_db()
    assert profile.employer == "新单位"
    assert profile.employer_credit_code == EMPLOYER_CODE
    assert profile.industries == ["13"]  # left empty in the list: kept
    assert set(profile.past_employments.values_list("credit_code", flat=True)) == {PAST_CODE, other}
    assert User.objects.filter(role=Role.EXPERT).count() == 1
    event = AuditEvent.objects.get(action="expert.profile_updated")
    assert event.reason == services.IMPORT_REASON
    assert event.after["employer"] == "新单位"
    assert conflict_notices == [(province_officer, profile)]
    assert AuditEvent.objects.get(action="expert.imported").after["updated"] == 1


def test_import_of_an_unchanged_expert_changes_nothing(province_officer, conflict_notices):
    profile = factories.ExpertProfileFactory(
        user__email="wang@example.com",
        user__name="王专家",
        user__phone="13800000000",
        employer="华南理工大学",
        employer_credit_code=EMPLOYER_CODE,
        title="教授",
    )
    result = services.import_experts(actor=province_officer, rows=[expert_row()])
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
    assert conflict_notices == []
    assert not AuditEvent.objects.filter(action="expert.profile_updated").exists()
    profile.refresh_from_db()


def test_import_refuses_an_address_that_became_another_role_and_imports_nothing(province_officer):
    factories.UserFactory(email="li@example.com", role=Role.APPLICANT)
    with pytest.raises(AccountError, match="li@example.com 已是申报单位的账号"):
        services.import_experts(
            actor=province_officer, rows=[expert_row(), expert_row(email="li@example.com")]
        )
    assert not User.objects.filter(email="wang@example.com").exists()
    assert not AuditEvent.objects.filter(action="expert.imported").exists()


def test_import_only_by_the_province(city_officer):
    with pytest.raises(AccountError):
        services.import_experts(actor=city_officer, rows=[expert_row()])


# Pages


def workbook(*rows):
    book = Workbook()
    sheet = book.active
    sheet.append([*pool.REQUIRED_COLUMNS, pool.PAST_CODES])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


GOOD = [
    "王专家",
    "华南理工大学",
    EMPLOYER_CODE,
    "广州市",
    "13800000000",
    "wang@example.com",
    "工业设计服务",
    "教授",
    PAST_CODE,
]
BAD = ["坏行", "某公司", "91440101MA5CJQ4N58", "广州", "1", "bad@example.com", "外星技术", "工程师", ""]


def upload(client, data, name="名单.xlsx"):
    return client.post(reverse("accounts:expert_import"), {"file": SimpleUploadedFile(name, data)})


def payload_of(response):
    return re.search(r'name="payload" value="([^"]+)"', response.content.decode()).group(1)


def test_import_pages_preview_then_import(client, province_officer, django_capture_on_commit_callbacks):
    factories.ExpertProfileFactory(user__email="li@example.com", user__name="李专家")
    login_verified(client, province_officer)
    second = [*GOOD[:5], "li@example.com", *GOOD[6:]]
    second[0] = "李专家"
    response = upload(client, workbook(GOOD, BAD, second))
    assert response.status_code == 200
    content = response.content.decode()
    assert re.findall(r'data-status="(\w+)"', content) == ["new", "error", "update"]
    assert "校验位错误" in content
    assert "未知领域“外星技术”" in content
    assert "导入 2 位专家（跳过 1 行有错误的行）" in content
    assert "将修改：" in content
    assert not User.objects.filter(email="wang@example.com").exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:expert_import_confirm"), {"payload": payload_of(response)})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:account_list')}?role=expert"
    assert User.objects.get(email="wang@example.com").expert_profile.past_employments.count() == 1
    assert not User.objects.filter(email="bad@example.com").exists()
    assert [message.to for message in mail.outbox] == [["wang@example.com"]]
    assert AuditEvent.objects.get(action="expert.imported").after == {
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "skipped": 1,
    }
    page = client.get(response["Location"]).content.decode()
    assert "已导入 2 位专家：新增 1 位" in page


def test_import_refuses_a_changed_payload(client, province_officer):
    login_verified(client, province_officer)
    payload = payload_of(upload(client, workbook(GOOD)))
    data = signing.loads(payload, salt="shifan.accounts.expert_import")
    data["rows"][0]["email"] = "someone-else@example.com"
    forged = signing.dumps(data, salt="another salt", compress=True)
    for value in (forged, payload[:-2] + "xx", ""):
        response = client.post(reverse("accounts:expert_import_confirm"), {"payload": value}, follow=True)
        assert "导入内容无法核验" in response.content.decode()
    assert not User.objects.filter(role=Role.EXPERT).exists()


def test_import_payload_belongs_to_the_officer_who_checked_it(client, province_officer):
    login_verified(client, province_officer)
    payload = payload_of(upload(client, workbook(GOOD)))
    login_verified(client, factories.ProvinceOfficerFactory())
    response = client.post(reverse("accounts:expert_import_confirm"), {"payload": payload}, follow=True)
    assert "导入内容无法核验" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("名单.xls", b"\xd0\xcf\x11\xe0", "请上传 Excel 的 .xlsx 文件"),
        ("名单.xlsx", "姓名,电子邮箱".encode(), "无法读取该文件"),
        ("名单.xlsx", b"PK\x03\x04" + b"0" * pool.MAX_FILE_BYTES, "文件过大：5.0 MB，上限 5 MB。"),
    ],
)
def test_upload_refusals_show_beside_the_field(client, province_officer, name, data, message):
    login_verified(client, province_officer)
    response = upload(client, data, name=name)
    assert response.status_code == 200
    assert re.search(r'id="id_file-error">[^<]*' + re.escape(message), response.content.decode())


def test_upload_names_a_missing_header(client, province_officer):
    book = Workbook()
    book.active.append(["姓名", "电子邮箱"])
    book.active.append(["王", "w@example.com"])
    buffer = io.BytesIO()
    book.save(buffer)
    login_verified(client, province_officer)
    content = upload(client, buffer.getvalue()).content.decode()
    assert "第一行表头缺少必填列：“工作单位”、“工作单位统一社会信用代码”" in content


def test_template_download(client, province_officer):
    login_verified(client, province_officer)
    response = client.get(reverse("accounts:expert_import_template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    assert pool.read_workbook(response.content)[0][:2] == ("姓名", "工作单位")


def test_import_link_shows_on_the_expert_list_only(client, province_officer):
    login_verified(client, province_officer)
    link = reverse("accounts:expert_import")
    assert link in client.get(reverse("accounts:account_list") + "?role=expert").content.decode()
    assert link not in client.get(reverse("accounts:account_list") + "?role=city_officer").content.decode()


def test_expert_edit_page_saves_and_refuses_a_bad_code_beside_the_field(client, province_officer, expert):
    login_verified(client, province_officer)
    url = reverse("accounts:expert_edit", kwargs={"pk": expert.pk})
    assert "编辑专家" in client.get(url).content.decode()
    data = {
        "name": "新名字",
        "phone": "020-2",
        "employer": "新单位",
        "employer_credit_code": "91440101MA5CJQ4N58",
        "city_code": "440300",
        "title": "研究员",
        "expertise": ["共享制造"],
        "industries": ["34"],
    }
    response = client.post(url, data)
    assert re.search(r'id="id_employer_credit_code-error">校验位错误', response.content.decode())
    response = client.post(url, {**data, "employer_credit_code": PAST_CODE})
    assert response.status_code == 302
    profile = ExpertProfile.objects.get(user=expert)
    assert (profile.employer, profile.employer_credit_code, profile.industries) == (
        "新单位",
        PAST_CODE,
        ["34"],
    )
    detail = client.get(reverse("accounts:account_detail", kwargs={"pk": expert.pk})).content.decode()
    assert url in detail


def test_expert_edit_is_not_found_for_other_accounts(client, province_officer, city_officer):
    login_verified(client, province_officer)
    assert client.get(reverse("accounts:expert_edit", kwargs={"pk": city_officer.pk})).status_code == 404
    assert client.get(reverse("accounts:expert_edit", kwargs={"pk": 99999})).status_code == 404


def test_province_adds_and_removes_a_past_employment_on_the_edit_page(client, province_officer, expert):
    login_verified(client, province_officer)
    add = reverse("accounts:expert_past_employment_add", kwargs={"pk": expert.pk})
    response = client.post(add, {"past-employer": "原单位", "past-credit_code": "123"})
    assert re.search(r'id="id_past-credit_code-error">统一社会信用代码应为18位', response.content.decode())
    response = client.post(
        add, {"past-employer": "原单位", "past-credit_code": PAST_CODE, "past-until_year": "2018"}
    )
    assert response.status_code == 302
    employment = PastEmployment.objects.get(expert__user=expert)
    assert employment.until_year == 2018
    other_expert = factories.ExpertProfileFactory().user
    wrong = reverse(
        "accounts:expert_past_employment_remove",
        kwargs={"pk": other_expert.pk, "employment_pk": employment.pk},
    )
    assert client.post(wrong).status_code == 404
    remove = reverse(
        "accounts:expert_past_employment_remove", kwargs={"pk": expert.pk, "employment_pk": employment.pk}
    )
    assert client.post(remove).status_code == 302
    assert not PastEmployment.objects.exists()


def test_expert_keeps_own_past_employments_on_the_profile_page(client, expert):
    login_verified(client, expert)
    response = client.post(
        reverse("accounts:past_employment_add"),
        {"past-employer": "原单位", "past-credit_code": PAST_CODE, "past-until_year": "3000"},
    )
    assert "离职年份不能晚于今年" in response.content.decode()
    client.post(
        reverse("accounts:past_employment_add"), {"past-employer": "原单位", "past-credit_code": PAST_CODE}
    )
    page = client.get(reverse("accounts:expert_profile")).content.decode()
    assert PAST_CODE in page
    employment = PastEmployment.objects.get()
    other = factories.ExpertProfileFactory().user
    login_verified(client, other)
    assert (
        client.post(reverse("accounts:past_employment_remove", kwargs={"pk": employment.pk})).status_code
        == 404
    )
    login_verified(client, expert)
    assert (
        client.post(reverse("accounts:past_employment_remove", kwargs={"pk": employment.pk})).status_code
        == 302
    )
    assert not PastEmployment.objects.exists()


@pytest.mark.parametrize("rows", [1, 3])
def test_expert_list_query_count_is_bounded(client, province_officer, django_assert_max_num_queries, rows):
    for _ in range(rows):
        factories.ExpertProfileFactory()
    login_verified(client, province_officer)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("accounts:account_list") + "?role=expert")
    assert response.status_code == 200


def test_login_is_recorded(client, applicant_admin):
    client.post(
        reverse("accounts:login"), {"username": applicant_admin.email, "password": factories.PASSWORD}
    )
    assert AuditEvent.objects.filter(action="account.logged_in", actor=applicant_admin).exists()
