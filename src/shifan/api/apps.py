from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "shifan.api"
    label = "api"
    verbose_name = _("开放接口")

    def ready(self) -> None:
        from shifan.core.audit import register_action_labels

        register_action_labels(
            {"api.client_created": "创建接口客户端", "api.client_revoked": "吊销接口客户端"}
        )
