from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SimilarityConfig(AppConfig):
    name = "shifan.similarity"
    label = "similarity"
    verbose_name = _("相似内容检测")

    def ready(self) -> None:
        from shifan.core.audit import register_action_labels
        from shifan.similarity import signals  # noqa: F401  (connects the receivers)

        register_action_labels(
            {
                "similarity.decided": "处理相似内容",
                "similarity.reopened": "相似内容变化，重新待处理",
                "similarity.batch_check": "重新检测批次相似内容",
            }
        )
