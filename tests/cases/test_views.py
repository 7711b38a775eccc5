import pytest
from django.urls import reverse

from shifan.cases import services
from shifan.cases.models import CaseState, TypicalCase
from shifan.publicity.models import UnitStatus
from tests.cases.conftest import CASE_TEXT, make_case, png, published_case, recognised_unit, upload
from tests.helpers import login_verified


def assert_cacheable_and_cookieless(response):
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=60"
    assert not response.cookies
    assert "csrfmiddlewaretoken" not in response.content.decode()


@pytest.fixture
def officer_client(client, province_officer):
    return login_verified(client, province_officer)


# ---------------------------------------------------------------------------------------------
# Public pages


@pytest.mark.parametrize("cases", [1, 3])
def test_public_list_runs_a_fixed_number_of_queries_and_sets_no_cookie(
    client, province_officer, django_assert_num_queries, cases
):
    for index in range(cases):
        published_case(province_officer, recognised_unit(), title=f"案例{index}")
    # What the library holds now; then the filters' modes and cities, the page, its pictures (a
    # page not full is the whole list, counted by its rows).
    with django_assert_num_queries(4):
        response = client.get(reverse("cases:public_list"))
    assert_cacheable_and_cookieless(response)
    page = response.content.decode()
    assert page.count('data-testid="case-card"') == cases
    assert page.count("?size=thumb") == cases
    # Asked again while the library is the same, the page is the copy rendered then.
    with django_assert_num_queries(1):
        again = client.get(reverse("cases:public_list"))
    assert again.content.decode() == page
    assert_cacheable_and_cookieless(again)


def test_public_list_shows_every_change_at_the_next_request(client, province_officer):
    unit = recognised_unit()
    first = published_case(province_officer, unit, title="第一个案例")
    url = reverse("cases:public_list")

    def cards():
        page = client.get(url).content.decode()
        return page.count('data-testid="case-card"'), page.count("?size=thumb"), page

    assert cards()[:2] == (1, 1)
    shenzhen = recognised_unit(city_code="440300", city_name="深圳市")
    second = published_case(province_officer, shenzhen, title="第二个")
    count, thumbs, page = cards()
    assert (count, thumbs) == (2, 2)
    assert "第二个" in page
    assert "深圳市" in page
    services.update_case(
        actor=province_officer,
        case=first,
        title="改过的标题",
        summary=first.summary,
        mode=first.mode,
        body=first.body,
    )
    assert "改过的标题" in cards()[2]
    services.remove_picture(actor=province_officer, picture=second.pictures.get())
    assert cards()[:2] == (2, 1)
    services.withdraw_case(actor=province_officer, case=second, reason="单位要求撤下")
    count, _thumbs, page = cards()
    assert count == 1
    assert "第二个" not in page
    # A revoked unit's case leaves the library whatever its own record says, and comes back with it.
    unit.status = UnitStatus.REVOKED
    unit.save()
    assert cards()[0] == 0
    unit.status = UnitStatus.ACTIVE
    unit.save()
    assert cards()[0] == 1


def test_public_list_searched_or_filtered_is_rendered_each_time(
    client, province_officer, django_assert_num_queries
):
    published_case(province_officer, recognised_unit(), title="广州设计")
    for _ in range(2):  # no copy is kept of what anyone types
        with django_assert_num_queries(3):
            assert "广州设计" in client.get(reverse("cases:public_list"), {"q": "设计"}).content.decode()
        with django_assert_num_queries(3):
            client.get(reverse("cases:public_list"), {"page": "1", "city": "440100"})


def test_public_list_filters_by_mode_and_city(client, province_officer):
    published_case(province_officer, recognised_unit(), title="广州设计")
    published_case(
        province_officer,
        recognised_unit(city_code="440300", city_name="深圳市"),
        title="深圳供应链",
        mode="supply_chain",
    )
    page = client.get(
        reverse("cases:public_list"), {"mode": "supply_chain", "city": "440300"}
    ).content.decode()
    assert "深圳供应链" in page
    assert "广州设计" not in page
    page = client.get(reverse("cases:public_list"), {"mode": "customization"}).content.decode()
    assert "没有符合条件的案例" in page


def test_public_case_shows_text_pictures_unit_and_announcement(client, province_officer, unit):
    case = published_case(province_officer, unit)
    response = client.get(reverse("cases:public_case", kwargs={"pk": case.pk}))
    assert_cacheable_and_cookieless(response)
    page = response.content.decode()
    for text in [case.title, unit.unit_name, "广州市", "工业设计服务", unit.announcement.number, "设计中心"]:
        assert text in page
    assert page.count('class="sf-indent"') == 3


def test_public_case_escapes_typed_html(client, province_officer, unit):
    case = published_case(province_officer, unit, body="<script>alert(1)</script>\n<b>粗体</b>")
    page = client.get(reverse("cases:public_case", kwargs={"pk": case.pk})).content.decode()
    assert "<script>alert(1)" not in page
    assert "&lt;b&gt;粗体&lt;/b&gt;" in page


