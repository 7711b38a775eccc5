from typing import Any

from django.conf import settings
from django.http import HttpRequest


def shifan(request: HttpRequest) -> dict[str, Any]:
    return {"SHIFAN_NAME": settings.SHIFAN_NAME, "SHIFAN_DEMO": settings.SHIFAN_DEMO}
