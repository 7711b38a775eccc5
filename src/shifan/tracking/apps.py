from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackingConfig(AppConfig):
    name = "shifan.tracking"
    label = "tracking"
    verbose_name = _("动态跟踪")

    def ready(self) -> None:
        from shifan.core.audit import register_action_labels

        register_action_labels(
            {
                "tracking.round_opened": "发起动态跟踪报告",
                "tracking.round_closed": "结束动态跟踪报告",
                "tracking.report_saved": "暂存运行情况报告",
                "tracking.report_submitted": "提交运行情况报告",
                "tracking.attachment_added": "上传报告附件",
                "tracking.attachment_removed": "删除报告附件",
                "tracking.reminder_sent": "发送报告提醒",
                "tracking.report_evaluated": "评价运行情况报告",
                "tracking.unit_revoked": "撤销示范单位称号",
            }
        )
