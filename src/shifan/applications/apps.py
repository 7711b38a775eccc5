from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "shifan.applications"
    label = "applications"
    verbose_name = _("申报书")

    def ready(self) -> None:
        from shifan.applications.models import ApplicationState
        from shifan.core.audit import register_action_labels, register_field_labels

        register_action_labels(
            {
                "application.started": "开始填写申报书",
                "application.revision_restored": "恢复历史版本",
                "application.attachment_added": "上传佐证材料",
                "application.attachment_removed": "删除佐证材料",
                "application.submitted": "提交申报书",
                "application.withdrawn": "撤回申报书",
                "application.sealed_scan_uploaded": "上传盖章页扫描件",
            }
        )
        register_field_labels(
            {
                "snapshot": _("提交次数"),
                "restored_version": _("恢复的版本"),
                "number": _("申报编号"),
            },
            values={"state": dict(ApplicationState.choices)},
        )
