from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EligibilityConfig(AppConfig):
    name = "shifan.eligibility"
    label = "eligibility"
    verbose_name = _("资格预审")

    def ready(self) -> None:
        from shifan.core.audit import register_action_labels

        register_action_labels(
            {
                "eligibility.checked": "资格预审",
                "eligibility.rerun": "重新运行资格预审",
                "eligibility.credit_checked": "登记信用核查结果",
            }
        )
