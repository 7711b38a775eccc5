"""The background-task queue as the project uses it: its backend, the tasks' names, its figures.

- The id of the request (or of the task) that queues a task is stored beside its arguments when
  django-tasks-db creates the task's row, and the worker puts it back in the log context while the
  task runs, so that a task's log lines carry the request id of the page that caused it
  (`core.requestlog`). Every `.enqueue()` of the project passes here; nothing at the call sites.
  Under the immediate backend (the tests') a task runs in the request's own context and carries
  its id anyway.
- `TASK_NAMES` names each task in Chinese for the officers' failed-work page.
- `due_since()` is the moment a waiting task became due, read by /readyz and /metrics.
- `enqueue_with_transaction()` queues a task as part of the data that causes it.
"""

from typing import Any

from django.db import transaction
from django.db.models import Case, F, When
from django.db.models.expressions import Combinable
from django.db.models.functions import Greatest
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django_tasks.signals import task_finished, task_started
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from shifan.core import requestlog

MAIL_TASK = "shifan.core.mail.deliver_mail"

TASK_NAMES = {
    MAIL_TASK: "发送邮件",
    "shifan.publicity.tasks.advance_notices": "公示按日期开始或结束",
    "shifan.tracking.tasks.send_tracking_reminders": "发送跟踪填报提醒",
    "shifan.expert_review.tasks.send_review_reminders": "发送专家评审截止提醒",
    "shifan.documents.tasks.build_export": "申报书批量导出",
    "shifan.documents.tasks.make_submitted_book": "生成提交版申报书 PDF",
    "shifan.similarity.tasks.check_submission": "检测申报书相似内容",
    "shifan.similarity.tasks.check_batch": "检测批次相似内容",
}


def enqueue_with_transaction(task: Any, *, robust: bool = False, **kwargs: Any) -> None:
    """Queue `task` with `kwargs` for when the open transaction commits, and never without it.

    With the database backend the task's row is written now, in the transaction: it commits (and
    becomes visible to the workers) with the data that caused it, or rolls back with it, so a
    process killed between the commit and an `on_commit` callback cannot lose the task (a mail
    never sent, a book never made: `make bench-crash`). Another backend (the tests' immediate one
    runs the task at once) is asked once the transaction commits, as `transaction.on_commit` does;
    `robust` then logs a failure to queue instead of raising it.
    """
    if isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(**kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(**kwargs), robust=robust)


def task_name(task_path: str) -> str:
    """Return a task's name for people: Chinese where the project names it, else its function's."""
    return TASK_NAMES.get(task_path) or task_path.rsplit(".", 1)[-1]


def due_since() -> Combinable:
    """The moment a task became due: when it was queued, or its run_after when that is later."""
    from django_tasks_db.models import get_date_max

    return Case(
        When(run_after=get_date_max(), then=F("enqueued_at")),
        default=Greatest(F("run_after"), F("enqueued_at")),
    )


REQUEST_ID_KEY = "request_id"


@receiver(pre_save, sender=DBTaskResult)
def _keep_request_id(sender: Any, instance: DBTaskResult, raw: bool = False, **kwargs: Any) -> None:
    """Store the id of the request (or task) that queues a task beside its arguments.

    Every `.enqueue()` creates its row here, whichever call site queued it; the row keeps the
    arguments under their own keys, so the id is invisible to the task itself.
    """
    current = requestlog.request_id.get()
    if current and not raw and instance._state.adding and isinstance(instance.args_kwargs, dict):
        instance.args_kwargs = {**instance.args_kwargs, REQUEST_ID_KEY: current}


def stored_request_id(task_result: Any) -> str | None:
    db_result = getattr(task_result, "db_result", None)
    if db_result is None:
        return None
    value = db_result.args_kwargs.get(REQUEST_ID_KEY)
    return value if isinstance(value, str) else None


@receiver(task_started)
def _enter_task_context(sender: Any, task_result: Any, **kwargs: Any) -> None:
    stored = stored_request_id(task_result)
    if stored:
        requestlog.request_id.set(stored)


@receiver(task_finished)
def _leave_task_context(sender: Any, task_result: Any, **kwargs: Any) -> None:
    # The worker runs one task after another in one thread: the next one must not inherit this id.
    if getattr(task_result, "db_result", None) is not None:
        requestlog.request_id.set(None)
