"""Publicity pages through the test client: public pages, objections with the CAPTCHA, officers' pages.

Dates: a notice opened today is open now; one opened on START (March 2025) is long over, so the
real today is after its end and the announcement can be published with the real date.
"""

import io
import re
from datetime import timedelta

import pytest
from captcha.models import CaptchaStore
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from openpyxl import load_workbook

from shifan.applications.models import ApplicationState
from shifan.expert_review.models import ProposedList
from shifan.publicity import selectors, services
from shifan.publicity.models import (
    DEFAULT_OBJECTION_RULES,
    Announcement,
    DemonstrationUnit,
    Inquiry,
    InquiryAddressee,
    Objection,
    ObjectionState,
)
from shifan.publicity.services import ObjectorDetails
from tests import factories
from tests.helpers import login_verified
from tests.publicity.conftest import END, START, open_notice, proposed

PHONE = "13800138000"
GROUNDS = "该企业近三年发生过重大安全事故，与申报材料不符。"
PERSON = ObjectorDetails(kind="person", name="张明", phone=PHONE, grounds=GROUNDS)
DURING_PAST = START + timedelta(days=2)


@pytest.fixture(autouse=True)
def _clear_cache():
    # The status lookup counts in the cache: no test sees another's counter.
    cache.clear()
    yield
    cache.clear()


def today():
    return timezone.localdate()


def open_today(actor, batch):
    """A notice open now (the period may reach an uncovered year late in December)."""
    return open_notice(actor, batch, starts_on=today(), today=today(), accept_uncovered=True)


def open_past(actor, batch):
    """A notice from March 2025: over now, so objections are late and the announcement may follow."""
    return open_notice(actor, batch, starts_on=START, today=START)


def new_batch(officer, units, *, year=2024):
    batch = factories.BatchFactory(application_year=year, name=f"{year}年广东省服务型制造示范征集")
    ProposedList.objects.create(batch=batch, fixed_at=timezone.now(), fixed_by=officer)
    cities = ["440100", "440300", "440600"]
    for index in range(units):
        proposed(batch, city_code=cities[index % 3], category="platform" if index == 2 else "enterprise")
    return batch


def announce(actor, notice, number="粤工信融合函〔2025〕12号"):
    return services.publish_announcement(
        actor=actor,
        notice=notice,
        number=number,
        title="关于公布2024年广东省服务型制造示范名单的通告",
        issued_on=today(),
        body="现将名单予以公布。\n特此通告。",
    )


def object_to(notice, entry=None, *, details=PERSON, on=None, ip=None):
    return services.file_objection(
        notice=notice, entry=entry or notice.entries.first(), details=details, ip_address=ip, today=on
    )


def captcha(client, url):
    """Open the objection form; return the CAPTCHA's key and the answer a person would type."""
    page = client.get(url).content.decode()
    key = re.search(r'name="captcha_0" value="([^"]+)"', page)
    assert key, "the form has no CAPTCHA key"
    return key.group(1), CaptchaStore.objects.get(hashkey=key.group(1)).response


def objection_data(entry, key, answer, **changes):
    data = {
        "entry": entry.pk,
        "kind": "person",
        "name": "张明",
        "phone": PHONE,
        "email": "",
        "id_number": "",
        "credit_code": "",
        "contact_person": "",
        "grounds": GROUNDS,
        "captcha_0": key,
        "captcha_1": answer,
    }
    data.update(changes)
    return data


def assert_cacheable_and_cookieless(response):
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=60"
    assert not response.cookies
    assert not response.has_header("Set-Cookie")
    assert "csrfmiddlewaretoken" not in response.content.decode()


# ---------------------------------------------------------------------------------------------
# Public pages


def test_public_notice_lists_the_units_period_contact_and_how_to_object(
    client, province_officer, batch, listed
):
    notice = open_today(province_officer, batch)
    response = client.get(reverse("publicity:public_notice", kwargs={"pk": notice.pk}))
    assert_cacheable_and_cookieless(response)
    page = response.content.decode()
    assert "示范企业（2 家）" in page
    assert "示范平台（1 家）" in page
    for application in listed:
        assert application.organisation.name in page
    for city in ("广州市", "深圳市", "佛山市"):
        assert city in page
    assert "工业设计服务、供应链管理" in page
    assert "共享制造" in page
    assert f"{notice.starts_on.year}年{notice.starts_on.month}月{notice.starts_on.day}日" in page
    assert f"{notice.ends_on.year}年{notice.ends_on.month}月{notice.ends_on.day}日" in page
    assert "（7 个工作日）" in page
    assert "生产服务业处" in page
    assert "020-83133333" in page
    assert "匿名或逾期提出的异议不予受理" in page
    objection_url = reverse("publicity:objection_new", kwargs={"pk": notice.pk})
    assert f'href="{objection_url}"' in page
    entry = notice.entries.get(application=listed[0])
    assert f"{objection_url}?entry={entry.pk}" in page
    assert "公示中" in page


