from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "shifan.cases"
    label = "cases"
    verbose_name = _("典型案例")

    def ready(self) -> None:
        from shifan.core.audit import register_action_labels

        register_action_labels(
            {
                "cases.created": "新建典型案例",
                "cases.edited": "修改典型案例",
                "cases.picture_added": "添加案例图片",
                "cases.picture_removed": "删除案例图片",
                "cases.published": "发布典型案例",
                "cases.withdrawn": "撤下典型案例",
            }
        )
