from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "shifan.accounts"
    label = "accounts"
    verbose_name = _("单位与账号")

    def ready(self) -> None:
        from shifan.accounts import signals  # noqa: F401  (records logins in the audit trail)
