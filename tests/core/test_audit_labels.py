"""The audit trail reads in Chinese: field labels and value labels, not the dicts the code stored."""

import pytest
from django.urls import reverse

from shifan.core.audit import describe_change
from tests import factories
from tests.helpers import login_verified
from tests.reviews.test_services import submitted_application

pytestmark = pytest.mark.django_db


def test_recorded_changes_are_described_with_labels():
    assert describe_change({"state": "submitted", "snapshot": 2, "city_code": "440100"}) == [
        ("状态", "已提交"),
        ("提交次数", "2"),
        ("所在城市", "广州市"),
    ]
    assert describe_change({"contact_phone": "", "unknown_key": True}) == [
        ("联系电话", "（空）"),
        ("unknown_key", "是"),
    ]


def test_audit_page_shows_no_raw_dicts(client, province_officer):
    submitted_application(factories.BatchFactory())
    login_verified(client, province_officer)
    content = client.get(reverse("accounts:audit_list")).content.decode()
    assert "状态：已提交" in content
    assert "{&#x27;state&#x27;" not in content
    assert "&#x27;state&#x27;:" not in content
