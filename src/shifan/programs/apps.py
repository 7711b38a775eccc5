from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "shifan.programs"
    label = "programs"
    verbose_name = _("征集批次")

    def ready(self) -> None:
        from shifan.core.audit import register_action_labels

        register_action_labels(
            {
                "batch.opened": "发布征集批次",
                "batch.updated": "修改征集批次",
                "batch.rules_corrected": "调整资格条件参数",
            }
        )
