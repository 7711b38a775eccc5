"""Deploy checks of Shifan's own settings (run by `manage.py check --deploy`)."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_demo_mode_off(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Refuse the demo setting in production: it lets demo accounts skip two-factor login."""
    if settings.SHIFAN_DEMO:
        return [
            Error(
                "SHIFAN_DEMO is on: demo accounts skip two-factor login.",
                hint="Unset SHIFAN_DEMO outside the demo.",
                id="shifan.E001",
            )
        ]
    return []
