from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "shifan.core"
    label = "core"
    verbose_name = _("基础")

    def ready(self) -> None:
        from shifan.core import checks, taskqueue  # noqa: F401  (the deploy checks; the queue's signals)
        from shifan.core.audit import register_action_labels

        register_action_labels({"core.task_retried": "重试后台任务", "core.mail_resent": "重新发送邮件"})