@pytest.mark.parametrize("units", [1, 3])
def test_public_notice_runs_two_queries_whatever_the_list(
    client, province_officer, django_assert_num_queries, units
):
    notice = open_today(province_officer, new_batch(province_officer, units))
    url = reverse("publicity:public_notice", kwargs={"pk": notice.pk})
    with django_assert_num_queries(2):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("/objection/?entry=") == units
    with django_assert_num_queries(0):  # within a few seconds of the last check: no query at all
        again = client.get(url)
    assert again.content == response.content
    assert_cacheable_and_cookieless(again)
    cache.delete(selectors.fresh_public_notice_key(notice.pk, timezone.localdate(), get_language()))
    with django_assert_num_queries(1):  # then the notice's stamp is checked; the page is still cached
        third = client.get(url)
    assert third.content == response.content


@pytest.mark.parametrize("notices", [1, 3])
def test_public_list_runs_two_queries_and_sets_no_cookie(
    client, province_officer, django_assert_num_queries, notices
):
    for index in range(notices):
        batch = new_batch(province_officer, 2, year=2024 - index)
        open_past(province_officer, batch) if index else open_today(province_officer, batch)
    # What the list shows now (the notices', the announcements'); then the two lists.
    with django_assert_num_queries(4):
        response = client.get(reverse("publicity:public_notices"))
    assert_cacheable_and_cookieless(response)
    page = response.content.decode()
    assert page.count("· 2 家单位") == notices
    assert "目前没有认定通告" in page
    with django_assert_num_queries(2):  # the same lists: the copy rendered then
        again = client.get(reverse("publicity:public_notices"))
    assert again.content.decode() == page
    assert_cacheable_and_cookieless(again)


def test_public_list_shows_every_change_at_the_next_request(client, province_officer, batch, listed):
    url = reverse("publicity:public_notices")
    assert "目前没有公示" in client.get(url).content.decode()
    notice = open_past(province_officer, batch)
    assert "· 3 家单位" in client.get(url).content.decode()
    objection = object_to(notice, notice.entries.get(application=listed[1]), on=DURING_PAST)
    services.decide_objection(
        actor=province_officer, objection=objection, upheld=True, findings="属实", reason="数据不实"
    )
    assert "· 2 家单位" in client.get(url).content.decode()
    announcement = announce(province_officer, notice)
    page = client.get(url).content.decode()
    assert announcement.title in page
    assert "目前没有认定通告" not in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert ">Notices and announcements</a>" in client.get(url).content.decode()


@pytest.mark.parametrize("units", [1, 3])
def test_public_announcement_runs_three_queries_and_sets_no_cookie(
    client, province_officer, django_assert_num_queries, units
):
    batch = new_batch(province_officer, units)
    announcement = announce(province_officer, open_past(province_officer, batch))
    # The revocations since (one small query), the announcement and its units.
    with django_assert_num_queries(3):
        response = client.get(reverse("publicity:public_announcement", kwargs={"pk": announcement.pk}))
    assert_cacheable_and_cookieless(response)
    page = response.content.decode()
    assert "粤工信融合函〔2025〕12号" in page
    assert "附件：2024年广东省服务型制造示范名单" in page
    for application in batch.applications.all():
        assert application.organisation.name in page
    assert reverse("documents:announcement_pdf", kwargs={"pk": announcement.pk}) in page
    assert reverse("documents:announcement_docx", kwargs={"pk": announcement.pk}) in page
    # What an issued announcement shows changes only with a revocation: the page is served as
    # rendered, per language, after asking whether a unit was revoked since.
    with django_assert_num_queries(1):
        again = client.get(reverse("publicity:public_announcement", kwargs={"pk": announcement.pk}))
    assert again.content.decode() == page
    assert_cacheable_and_cookieless(again)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(reverse("publicity:public_announcement", kwargs={"pk": announcement.pk}))
    assert ">Notices and announcements</a>" in english.content.decode()
    assert ">公示与通告</a>" not in english.content.decode()


def test_a_missing_announcement_is_not_found_every_time(client, db):
    for _ in range(2):
        assert client.get(reverse("publicity:public_announcement", kwargs={"pk": 999_999})).status_code == 404


def test_notice_not_yet_started_is_not_public(client, province_officer, batch, listed):
    notice = open_notice(
        province_officer, batch, starts_on=today() + timedelta(days=7), today=today(), accept_uncovered=True
    )
    assert client.get(reverse("publicity:public_notice", kwargs={"pk": notice.pk})).status_code == 404
    assert client.get(reverse("publicity:objection_new", kwargs={"pk": notice.pk})).status_code == 404
    assert "目前没有公示" in client.get(reverse("publicity:public_notices")).content.decode()


def test_past_notices_stay_listed_and_readable(client, province_officer, batch, listed):
    notice = open_past(province_officer, batch)
    page = client.get(reverse("publicity:public_notices")).content.decode()
    assert reverse("publicity:public_notice", kwargs={"pk": notice.pk}) in page
    assert "公示期 2025年3月3日 至 2025年3月11日 · 3 家单位" in page
    assert "公示期满" in page
    page = client.get(reverse("publicity:public_notice", kwargs={"pk": notice.pk})).content.decode()
    assert listed[0].organisation.name in page
    assert "逾期提出的异议不予受理" in page
    assert "提出异议</a>" not in page


