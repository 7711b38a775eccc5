from typing import Any

from django.conf import settings
from django.http import HttpRequest


def shifan(request: HttpRequest) -> dict[str, Any]:
    from shifan.accounts.middleware import two_factor_pending
    from shifan.core.notices import unread_count

    return {
        "SHIFAN_NAME": settings.SHIFAN_NAME,
        "SHIFAN_DEMO": settings.SHIFAN_DEMO,
        "LOGIN_COOLOFF_MINUTES": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        "two_factor_pending": two_factor_pending(request.user),
        "unread_notices": unread_count(request.user) if request.user.is_authenticated else 0,
    }
