"""The province's failed-work page: failed tasks and mails from the database queue, retried once."""

import pytest
from django.core import mail
from django.urls import reverse
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from shifan.core.failed_work import RetryRefused, retry_failed_task
from shifan.core.mail import deliver_mail
from shifan.core.models import AuditEvent, TaskRetry
from shifan.core.taskqueue import MAIL_TASK
from shifan.documents.tasks import build_export
from tests import factories
from tests.helpers import assert_flat, login_verified, read_list

pytestmark = pytest.mark.django_db

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
SMTP_DOWN = {
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "127.0.0.1",
    "EMAIL_PORT": 9,  # discard: nothing listens, the connection is refused
    "EMAIL_TIMEOUT": 5,
}


@pytest.fixture
def queue(settings):
    settings.TASKS = DATABASE_QUEUE
    return settings


def run_worker():
    """Run the due tasks as `db_worker` runs each one (its loop would close the test's connection)."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    while (task := DBTaskResult.objects.ready().first()) is not None:
        task.claim(worker.worker_id)
        worker.run_task(task)


def fail_a_mail(settings, subject="公示期满：拟认定名单公示", to=("officer@example.gov.cn",)):
    """Queue a mail and let the worker fail to send it, the SMTP server being down."""
    result = deliver_mail.enqueue(subject=subject, body="请处理。", to=list(to))
    for name, value in SMTP_DOWN.items():
        setattr(settings, name, value)
    run_worker()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    failed = DBTaskResult.objects.get(pk=result.id)
    assert failed.status == "FAILED"
    return failed


def fail_an_export():
    """Queue an export with a job number that is not one: the worker fails it."""
    result = build_export.enqueue(job_id="not-a-number")
    run_worker()
    failed = DBTaskResult.objects.get(pk=result.id)
    assert failed.status == "FAILED"
    return failed


def table(response):
    """The list's rows, without the menus around them."""
    return response.content.decode().split("<tbody>", 1)[1].split("</tbody>", 1)[0]


def test_the_page_lists_failed_mails_and_tasks_apart(client, queue, province_officer):
    failed_mail = fail_a_mail(queue)
    fail_an_export()
    login_verified(client, province_officer)
    mails = table(client.get(reverse("failed_work"), {"kind": "mail"}))
    assert "公示期满：拟认定名单公示" in mails
    assert "officer@example.gov.cn" in mails
    assert "ConnectionRefusedError" in mails  # the traceback's last line
    assert "申报书批量导出" not in mails
    assert reverse("failed_work_retry", kwargs={"pk": failed_mail.pk}) in mails
    assert "data-confirm=" in mails
    tasks = table(client.get(reverse("failed_work")))
    assert "申报书批量导出" in tasks  # the task's name in Chinese
    assert "ValueError" in tasks
    assert "公示期满" not in tasks


def test_search_narrows_the_lists(client, queue, province_officer):
    fail_a_mail(queue, subject="申报书已退回修改", to=["a@example.com"])
    fail_a_mail(queue, subject="公示期满", to=["b@example.com"])
    fail_an_export()
    login_verified(client, province_officer)

    def shown(**params):
        return table(client.get(reverse("failed_work"), params))

    assert "公示期满" not in shown(kind="mail", q="退回")
    assert "申报书已退回修改" in shown(kind="mail", q="退回")
    assert "申报书已退回修改" not in shown(kind="mail", q="b@example.com")
    assert "公示期满" in shown(kind="mail", q="b@example.com")
    assert "申报书批量导出" in shown(q="批量导出")
    assert "申报书批量导出" not in shown(q="跟踪提醒")


