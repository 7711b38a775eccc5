import pytest
from django.urls import reverse

from shifan.core.models import Notice
from shifan.core.notices import notify, unread_count
from tests import factories

pytestmark = pytest.mark.django_db


def test_notify_creates_notices_and_mails_after_commit(mailoutbox, django_capture_on_commit_callbacks):
    people = [factories.UserFactory(), factories.UserFactory(is_active=False)]
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=people, title="申报书已退回修改", body="请补充材料", url="/applications/1/")
    assert Notice.objects.count() == 1  # disabled accounts are not notified
    assert mailoutbox[0].to == [people[0].email]
    assert "请补充材料" in mailoutbox[0].body


def test_bell_counts_unread_and_opening_marks_read(client):
    user = factories.UserFactory()
    notice = Notice.objects.create(recipient=user, title="通知一", url="/")
    Notice.objects.create(recipient=user, title="通知二")
    client.force_login(user)
    assert unread_count(user) == 2
    assert 'data-testid="notice-bell"' in client.get(reverse("home")).content.decode()
    response = client.post(reverse("notice_open", kwargs={"pk": notice.pk}))
    assert response["Location"] == "/"
    assert unread_count(user) == 1
    client.post(reverse("notices"))
    assert unread_count(user) == 0
