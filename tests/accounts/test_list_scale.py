"""The officers' lists of organisations, accounts and the audit trail cost what they show.

The same queries for 1 row and for 1,000, and the rows read a page at a time.
"""

import pytest
from django.urls import reverse

from shifan.accounts.models import ExpertProfile, Organisation, OrganisationNature, Role, User
from shifan.accounts.selectors import organisation_search
from shifan.core import uscc
from shifan.core.models import AuditEvent
from tests import factories
from tests.helpers import assert_flat, read_list

pytestmark = pytest.mark.django_db


def many_organisations(count, *, start=0, city_code="440100"):
    """Return `count` organisations made in bulk; every third one's code is from another city."""
    return Organisation.objects.bulk_create(
        Organisation(
            name=f"批量单位{start + n}有限公司",
            credit_code=factories.credit_code_for("440300" if n % 3 == 0 else city_code, 70000 + start + n),
            nature=OrganisationNature.ENTERPRISE,
            city_code=city_code,
            county_code="440104",
            address="示范路1号",
            contact_name="联系人",
            contact_phone="020-12345678",
            contact_email=f"org{start + n}@example.com",
        )
        for n in range(count)
    )


@pytest.mark.parametrize("role", ["city", "province"])
@pytest.mark.parametrize("params", [{}, {"q": "批量"}, {"warnings": "1"}, {"page": "2"}])
def test_the_organisation_list_reads_one_page_whatever_it_holds(
    client, city_officer, province_officer, role, params
):
    user = city_officer if role == "city" else province_officer
    url = reverse("accounts:organisation_list")
    many_organisations(1)
    few, _page = read_list(client, user, url, params, table="accounts_organisation")
    many_organisations(999, start=1)
    many, page = read_list(client, user, url, params, table="accounts_organisation")
    assert_flat(few, many)
    assert page.count("批量单位") >= 20


def test_the_warnings_filter_asks_the_database_what_the_code_check_says(province_officer):
    def code(area, body, *, check=None):
        first17 = "91" + area + body + (check or uscc.org_code_check_character(body))
        return first17 + uscc.check_character(first17)

    codes = {
        "本市": (code("440104", "MA59TB1K"), "440100"),
        "外市": (code("440305", "MA59TB2K"), "440100"),
        "省级": (code("440000", "MA59TB3K"), "440100"),
        "外省": (code("310115", "MA59TB4K"), "440100"),
        "国家": (code("100000", "MA59TB5K"), "440100"),
        "校验不符": (code("440104", "MA59TB6K", check="0"), "440100"),
        "字母校验": (code("440104", "Q1234567"), "440100"),
        "未填城市": (code("440305", "MA59TB7K"), ""),
    }
    Organisation.objects.bulk_create(
        Organisation(
            name=name, credit_code=credit_code, city_code=city_code, county_code="", nature="enterprise"
        )
        for name, (credit_code, city_code) in codes.items()
    )
    by_python = {o.name for o in Organisation.objects.all() if o.credit_code_warnings}
    by_database = {o.name for o in organisation_search(province_officer, warnings_only=True)}
    assert by_database == by_python
    assert by_python == {"外市", "外省", "国家", "校验不符"}


@pytest.mark.parametrize("params", [{}, {"role": "expert"}, {"q": "专家"}, {"page": "2"}])
def test_the_account_list_reads_one_page_whatever_it_holds(client, province_officer, params):
    def many_experts(count, start):
        users = User.objects.bulk_create(
            User(email=f"pool{start + n}@example.com", name=f"专家{start + n}", role=Role.EXPERT)
            for n in range(count)
        )
        ExpertProfile.objects.bulk_create(ExpertProfile(user=user, employer="某研究院") for user in users)

    url = reverse("accounts:account_list")
    many_experts(1, 0)
    few, _page = read_list(client, province_officer, url, params, table="accounts_user")
    many_experts(999, 1)
    many, page = read_list(client, province_officer, url, params, table="accounts_user")
    assert_flat(few, many)
    assert page.count("某研究院") >= 20


@pytest.mark.parametrize("params", [{}, {"action": "application."}, {"q": "批量"}, {"page": "2"}])
def test_the_audit_trail_reads_one_page_whatever_it_holds(client, province_officer, params):
    def many_events(count, start):
        AuditEvent.objects.bulk_create(
            AuditEvent(
                actor=province_officer,
                actor_label="省厅",
                action="application.submitted",
                target_type="application",
                target_id=str(start + n),
                target_label=f"批量申报{start + n}",
            )
            for n in range(count)
        )

    url = reverse("accounts:audit_list")
    many_events(1, 0)
    few, _page = read_list(client, province_officer, url, params, table="core_auditevent")
    many_events(999, 1)
    many, page = read_list(client, province_officer, url, params, table="core_auditevent")
    assert_flat(few, many)
    assert page.count("批量申报") >= 20


@pytest.mark.parametrize("params", [{}, {"state": ""}, {"q": "批量"}, {"page": "2"}])
def test_the_change_requests_read_one_page_whatever_they_hold(client, province_officer, params):
    from shifan.accounts.models import OrganisationChange

    requester = factories.UserFactory()

    def many_changes(count, start):
        OrganisationChange.objects.bulk_create(
            OrganisationChange(
                organisation=organisation,
                before={"name": organisation.name},
                after={"name": f"{organisation.name}（新）"},
                reason="更名",
                requested_by=requester,
            )
            for organisation in many_organisations(count, start=start)
        )

    url = reverse("accounts:organisation_change_list")
    many_changes(1, 0)
    few, _page = read_list(client, province_officer, url, params, table="accounts_organisationchange")
    many_changes(999, 1)
    many, page = read_list(client, province_officer, url, params, table="accounts_organisationchange")
    assert_flat(few, many)
    assert page.count("批量单位") >= 20
