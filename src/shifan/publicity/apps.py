from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicityConfig(AppConfig):
    name = "shifan.publicity"
    label = "publicity"
    verbose_name = _("公示公布")

    def ready(self) -> None:
        from shifan.core.audit import register_action_labels

        register_action_labels(
            {
                "publicity.notice_published": "发布公示",
                "publicity.notice_cancelled": "撤销未开始的公示",
                "publicity.notice_opened": "公示开始",
                "publicity.notice_closed": "公示期满",
                "publicity.in_notice": "进入公示",
                "publicity.objection_received": "收到异议",
                "publicity.inquiry_sent": "发起异议核查",
                "publicity.inquiry_answered": "答复异议核查",
                "publicity.findings_recorded": "记录核查情况",
                "publicity.objection_upheld": "异议成立",
                "publicity.objection_dismissed": "异议不成立",
                "publicity.removed_from_list": "异议成立，移出拟认定名单",
                "publicity.announcement_published": "发布认定通告",
                "publicity.recognised": "认定为示范单位",
                "publicity.national_recommendation": "推荐参加国家级遴选",
                "publicity.calendar_override_added": "添加节假日调整",
                "publicity.calendar_override_removed": "删除节假日调整",
            }
        )
