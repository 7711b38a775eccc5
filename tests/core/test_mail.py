"""Every mail goes through the queue and the worker (`core.mail.queue_mail` → `deliver_mail`)."""

import ast
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django_tasks.signals import task_enqueued

import shifan
from shifan.core.mail import deliver_mail

SRC = Path(shifan.__file__).parent
MAIL_MODULE = SRC / "core" / "mail.py"


@pytest.fixture
def enqueued():
    """Collect the tasks enqueued while the test runs."""
    results = []

    def collect(sender, task_result, **kwargs):
        results.append(task_result)

    task_enqueued.connect(collect)
    yield results
    task_enqueued.disconnect(collect)


def test_password_reset_mail_is_sent_by_the_mail_task(
    client, applicant_admin, enqueued, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": applicant_admin.email})
    assert response.status_code == 302
    assert [result.task.func for result in enqueued] == [deliver_mail.func]
    assert enqueued[0].kwargs["to"] == [applicant_admin.email]
    assert "\n" not in enqueued[0].kwargs["subject"]
    assert len(mailoutbox) == 1
    assert re.search(r"/password/reset/\S+/\S+/", mailoutbox[0].body)


def test_password_reset_for_an_unknown_address_queues_nothing(client, db, enqueued, mailoutbox):
    client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert enqueued == []
    assert mailoutbox == []


# Django's ways to send mail directly. `email_user` and the auth forms' `send_mail` call
# `django.core.mail.send_mail` inside Django, so their use in the project is a direct send too.
DIRECT_SENDS = re.compile(
    r"from django\.core\.mail import|import django\.core\.mail|from django\.core import mail"
    r"|\bsend_mail\(|\bsend_mass_mail\(|\bmail_admins\("
    r"|\bmail_managers\(|\bEmailMessage\b|\bEmailMultiAlternatives\b|\.email_user\(|\bmail\.get_connection\("
)


def direct_sends(path: Path) -> list[str]:
    """Return the lines of a source file that send mail or import Django's mail module."""
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        code = line.split("#", 1)[0]
        # Overriding a form's `send_mail` (to queue the mail) defines it; it does not call it.
        if re.match(r"\s*def send_mail\(", code):
            continue
        if DIRECT_SENDS.search(code):
            found.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    return found


def test_nothing_in_src_sends_mail_but_the_mail_task():
    offenders = [
        line for path in sorted(SRC.rglob("*.py")) if path != MAIL_MODULE for line in direct_sends(path)
    ]
    assert offenders == []


def test_the_mail_module_sends_only_inside_the_task():
    tree = ast.parse(MAIL_MODULE.read_text(encoding="utf-8"))
    senders = {
        function.name
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef)
        for call in ast.walk(function)
        if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "send_mail"
    }
    assert senders == {"deliver_mail"}
    decorated = next(
        node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "deliver_mail"
    )
    assert any(getattr(getattr(d, "func", d), "id", "") == "task" for d in decorated.decorator_list)


def test_password_reset_form_queues_its_mail():
    # Django's own form would send directly; the project's overrides the one method that sends.
    from django.contrib.auth.forms import PasswordResetForm as DjangoForm

    from shifan.accounts.views import PasswordResetView

    assert PasswordResetView.form_class.send_mail is not DjangoForm.send_mail


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_a_mail_is_queued_in_the_transaction_that_causes_it(
    database_queue, db, django_capture_on_commit_callbacks
):
    """With the database queue the task's row is written with the data: nothing waits for an
    on-commit callback, which a process killed right after the commit would never run."""
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from shifan.core.mail import queue_mail

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        queue_mail(to=["a@example.com"], subject="测试", template="accounts/mail/claim_filed.txt", context={})
        assert DBTaskResult.objects.filter(task_path="shifan.core.mail.deliver_mail").count() == 1
    assert callbacks == []

    def queue_then_fail() -> None:
        with transaction.atomic():
            queue_mail(
                to=["b@example.com"], subject="撤销", template="accounts/mail/claim_filed.txt", context={}
            )
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        queue_then_fail()
    assert DBTaskResult.objects.filter(task_path="shifan.core.mail.deliver_mail").count() == 1


def test_a_mail_task_run_again_sends_nothing(database_queue, db, mailoutbox):
    """A mail task run a second time (its worker killed before the queue recorded it as done, then
    requeued: core.workers) finds the mark of the first run and sends nothing."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    result = deliver_mail.enqueue(subject="通知", body="正文", to=["a@example.com"])
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test",
        excluded_queue_names=[],
    )
    row = DBTaskResult.objects.get(pk=result.id)
    worker.run_task(row)
    assert len(mailoutbox) == 1
    DBTaskResult.objects.filter(pk=result.id).update(status="RUNNING", finished_at=None)
    worker.run_task(DBTaskResult.objects.get(pk=result.id))
    assert len(mailoutbox) == 1
    assert DBTaskResult.objects.get(pk=result.id).status == "SUCCESSFUL"