def test_retrying_a_mail_sends_it_again_once(client, queue, province_officer):
    failed = fail_a_mail(queue)
    login_verified(client, province_officer)
    url = reverse("failed_work_retry", kwargs={"pk": failed.pk})
    response = client.post(url, {"kind": "mail"})
    assert response.status_code == 302
    assert response["Location"] == reverse("failed_work") + "?kind=mail"
    retry = TaskRetry.objects.get(failed_task=failed)
    assert retry.retried_by == province_officer
    queued = DBTaskResult.objects.get(pk=retry.retry_task_id)
    assert queued.status == "READY"
    assert queued.task_path == MAIL_TASK
    assert queued.task_result.kwargs == failed.task_result.kwargs
    event = AuditEvent.objects.get(action="core.mail_resent")
    assert event.actor == province_officer
    assert event.target_id == str(failed.pk)
    assert "公示期满" in event.target_label
    # A second click (or a second officer) queues nothing more.
    again = client.post(url, {"kind": "mail"}, follow=True)
    assert "已经重试过" in again.content.decode()
    assert DBTaskResult.objects.filter(task_path=MAIL_TASK).count() == 2
    assert AuditEvent.objects.filter(action="core.mail_resent").count() == 1
    page = client.get(reverse("failed_work"), {"kind": "mail"}).content.decode()
    assert 'data-testid="retried"' in page
    assert url not in page
    run_worker()  # the SMTP server is back (locmem)
    assert DBTaskResult.objects.get(pk=retry.retry_task_id).status == "SUCCESSFUL"
    assert [sent.subject for sent in mail.outbox] == ["公示期满：拟认定名单公示"]


def test_a_retry_that_fails_again_is_listed_again(client, queue, province_officer):
    failed = fail_an_export()
    retry = retry_failed_task(actor=province_officer, task_result_id=str(failed.pk))
    run_worker()
    assert DBTaskResult.objects.get(pk=retry.retry_task_id).status == "FAILED"
    login_verified(client, province_officer)
    page = client.get(reverse("failed_work")).content.decode()
    assert page.count('data-testid="failed-row"') == 2
    assert page.count('data-testid="retried"') == 1
    assert AuditEvent.objects.get(action="core.task_retried").target_label == "申报书批量导出"


def test_only_failed_tasks_are_retried_and_only_by_the_province(queue, province_officer, city_officer):
    failed = fail_an_export()
    with pytest.raises(RetryRefused):
        retry_failed_task(actor=city_officer, task_result_id=str(failed.pk))
    waiting = build_export.enqueue(job_id=1)
    with pytest.raises(RetryRefused, match="没有这项失败的任务"):
        retry_failed_task(actor=province_officer, task_result_id=str(waiting.id))
    assert not TaskRetry.objects.exists()


@pytest.mark.parametrize("role", ["city", "applicant", "expert", "anonymous"])
def test_other_roles_can_neither_see_nor_retry(client, queue, role):
    failed = fail_an_export()
    people = {
        "city": factories.CityOfficerFactory,
        "applicant": lambda: factories.MembershipFactory(is_admin=True).user,
        "expert": lambda: factories.ExpertProfileFactory().user,
    }
    if role != "anonymous":
        login_verified(client, people[role]())
    expected = 302 if role == "anonymous" else 403
    assert client.get(reverse("failed_work")).status_code == expected
    assert client.post(reverse("failed_work_retry", kwargs={"pk": failed.pk})).status_code == expected
    assert not TaskRetry.objects.exists()
    assert DBTaskResult.objects.count() == 1


def failed_rows(count):
    from django.utils import timezone
    from django_tasks_db.models import get_date_max

    DBTaskResult.objects.bulk_create(
        DBTaskResult(
            task_path=MAIL_TASK,
            args_kwargs={"args": [], "kwargs": {"subject": f"通知 {n}", "body": "", "to": ["a@example.com"]}},
            backend_name="default",
            run_after=get_date_max(),
            status="FAILED",
            finished_at=timezone.now(),
            worker_ids=["w"],
            exception_class_path="smtplib.SMTPServerDisconnected",
            traceback="smtplib.SMTPServerDisconnected: Connection unexpectedly closed\n",
        )
        for n in range(count)
    )


def test_the_list_reads_a_page_of_rows_whatever_the_queue_holds(client, province_officer):
    failed_rows(1)
    url = reverse("failed_work")
    few, _page = read_list(
        client, province_officer, url, {"kind": "mail"}, table="django_tasks_database_dbtaskresult"
    )
    failed_rows(200)
    many, page = read_list(
        client, province_officer, url, {"kind": "mail"}, table="django_tasks_database_dbtaskresult"
    )
    assert_flat(few, many)
    assert page.count('data-testid="failed-row"') == 30


def test_the_page_in_english(client, queue, province_officer):
    fail_a_mail(queue)
    login_verified(client, province_officer)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("failed_work"), {"kind": "mail"}).content.decode()
    for text in ("Failed tasks and mails", "Subject", "Recipients", "Attempts", "Retry", "Background tasks"):
        assert text in page
    assert "失败时间" not in page