def test_public_pages_hide_drafts_withdrawn_and_revoked(client, province_officer, unit):
    draft = make_case(province_officer, unit)
    published = published_case(province_officer, unit)
    picture = published.pictures.get()
    assert client.get(reverse("cases:public_case", kwargs={"pk": draft.pk})).status_code == 404
    unit.status = UnitStatus.REVOKED
    unit.save()
    assert client.get(reverse("cases:public_case", kwargs={"pk": published.pk})).status_code == 404
    url = reverse("cases:public_picture", kwargs={"pk": published.pk, "picture_pk": picture.pk})
    assert client.get(url).status_code == 404


def test_public_picture_is_served_with_its_type(client, province_officer, unit):
    case = published_case(province_officer, unit)
    picture = case.pictures.get()
    response = client.get(reverse("cases:public_picture", kwargs={"pk": case.pk, "picture_pk": picture.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert not response.cookies


# ---------------------------------------------------------------------------------------------
# Officer pages


def test_officer_creates_a_case_from_a_unit(officer_client, unit):
    page = officer_client.get(reverse("cases:new"), {"unit": unit.pk}).content.decode()
    # The unit's declared mode is preselected.
    assert '<option value="supply_chain" selected>' in page
    response = officer_client.post(reverse("cases:new"), {**CASE_TEXT, "unit": unit.pk})
    case = TypicalCase.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:case", kwargs={"pk": case.pk})
    assert case.state == CaseState.DRAFT


def test_officer_create_errors_beside_the_fields(officer_client, unit):
    response = officer_client.post(reverse("cases:new"), {"unit": unit.pk, "title": "", "body": "正文"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_title-error"' in page
    assert 'id="id_summary-error"' in page
    assert "正文" in page  # what was typed is kept
    assert not TypicalCase.objects.exists()


def test_officer_create_refuses_a_revoked_unit_beside_the_field(officer_client, unit):
    # The form lists active units only; a unit revoked meanwhile is refused as a bad choice.
    recognised_unit(city_code="440300", city_name="深圳市")
    unit.status = UnitStatus.REVOKED
    unit.save()
    response = officer_client.post(reverse("cases:new"), {**CASE_TEXT, "unit": unit.pk})
    assert response.status_code == 400
    assert 'id="id_unit-error"' in response.content.decode()


def test_officer_edit_and_bad_picture_are_refused_beside_the_field(officer_client, province_officer, unit):
    case = make_case(province_officer, unit)
    url = reverse("cases:case", kwargs={"pk": case.pk})
    response = officer_client.post(url, {**CASE_TEXT, "mode": "nonsense"})
    assert response.status_code == 400
    assert 'id="id_mode-error"' in response.content.decode()
    response = officer_client.post(
        reverse("cases:picture_add", kwargs={"pk": case.pk}),
        {"caption": "假图", "picture": upload("假图.png", b"%PDF-1.4\n%x\n")},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_picture-error"' in page
    assert "文件内容不是允许的类型" in page
    response = officer_client.post(
        reverse("cases:picture_add", kwargs={"pk": case.pk}),
        {"caption": "", "picture": upload(data=png())},
    )
    assert response.status_code == 400
    assert 'id="id_caption-error"' in response.content.decode()


def test_officer_publishes_and_publishing_twice_is_refused(officer_client, province_officer, unit):
    case = make_case(province_officer, unit)
    url = reverse("cases:publish", kwargs={"pk": case.pk})
    assert officer_client.post(url).status_code == 302
    response = officer_client.post(url)
    assert response.status_code == 400
    assert "案例已发布" in response.content.decode()


def test_officer_withdraw_needs_a_reason(officer_client, province_officer, unit):
    case = published_case(province_officer, unit)
    url = reverse("cases:withdraw", kwargs={"pk": case.pk})
    response = officer_client.post(url, {"reason": ""})
    assert response.status_code == 400
    assert 'id="id_reason-error"' in response.content.decode()
    assert officer_client.post(url, {"reason": "数据过时"}).status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.WITHDRAWN


def test_officer_removes_a_picture(officer_client, province_officer, unit):
    case = published_case(province_officer, unit)
    picture = case.pictures.get()
    response = officer_client.post(
        reverse("cases:picture_remove", kwargs={"pk": case.pk, "picture_pk": picture.pk})
    )
    assert response.status_code == 302
    assert not case.pictures.exists()


@pytest.mark.parametrize("cases", [1, 3])
def test_officer_list_runs_a_fixed_number_of_queries(
    officer_client, province_officer, django_assert_num_queries, cases
):
    for index in range(cases):
        make_case(province_officer, recognised_unit(), title=f"案例{index}")
    officer_client.get(reverse("cases:list"))  # the session and the device, read once
    # The bell's unread count is the one cached by the first view; the short list is counted by
    # its rows.
    with django_assert_num_queries(6):
        response = officer_client.get(reverse("cases:list"), {"q": "案例"})
    assert response.content.decode().count('data-testid="case-row"') == cases


def test_officer_list_marks_a_revoked_units_case(officer_client, province_officer, unit):
    published_case(province_officer, unit)
    unit.status = UnitStatus.REVOKED
    unit.save()
    page = officer_client.get(reverse("cases:list")).content.decode()
    assert "单位已撤销 · 不再公开" in page
