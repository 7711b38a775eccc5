"""The officers', experts' and applicants' bar at desktop widths, in Chinese and English.

From 992 px the menu is expanded: the province's bar holds ten links, and in English its links, the
system's 85-letter name and the user's name are far wider than in Chinese. At every width the page
does not scroll sideways, nothing in the bar is cut short (no ellipsis), and no two of its controls
overlap: the English name takes a line of its own, and links that do not fit wrap onto another
line. Each role's home page is measured whole (tables scroll inside their boxes) and saved as a
screenshot.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import sign_in
from tests.browser.test_large_text import check
from tests.test_permissions import build_world

pytestmark = pytest.mark.browser

WIDTHS = (992, 1200, 1440)
ROLES = ("province", "city", "admin", "expert")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_bars_fit_at_desktop_widths(live_server: Any, new_page: Any, language: str) -> None:
    world = build_world()
    problems: list[str] = []
    for role in ROLES:
        page = new_page(viewport={"width": WIDTHS[0], "height": 900})
        sign_in(page.context, live_server.url, world["users"][role], language)
        answer = page.goto(f"{live_server.url}/")
        assert answer is not None
        assert answer.status == 200
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            check(page, None, f"{role}-{width}", problems)
    assert problems == [], "\n".join(problems)
