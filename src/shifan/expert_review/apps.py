from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _remove_conflicted(sender: Any, *, actor: Any, profile: Any, **kwargs: Any) -> None:
    from shifan.expert_review.services import remove_conflicted_assignments

    remove_conflicted_assignments(actor=actor, profile=profile)


class ExpertReviewConfig(AppConfig):
    name = "shifan.expert_review"
    label = "expert_review"
    verbose_name = _("专家评审")

    def ready(self) -> None:
        from shifan.accounts.signals import expert_conflicts_changed
        from shifan.core.audit import register_action_labels

        expert_conflicts_changed.connect(_remove_conflicted, dispatch_uid="expert_review.remove_conflicted")
        register_action_labels(
            {
                "expert_review.assignment_proposed": "计算专家分配方案",
                "expert_review.expert_replaced": "调整评审专家",
                "expert_review.assignment_published": "发布专家评审任务",
                "expert_review.review_started": "进入专家评审",
                "expert_review.no_conflict_confirmed": "专家确认无利益冲突",
                "expert_review.assignment_removed_for_conflict": "专家回避，撤销评审任务",
                "expert_review.scores_submitted": "专家提交评分",
                "expert_review.scores_reopened": "退回专家评分",
                "expert_review.hearing_recorded": "记录答辩或现场考察",
                "expert_review.list_marked": "标记拟认定名单",
                "expert_review.list_fixed": "确定拟认定名单",
                "expert_review.list_reopened": "重新开放拟认定名单",
                "expert_review.proposed": "列入拟认定名单",
                "expert_review.not_selected": "未列入拟认定名单",
            }
        )
