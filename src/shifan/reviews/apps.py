from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "shifan.reviews"
    label = "reviews"
    verbose_name = _("审核评审")

    def ready(self) -> None:
        from shifan.core.audit import register_action_labels

        register_action_labels(
            {
                "city.returned": "地市退回修改",
                "city.declined": "地市不予推荐",
                "city.recommended": "地市推荐",
                "city.recommendation_withdrawn": "地市撤回推荐",
                "city.ranked": "地市调整推荐排序",
                "city.letter_uploaded": "上传推荐函",
                "city.set_submitted": "地市报送推荐结果",
                "city.set_reopened": "省厅退回地市推荐结果",
                "province.accepted": "省厅受理",
                "province.returned_to_city": "省厅退回地市",
                "province.returned_to_applicant": "省厅退回申报单位",
            }
        )
