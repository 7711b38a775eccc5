from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "shifan.documents"
    label = "documents"
    verbose_name = _("文书生成")

    def ready(self) -> None:
        from shifan.core.audit import register_action_labels
        from shifan.documents import signals  # noqa: F401  (connects the receivers)

        register_action_labels({"documents.export_requested": "批量导出申报书"})
