import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

# The layout caches fragments that only the code decides (the menu of each role) under this key,
# so that a process started on new code never reads what an older one left in a shared cache.
PROCESS_KEY = uuid.uuid4().hex


def shifan(request: HttpRequest) -> dict[str, Any]:
    """What every page's layout reads; the per-person values only when a template reads them.

    Fragments rendered for htmx and the public layout never show the bell, so they must not pay
    for its count; a lazy value is computed at most once per render however often it is read.
    """
    from shifan.accounts.middleware import two_factor_pending
    from shifan.core.notices import unread_count

    user = request.user
    return {
        "SHIFAN_NAME": settings.SHIFAN_NAME,
        "SHIFAN_DEMO": settings.SHIFAN_DEMO,
        "PROCESS_KEY": PROCESS_KEY,
        "LOGIN_COOLOFF_MINUTES": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        "two_factor_pending": SimpleLazyObject(lambda: two_factor_pending(user)),
        "unread_notices": SimpleLazyObject(lambda: unread_count(user)),
    }