def test_public_notice_shows_a_removed_unit_struck_out(client, province_officer, batch, listed):
    notice = open_past(province_officer, batch)
    entry = notice.entries.get(application=listed[1])
    url = reverse("publicity:public_notice", kwargs={"pk": notice.pk})
    assert "<s>" not in client.get(url).content.decode()  # cached now
    objection = object_to(notice, entry, on=DURING_PAST)
    services.decide_objection(
        actor=province_officer, objection=objection, upheld=True, findings="属实", reason="数据不实"
    )
    page = client.get(url).content.decode()
    assert f"<s>{entry.unit_name}</s>" in page
    assert "经核查已移出名单" in page
    assert "数据不实" not in page


# ---------------------------------------------------------------------------------------------
# Filing an objection


def test_objection_with_the_captcha_is_received_and_shows_the_reference(
    client, province_officer, batch, listed
):
    notice = open_today(province_officer, batch)
    entry = notice.entries.get(application=listed[1])
    url = reverse("publicity:objection_new", kwargs={"pk": notice.pk})
    form = client.get(f"{url}?entry={entry.pk}").content.decode()
    assert f'<option value="{entry.pk}" selected>' in form
    key, answer = captcha(client, url)
    evidence = SimpleUploadedFile("事故通报.pdf", b"%PDF-1.4\n%evidence\n", content_type="application/pdf")
    response = client.post(
        url,
        objection_data(entry, key, answer.upper(), email="zhang@example.cn", evidence=evidence),
        REMOTE_ADDR="203.0.113.5",
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/public/objections/received/")
    objection = Objection.objects.get()
    assert objection.entry == entry
    assert objection.ip_address == "203.0.113.5"
    assert objection.evidence.get().original_name == "事故通报.pdf"
    page = client.get(response["Location"]).content.decode()
    assert objection.reference in page
    assert entry.unit_name in page
    assert "zhang@example.cn" in page
    # The CAPTCHA is used up: the same answer is not accepted twice.
    again = client.post(url, objection_data(entry, key, answer), REMOTE_ADDR="203.0.113.5")
    assert again.status_code == 400
    assert Objection.objects.count() == 1


def test_wrong_captcha_is_refused_beside_the_field(client, province_officer, batch, listed):
    notice = open_today(province_officer, batch)
    url = reverse("publicity:objection_new", kwargs={"pk": notice.pk})
    key, _answer = captcha(client, url)
    response = client.post(url, objection_data(notice.entries.first(), key, "0000"))
    assert response.status_code == 400
    assert response.context["form"].errors["captcha"] == ["验证码不正确，请重新输入。"]
    page = response.content.decode()
    assert re.search(r'id="group-id_captcha".*?验证码不正确', page, re.S)
    # What the visitor typed stays; a fresh CAPTCHA is drawn.
    assert GROUNDS in page
    assert f'value="{key}"' not in page
    assert not Objection.objects.exists()


def test_anonymous_objection_is_refused_beside_the_name(client, province_officer, batch, listed):
    notice = open_today(province_officer, batch)
    url = reverse("publicity:objection_new", kwargs={"pk": notice.pk})
    key, answer = captcha(client, url)
    response = client.post(url, objection_data(notice.entries.first(), key, answer, name="匿名"))
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["异议须实名提出，匿名异议不予受理。"]
    assert re.search(r'id="group-id_name".*?匿名异议不予受理', response.content.decode(), re.S)
    assert not Objection.objects.exists()


def test_late_objection_is_refused(client, province_officer, batch, listed):
    notice = open_past(province_officer, batch)
    url = reverse("publicity:objection_new", kwargs={"pk": notice.pk})
    page = client.get(url).content.decode()
    assert "公示已于2025年3月11日截止，逾期提出的异议不予受理。" in page
    assert 'name="grounds"' not in page
    key = CaptchaStore.generate_key()
    answer = CaptchaStore.objects.get(hashkey=key).response
    response = client.post(url, objection_data(notice.entries.first(), key, answer))
    assert response.status_code == 400
    assert "逾期" in response.content.decode()
    assert not Objection.objects.exists()


def test_fourth_objection_from_one_address_within_the_hour_is_refused(
    client, province_officer, batch, listed
):
    notice = open_today(province_officer, batch)
    url = reverse("publicity:objection_new", kwargs={"pk": notice.pk})
    entry = notice.entries.first()
    for _ in range(services.OBJECTIONS_PER_HOUR):
        key, answer = captcha(client, url)
        response = client.post(url, objection_data(entry, key, answer), REMOTE_ADDR="198.51.100.7")
        assert response.status_code == 302
    key, answer = captcha(client, url)
    response = client.post(url, objection_data(entry, key, answer), REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 400
    assert "每小时最多提交 3 件异议" in response.content.decode()
    assert Objection.objects.count() == 3
    # Another address may still object.
    key, answer = captcha(client, url)
    assert client.post(url, objection_data(entry, key, answer), REMOTE_ADDR="198.51.100.8").status_code == 302


def test_objection_to_a_unit_not_on_the_list_is_refused(client, province_officer, batch, listed):
    notice = open_today(province_officer, batch)
    url = reverse("publicity:objection_new", kwargs={"pk": notice.pk})
    key, answer = captcha(client, url)
    other = open_today(province_officer, new_batch(province_officer, 1, year=2023)).entries.get()
    response = client.post(url, objection_data(other, key, answer))
    assert response.status_code == 400
    assert "entry" in response.context["form"].errors
    assert not Objection.objects.exists()


# ---------------------------------------------------------------------------------------------
# Status lookup


def test_status_with_reference_and_phone_shows_the_state(client, province_officer, batch, listed):
    notice = open_today(province_officer, batch)
    objection = object_to(notice)
    url = reverse("publicity:objection_status")
    page = client.get(url, {"reference": objection.reference.lower(), "phone": PHONE}).content.decode()
    assert "已受理，待核查" in page
    assert objection.entry.unit_name in page
    assert GROUNDS not in page
    services.decide_objection(
        actor=province_officer,
        objection=objection,
        upheld=False,
        findings="经核查不属实",
        reason="事故发生在2019年。",
    )
    page = client.get(url, {"reference": objection.reference, "phone": PHONE}).content.decode()
    assert "异议不成立" in page
    assert "事故发生在2019年。" in page
    assert "经核查不属实" not in page  # the findings are internal


def test_status_with_the_wrong_phone_finds_nothing(client, province_officer, batch, listed):
    notice = open_today(province_officer, batch)
    objection = object_to(notice)
    page = client.get(
        reverse("publicity:objection_status"), {"reference": objection.reference, "phone": "13900139000"}
    ).content.decode()
    assert "没有找到与受理编号和联系电话相符的异议" in page
    assert objection.entry.unit_name not in page


def test_status_lookups_are_rate_limited(client, province_officer, batch, listed):
    notice = open_today(province_officer, batch)
    objection = object_to(notice)
    url = reverse("publicity:objection_status")
    for _ in range(20):
        page = client.get(url, {"reference": "YY2024-AAAA-AAAA", "phone": PHONE}).content.decode()
        assert "没有找到" in page
    page = client.get(url, {"reference": objection.reference, "phone": PHONE}).content.decode()
    assert "查询过于频繁，请 10 分钟后再试。" in page
    assert "已受理，待核查" not in page
    # Counted per address.
    page = client.get(
        url, {"reference": objection.reference, "phone": PHONE}, REMOTE_ADDR="198.51.100.9"
    ).content.decode()
    assert "已受理，待核查" in page


# ---------------------------------------------------------------------------------------------
# Province officers


def test_overview_shows_batches_awaiting_and_notices(client, province_officer, batch, listed):
    login_verified(client, province_officer)
    page = client.get(reverse("publicity:overview")).content.decode()
    assert "待发布公示" in page
    assert reverse("publicity:notice_new", kwargs={"batch_pk": batch.pk}) in page
    notice = open_past(province_officer, batch)
    object_to(notice, on=DURING_PAST)
    page = client.get(reverse("publicity:overview")).content.decode()
    assert "待发布公示" not in page
    assert reverse("publicity:notice", kwargs={"pk": notice.pk}) in page
    assert "公示期满" in page  # closed by the read, though the worker never ran
    assert "2025-03-03 至 2025-03-11" in page


def _past_notices(officer, count):
    for _ in range(count):
        batch = factories.BatchFactory()
        ProposedList.objects.create(batch=batch, fixed_at=timezone.now(), fixed_by=officer)
        proposed(batch)
        services.sync_notice(notice=open_past(officer, batch))


@pytest.mark.parametrize("count", [1, 3])
def test_overview_queries_do_not_grow_with_notices(
    client, province_officer, django_assert_num_queries, count
):
    login_verified(client, province_officer)
    _past_notices(province_officer, count)
    client.get(reverse("publicity:overview"))  # the session and the user are cached after this
    # session, user, OTP device, notices behind their dates, batches awaiting, notices (the bell's
    # unread count is the one cached by the first view)
    with django_assert_num_queries(6):
        response = client.get(reverse("publicity:overview"))
    assert response.status_code == 200


def test_notice_form_computes_the_end_date_and_publishes(client, province_officer, batch, listed):
    login_verified(client, province_officer)
    url = reverse("publicity:notice_new", kwargs={"batch_pk": batch.pk})
    page = client.get(url).content.decode()
    assert listed[0].organisation.name in page
    # The date box gets an ISO date (the locale's 2025/03/03 would leave it empty).
    assert f'name="starts_on" value="{today().isoformat()}"' in page
    starts_on = today() + timedelta(days=1)
    data = {
        "title": "2024年广东省服务型制造示范拟认定名单公示",
        "starts_on": starts_on.isoformat(),
        "working_days": "7",
        "contact_office": "生产服务业处",
        "contact_phone": "020-83133333",
        "objection_rules": DEFAULT_OBJECTION_RULES,
        "accept_uncovered": "on",
    }
    # What the browser sends for the "计算截止日期" button: the form's fields and the button's, by GET.
    assert 'name="preview" value="1"' in page
    preview = client.get(url, {**data, "preview": "1"})
    expected = services.notice_period(starts_on=starts_on, working_days=7).ends_on
    assert f"截止日期：<strong>{expected.year}年{expected.month}月{expected.day}日</strong>" in (
        preview.content.decode()
    )
    response = client.post(url, data)
    notice = batch.notice
    assert response["Location"] == reverse("publicity:notice", kwargs={"pk": notice.pk})
    assert notice.ends_on == expected
    # A start in the past is refused beside the field.
    other = new_batch(province_officer, 1, year=2023)
    response = client.post(
        reverse("publicity:notice_new", kwargs={"batch_pk": other.pk}),
        {**data, "starts_on": (today() - timedelta(days=1)).isoformat()},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["starts_on"] == ["公示开始日期不能早于今天。"]


def test_notice_page_lists_objections_with_filter_search_and_pages(client, province_officer, batch, listed):
    notice = open_past(province_officer, batch)
    first, second = notice.entries.order_by("category", "position")[:2]
    decided = object_to(notice, first, on=DURING_PAST)
    services.decide_objection(
        actor=province_officer, objection=decided, upheld=False, findings="核查不属实", reason="不成立"
    )
    other = object_to(
        notice,
        second,
        details=ObjectorDetails(kind="person", name="李华", phone=PHONE, grounds=GROUNDS),
        on=DURING_PAST,
    )
    for _ in range(25):
        object_to(notice, first, on=DURING_PAST)
    login_verified(client, province_officer)
    url = reverse("publicity:notice", kwargs={"pk": notice.pk})
    page = client.get(url).content.decode()
    assert page.count('data-testid="objection-row"') == 25
    assert "共 27 条，第 1 / 2 页" in page
    assert "page=2" in page
    assert client.get(url, {"page": 2}).content.decode().count('data-testid="objection-row"') == 2
    assert "还有 26 件异议未处理" in page
    dismissed = client.get(url, {"state": "dismissed"}).content.decode()
    assert dismissed.count('data-testid="objection-row"') == 1
    assert decided.reference in dismissed
    pending = client.get(url, {"state": "pending"}).content.decode()
    assert "共 26 条，第 1 / 2 页" in pending
    assert decided.reference not in pending
    assert "state=pending&amp;page=2" in pending  # the next page keeps the filter
    by_name = client.get(url, {"q": "李华"}).content.decode()
    assert by_name.count('data-testid="objection-row"') == 1
    assert other.reference in by_name
    by_reference = client.get(url, {"q": other.reference.lower()}).content.decode()
    assert by_reference.count('data-testid="objection-row"') == 1
    by_unit = client.get(url, {"q": second.unit_name}).content.decode()
    assert by_unit.count('data-testid="objection-row"') == 1
    assert "没有符合条件的异议" in client.get(url, {"q": "不存在的单位"}).content.decode()


def test_objection_page_shows_the_objector_to_the_province(client, province_officer, batch, listed):
    notice = open_today(province_officer, batch)
    objection = object_to(notice)
    login_verified(client, province_officer)
    page = client.get(reverse("publicity:objection", kwargs={"pk": objection.pk})).content.decode()
    assert "张明" in page
    assert PHONE in page
    assert GROUNDS in page
    assert "仅省工信厅可见" in page
    assert "已受理，待核查" in page
    # Two forms have a 核查情况 field; each label points at its own box.
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    assert 'for="id_decision_findings"' in page


def test_objection_pages_are_for_province_officers(client, province_officer, city_officer, batch, listed):
    notice = open_today(province_officer, batch)
    objection = object_to(notice)
    login_verified(client, city_officer)
    assert client.get(reverse("publicity:objection", kwargs={"pk": objection.pk})).status_code == 403
    assert client.get(reverse("publicity:notice", kwargs={"pk": notice.pk})).status_code == 403


def test_sending_an_inquiry(client, province_officer, batch, listed):
    notice = open_today(province_officer, batch)
    objection = object_to(notice)
    login_verified(client, province_officer)
    url = reverse("publicity:inquire", kwargs={"pk": objection.pk})
    response = client.post(url, {"addressee": "unit", "question": ""})
    assert response.status_code == 400
    assert "question" in response.context["inquiry_form"].errors
    response = client.post(
        url,
        {
            "addressee": "unit",
            "question": "请说明2023年安全生产情况。",
            "due_on": (today() + timedelta(days=5)).isoformat(),
        },
    )
    assert response["Location"] == reverse("publicity:objection", kwargs={"pk": objection.pk})
    inquiry = Inquiry.objects.get()
    assert inquiry.addressee == InquiryAddressee.UNIT
    objection.refresh_from_db()
    assert objection.state == ObjectionState.CHECKING
    page = client.get(response["Location"]).content.decode()
    assert "请说明2023年安全生产情况。" in page
    assert "待答复" in page
    response = client.post(
        url,
        {
            "addressee": "city",
            "question": "请地市核实。",
            "due_on": (today() - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert response.context["inquiry_form"].errors["due_on"] == ["答复期限不能早于今天。"]


def test_deciding_dismissed_and_upheld(client, province_officer, batch, listed):
    notice = open_today(province_officer, batch)
    kept, removed = notice.entries.order_by("category", "position")[:2]
    first = object_to(notice, kept)
    second = object_to(notice, removed)
    login_verified(client, province_officer)
    decide = reverse("publicity:decide", kwargs={"pk": first.pk})
    response = client.post(decide, {"findings": "核查不属实", "outcome": "dismissed", "reason": ""})
    assert response.status_code == 400
    assert response.context["decision_form"].errors["reason"]
    response = client.post(
        decide, {"findings": "经核查，事故发生在2019年。", "outcome": "dismissed", "reason": "不在近三年内。"}
    )
    assert response["Location"] == reverse("publicity:notice", kwargs={"pk": notice.pk})
    first.refresh_from_db()
    assert first.state == ObjectionState.DISMISSED
    assert first.decided_by == province_officer
    response = client.post(
        reverse("publicity:decide", kwargs={"pk": second.pk}),
        {"findings": "经应急管理部门核实属实。", "outcome": "upheld", "reason": "不符合申报条件。"},
    )
    assert response.status_code == 302
    second.refresh_from_db()
    removed.refresh_from_db()
    assert second.state == ObjectionState.UPHELD
    assert removed.removed_at is not None
    assert removed.application.state == ApplicationState.NOT_SELECTED
    page = client.get(reverse("publicity:objection", kwargs={"pk": second.pk})).content.decode()
    assert "不符合申报条件。" in page
    assert 'data-testid="decide"' not in page
    # Decided once: a second decision is refused.
    response = client.post(decide, {"findings": "x", "outcome": "upheld", "reason": "y"})
    assert response.status_code == 400
    assert "已处理完毕" in response.content.decode()


def test_objections_export(client, province_officer, batch, listed):
    notice = open_today(province_officer, batch)
    objection = object_to(notice)
    login_verified(client, province_officer)
    response = client.get(reverse("publicity:objections_export", kwargs={"pk": notice.pk}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    rows = [
        list(row) for row in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    ]
    assert "异议登记表" in rows[0][0]
    assert "仅限省工信厅内部使用" in rows[1][0]
    header = rows[2]
    assert header[:3] == ("受理编号", "提交时间", "被异议单位") or header[:3] == [
        "受理编号",
        "提交时间",
        "被异议单位",
    ]
    assert "异议事实和理由" in header
    row = dict(zip(header, rows[3], strict=True))
    assert row["受理编号"] == objection.reference
    assert row["被异议单位"] == objection.entry.unit_name
    assert row["异议人"] == "张明"
    assert row["联系电话"] == PHONE
    assert row["异议事实和理由"] == GROUNDS
    assert row["状态"] == "已受理，待核查"


def test_announcement_is_refused_during_the_period(client, province_officer, batch, listed):
    notice = open_today(province_officer, batch)
    login_verified(client, province_officer)
    url = reverse("publicity:announce", kwargs={"pk": notice.pk})
    page = client.get(url).content.decode()
    assert "暂不能发布" in page
    assert "期满后才能发布认定通告" in page
    assert 'data-testid="publish-announcement"' not in page
    response = client.post(
        url,
        {
            "number": "粤工信〔2025〕1号",
            "title": "通告",
            "issued_on": today().isoformat(),
            "body": "特此通告。",
        },
    )
    assert response.status_code == 400
    assert "期满后才能发布认定通告" in response.content.decode()
    assert not Announcement.objects.exists()


def test_announcement_after_the_period_recognises_the_units(client, province_officer, batch, listed):
    notice = open_past(province_officer, batch)
    objection = object_to(notice, on=DURING_PAST)
    login_verified(client, province_officer)
    url = reverse("publicity:announce", kwargs={"pk": notice.pk})
    assert "1 件异议未处理" in client.get(url).content.decode()
    services.decide_objection(
        actor=province_officer, objection=objection, upheld=False, findings="不属实", reason="不成立"
    )
    page = client.get(url).content.decode()
    assert 'data-testid="publish-announcement"' in page
    assert "关于公布2024年广东省服务型制造示范名单的通告" in page
    assert "2025年3月3日至2025年3月11日" in page
    data = {
        "number": "粤工信融合函〔2025〕12号",
        "title": "广东省工业和信息化厅关于公布2024年广东省服务型制造示范名单的通告",
        "issued_on": (END - timedelta(days=1)).isoformat(),
        "body": "现将名单予以公布。\n特此通告。",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "发布日期不能早于公示截止日期" in response.context["form"].errors["issued_on"][0]
    response = client.post(url, {**data, "issued_on": today().isoformat()})
    announcement = Announcement.objects.get()
    assert response["Location"] == reverse("publicity:public_announcement", kwargs={"pk": announcement.pk})
    assert announcement.units.count() == 3
    assert {a.state for a in batch.applications.all()} == {ApplicationState.RECOGNISED}
    # The public page shows no messages: none is left to pop up on the next officer page.
    assert "获认定" not in client.get(reverse("publicity:overview")).content.decode()
    page = client.get(reverse("publicity:notice", kwargs={"pk": notice.pk})).content.decode()
    assert "通告 粤工信融合函〔2025〕12号" in page
    assert "认定通告已发布" in client.get(url).content.decode()


@pytest.fixture
def recognised(province_officer, batch, listed):
    return announce(province_officer, open_past(province_officer, batch))


def test_units_list_filters_and_export(client, province_officer, listed, recognised):
    login_verified(client, province_officer)
    url = reverse("publicity:units")
    page = client.get(url).content.decode()
    assert page.count('data-testid="unit-row"') == 3
    shenzhen = client.get(url, {"city": "440300"}).content.decode()
    assert shenzhen.count('data-testid="unit-row"') == 1
    assert listed[1].organisation.name in shenzhen
    platforms = client.get(url, {"category": "platform"}).content.decode()
    assert platforms.count('data-testid="unit-row"') == 1
    assert listed[2].organisation.name in platforms
    by_name = client.get(url, {"q": listed[0].organisation.name}).content.decode()
    assert by_name.count('data-testid="unit-row"') == 1
    by_batch = client.get(url, {"batch": recognised.batch_id}).content.decode()
    assert by_batch.count('data-testid="unit-row"') == 3
    assert "没有符合条件的示范单位" in client.get(url, {"national": "yes"}).content.decode()
    assert "format=xlsx" in shenzhen
    response = client.get(url, {"city": "440300", "format": "xlsx"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "广东省服务型制造示范单位名单"
    header = rows[1]
    assert header[:4] == ("通告文号", "类别", "序号", "单位名称")
    assert len(rows) == 3
    row = dict(zip(header, rows[2], strict=True))
    assert row["单位名称"] == listed[1].organisation.name
    assert row["所在地市"] == "深圳市"
    assert row["通告文号"] == "粤工信融合函〔2025〕12号"


def test_national_recommendation_form(client, province_officer, listed, recognised):
    unit = DemonstrationUnit.objects.get(application=listed[0])
    login_verified(client, province_officer)
    url = reverse("publicity:unit_national", kwargs={"pk": unit.pk})
    page = client.get(url).content.decode()
    assert unit.unit_name in page
    assert 'name="priority" value="1"' in page
    response = client.post(url, {"recommended": "on", "priority": "1", "note": ""})
    assert response.status_code == 400
    assert response.context["form"].errors["note"] == ["请填写推荐理由。"]
    response = client.post(url, {"recommended": "on", "priority": "1", "note": "服务收入占比高"})
    assert response["Location"] == reverse("publicity:units") + "?national=yes"
    unit.refresh_from_db()
    assert unit.national_recommended
    assert unit.national_priority == 1
    page = client.get(response["Location"]).content.decode()
    assert page.count('data-testid="unit-row"') == 1
    assert "第 1 优先" in page
    # The next unit is offered the next priority.
    other = DemonstrationUnit.objects.get(application=listed[1])
    page = client.get(reverse("publicity:unit_national", kwargs={"pk": other.pk})).content.decode()
    assert 'name="priority" value="2"' in page


# ---------------------------------------------------------------------------------------------
# Inquiries answered by the unit or the city


def assert_no_objector(page, objection):
    assert objection.name not in page
    assert objection.phone not in page
    assert objection.grounds not in page


def test_the_unit_answers_without_seeing_the_objector(client, province_officer, batch, listed):
    notice = open_today(province_officer, batch)
    objection = object_to(notice, notice.entries.get(application=listed[0]))
    inquiry = services.send_inquiry(
        actor=province_officer, objection=objection, addressee="unit", question="请说明2023年安全生产情况。"
    )
    admin = listed[0].organisation.memberships.get().user
    login_verified(client, admin)
    listing = client.get(reverse("publicity:inquiries")).content.decode()
    assert listed[0].organisation.name in listing
    assert "待答复" in listing
    assert_no_objector(listing, objection)
    url = reverse("publicity:inquiry", kwargs={"pk": inquiry.pk})
    page = client.get(url).content.decode()
    assert "请说明2023年安全生产情况。" in page
    assert_no_objector(page, objection)
    response = client.post(url, {"answer": "无"})
    assert response.status_code == 400
    assert "至少 5 个字" in response.content.decode()
    response = client.post(url, {"answer": "2023年未发生安全生产事故，附应急管理部门证明。"})
    assert response["Location"] == url
    inquiry.refresh_from_db()
    assert inquiry.answered_by == admin
    page = client.get(url).content.decode()
    assert "2023年未发生安全生产事故" in page
    assert "已答复" in page
    assert_no_objector(page, objection)
    # Another unit's member does not see it.
    stranger = listed[1].organisation.memberships.get().user
    login_verified(client, stranger)
    assert client.get(url).status_code == 404


def test_deciding_with_an_unanswered_inquiry_asks_first_then_the_city_owes_nothing(
    client, province_officer, city_officer, batch, listed
):
    notice = open_today(province_officer, batch)
    objection = object_to(notice, notice.entries.get(application=listed[0]))  # in Guangzhou
    services.send_inquiry(
        actor=province_officer, objection=objection, addressee="city", question="请地市核实。"
    )
    login_verified(client, province_officer)
    page = client.get(reverse("publicity:objection", kwargs={"pk": objection.pk})).content.decode()
    assert "还有 1 项核查尚未答复" in page
    decide = reverse("publicity:decide", kwargs={"pk": objection.pk})
    form = {"findings": "经核查，情况属实。", "outcome": "dismissed", "reason": "异议不成立。"}
    refused = client.post(decide, form)
    assert refused.status_code == 400
    assert re.search(
        r'id="group-id_decision_despite_unanswered".*?还有 1 项核查尚未答复', refused.content.decode(), re.S
    )
    objection.refresh_from_db()
    assert not objection.is_decided
    assert client.post(decide, {**form, "despite_unanswered": "on"}).status_code == 302
    objection.refresh_from_db()
    assert objection.is_decided
    # The city's list no longer says 待答复.
    login_verified(client, city_officer)
    listing = client.get(reverse("publicity:inquiries")).content.decode()
    assert "异议已处理，无需答复" in listing
    assert "待答复" not in listing


def test_a_blank_objection_gets_the_anonymity_rule(client, province_officer, batch, listed):
    notice = open_today(province_officer, batch)
    url = reverse("publicity:objection_new", kwargs={"pk": notice.pk})
    key, answer = captcha(client, url)
    data = objection_data(notice.entries.first(), key, answer, name="")
    data.update({"phone": "", "grounds": ""})
    response = client.post(url, data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "匿名异议不予受理" in errors["name"][0]
    assert "联系电话" in errors["phone"][0]
    assert "事实和理由" in errors["grounds"][0]
    assert "这个字段是必填项" not in response.content.decode()


def test_the_city_answers_a_city_inquiry(client, province_officer, city_officer, batch, listed):
    notice = open_today(province_officer, batch)
    objection = object_to(notice, notice.entries.get(application=listed[0]))  # in Guangzhou
    inquiry = services.send_inquiry(
        actor=province_officer,
        objection=objection,
        addressee="city",
        question="请地市核实该企业安全生产情况。",
    )
    login_verified(client, city_officer)
    listing = client.get(reverse("publicity:inquiries")).content.decode()
    assert reverse("publicity:inquiry", kwargs={"pk": inquiry.pk}) in listing
    assert_no_objector(listing, objection)
    url = reverse("publicity:inquiry", kwargs={"pk": inquiry.pk})
    page = client.get(url).content.decode()
    assert "请地市核实该企业安全生产情况。" in page
    assert_no_objector(page, objection)
    response = client.post(url, {"answer": "经本局核实，该企业近三年未发生安全生产事故。"})
    assert response.status_code == 302
    inquiry.refresh_from_db()
    assert inquiry.answered_by == city_officer
    assert_no_objector(client.get(url).content.decode(), objection)
    # The unit is not asked, and another city does not see it.
    admin = listed[0].organisation.memberships.get().user
    login_verified(client, admin)
    assert client.get(url).status_code == 404
    login_verified(client, factories.CityOfficerFactory(city_code="440300"))
    assert client.get(url).status_code == 404
    # The province sees the answer on the objection page.
    login_verified(client, province_officer)
    page = client.get(reverse("publicity:objection", kwargs={"pk": objection.pk})).content.decode()
    assert "经本局核实" in page


def test_an_answer_carries_files_checked_as_evidence_and_the_province_opens_them(
    client, province_officer, city_officer, batch, listed
):
    notice = open_today(province_officer, batch)
    objection = object_to(notice, notice.entries.get(application=listed[0]))  # in Guangzhou
    inquiry = services.send_inquiry(
        actor=province_officer, objection=objection, addressee="city", question="请出具核查报告。"
    )
    login_verified(client, city_officer)
    url = reverse("publicity:inquiry", kwargs={"pk": inquiry.pk})
    assert 'enctype="multipart/form-data"' in client.get(url).content.decode()
    # A file that is not what it says is refused beside the field, and nothing is saved.
    fake = SimpleUploadedFile("核查报告.pdf", b"MZ not a pdf", content_type="application/pdf")
    refused = client.post(url, {"answer": "经本局核实，情况如下。", "evidence": fake})
    assert refused.status_code == 400
    assert re.search(r'id="group-id_evidence".*?核查报告.pdf', refused.content.decode(), re.S)
    inquiry.refresh_from_db()
    assert inquiry.answered_at is None
    report = SimpleUploadedFile("核查报告.pdf", b"%PDF-1.4\n%sealed\n", content_type="application/pdf")
    assert client.post(url, {"answer": "经本局核实，情况如下。", "evidence": report}).status_code == 302
    assert "核查报告.pdf" in client.get(url).content.decode()
    item = inquiry.files.get()
    assert item.objection_id == objection.pk
    login_verified(client, province_officer)
    page = client.get(reverse("publicity:objection", kwargs={"pk": objection.pk})).content.decode()
    link = reverse("publicity:objection_evidence", kwargs={"pk": objection.pk, "evidence_pk": item.pk})
    assert link in page
    download = client.get(link)
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    # The city never downloads through the province's link.
    login_verified(client, city_officer)
    assert client.get(link).status_code in (403, 404)


def test_inquiry_after_the_decision_needs_no_answer(client, province_officer, batch, listed):
    notice = open_today(province_officer, batch)
    objection = object_to(notice, notice.entries.get(application=listed[0]))
    inquiry = services.send_inquiry(
        actor=province_officer, objection=objection, addressee="unit", question="请说明。"
    )
    services.decide_objection(
        actor=province_officer,
        objection=objection,
        upheld=False,
        findings="x",
        reason="y",
        despite_unanswered=True,
    )
    login_verified(client, listed[0].organisation.memberships.get().user)
    url = reverse("publicity:inquiry", kwargs={"pk": inquiry.pk})
    assert "无需再答复" in client.get(url).content.decode()
    assert client.post(url, {"answer": "补充说明有关情况。"}).status_code == 400
