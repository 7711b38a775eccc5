"""Failed background work, for the province's failed-work page: what failed, and retrying it once.

A background task that raised is kept by the database queue (django-tasks-db's `DBTaskResult`,
status FAILED) with its arguments, its traceback and the workers that tried it. Mail is one of
these tasks (`core.mail.deliver_mail`, which keeps the subject, the body and the recipients), so a
failed mail is a failed task of that kind, listed apart and sent again the same way.

Retrying queues the same task with the same arguments, now, and marks the failed one with a
`TaskRetry` in the same transaction as the audit row: a failed task is retried at most once (a
second click, or two officers at once, are told it was retried), and if the retry fails too it is
listed again as a failure of its own.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.module_loading import import_string
from django_tasks.base import Task
from django_tasks_db.models import DBTaskResult

from shifan.core.models import TaskRetry
from shifan.core.services import record_event
from shifan.core.taskqueue import MAIL_TASK, TASK_NAMES, task_name

TASKS = "tasks"
MAIL = "mail"


class RetryRefused(Exception):
    """Raised when a failed task cannot be retried: not failed, retried already, or gone."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def failed_work(*, kind: str = TASKS, query: str = "") -> QuerySet[DBTaskResult]:
    """Return the failed tasks (or mails, `kind=MAIL`), newest first, with their retries."""
    results = (
        DBTaskResult.objects.failed()
        .select_related("shifan_retry", "shifan_retry__retried_by")
        .order_by("-finished_at", "-enqueued_at")
    )
    if kind == MAIL:
        results = results.filter(task_path=MAIL_TASK)
        if query:
            results = results.filter(
                Q(args_kwargs__kwargs__subject__icontains=query)
                | Q(args_kwargs__kwargs__to__icontains=query)
                | Q(traceback__icontains=query)
            )
        return results
    results = results.exclude(task_path=MAIL_TASK)
    if query:
        named = [path for path, name in TASK_NAMES.items() if query in name]
        results = results.filter(
            Q(task_path__in=named) | Q(task_path__icontains=query) | Q(traceback__icontains=query)
        )
    return results


@dataclass(frozen=True)
class FailedRow:
    """One failed task as the page shows it."""

    pk: str
    name: str
    failed_at: datetime | None
    error: str
    attempts: int
    retry: TaskRetry | None
    subject: str
    recipients: str

    @classmethod
    def of(cls, result: DBTaskResult) -> "FailedRow":
        kwargs: dict[str, Any] = result.args_kwargs.get("kwargs") or {}
        return cls(
            pk=str(result.pk),
            name=task_name(result.task_path),
            failed_at=result.finished_at,
            error=last_line(result.traceback) or result.exception_class_path,
            attempts=len(result.worker_ids) or 1,
            retry=getattr(result, "shifan_retry", None),
            subject=str(kwargs.get("subject", "")),
            recipients="、".join(str(address) for address in kwargs.get("to") or []),
        )


def last_line(traceback: str) -> str:
    """Return the traceback's last line: the exception's type and message."""
    lines = [line for line in traceback.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


@transaction.atomic
def retry_failed_task(*, actor: Any, task_result_id: str) -> TaskRetry:
    """Queue a failed task again with the same arguments; refuse one retried already."""
    if not getattr(actor, "is_province_officer", False):
        raise RetryRefused("只有省工信厅可以重试失败的任务。")
    failed = DBTaskResult.objects.select_for_update().filter(pk=task_result_id).failed().first()
    if failed is None:
        raise RetryRefused("没有这项失败的任务。")
    if TaskRetry.objects.filter(failed_task=failed).exists():
        raise RetryRefused("这项任务已经重试过，不再重复重试。")
    try:
        task = import_string(failed.task_path)
    except ImportError:
        task = None
    if not isinstance(task, Task):
        raise RetryRefused("这项任务在当前版本中已不存在，无法重试。")
    # The database queue is in this transaction: the new task, the mark and the audit row commit
    # together, and a worker sees the new task only then.
    queued = task.using(priority=failed.priority, queue_name=failed.queue_name).enqueue(
        *failed.args_kwargs["args"], **failed.args_kwargs["kwargs"]
    )
    retry = TaskRetry.objects.create(failed_task=failed, retry_task_id=str(queued.id), retried_by=actor)
    is_mail = failed.task_path == MAIL_TASK
    subject = (failed.args_kwargs["kwargs"] or {}).get("subject", "") if is_mail else ""
    record_event(
        actor=actor,
        action="core.mail_resent" if is_mail else "core.task_retried",
        target=failed,
        target_label=f"{task_name(failed.task_path)}：{subject}" if subject else task_name(failed.task_path),
        before={"task": failed.task_path, "error": last_line(failed.traceback)},
        after={"retry_task": str(queued.id)},
    )
    return retry
