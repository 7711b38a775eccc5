"""The automated accessibility audit: axe-core on every page of the permission matrix.

For each role (AUDITED_ROLES), in Chinese and in English, every page the matrix lets that role GET
(status 200, an HTML document: files and htmx fragments are not pages) is opened in one logged-in
browser context,
axe-core (the npm package, from node_modules; nothing from a CDN) is injected and run with the
WCAG 2.0/2.1 A and AA rules, and no violation may be serious or critical. Every violation found,
minor and moderate ones too, is written to test-output/accessibility/<role>-<language>.json, from
which docs/accessibility.md lists those that remain.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

from tests.browser.conftest import sign_in
from tests.test_permissions import MATRIX, ROLES, build_world

pytestmark = pytest.mark.browser

AXE = Path(settings.NODE_MODULES) / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
REPORTS = Path("test-output") / "accessibility"
LANGUAGES = ["zh-hans", "en"]

RUN_AXE = """async (tags) => {
  const options = {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]};
  const results = await axe.run(document, options);
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.map((node) => node.target.join(" ")),
    summary: v.nodes[0].failureSummary,
  }));
}"""


# The "other_*" roles (another applicant, city or expert) are shown the same pages as their
# counterparts, with other data; the public pages are the same for everyone (served as rendered),
# so they are audited once, as the public sees them. This keeps the audit to a few minutes a run.
AUDITED_ROLES = [role for role in ROLES if not role.startswith("other_")]


# Pages left out of the audit, each with the reason.
NOT_AUDITED = {
    "api:docs": (
        "Swagger UI's page (drf-spectacular-sidecar), for developers of other systems: the markup is "
        "Swagger UI's, drawn by its script after the page loads (buttons nested in buttons, its own "
        "colours), not ours to change; docs/api.md and the schema describe the same API"
    ),
}


def pages_for(world: dict[str, Any], role: str) -> list[str]:
    """The URLs of the matrix's GET rows that answer this role with 200, each once; a public page
    only for the public."""
    urls = []
    for name, method, kwargs, expected in MATRIX:
        public = expected["anonymous"] == 200 and role != "anonymous"
        if name in NOT_AUDITED:
            continue
        if method == "get" and expected[role] == 200 and not public:
            url = reverse(name, kwargs=kwargs(world) if kwargs else None)
            if url not in urls:
                urls.append(url)
    return urls


def is_document(response: Any) -> bool:
    if response.status != 200 or not response.headers.get("content-type", "").startswith("text/html"):
        return False
    return response.text().lstrip()[:15].lower() == "<!doctype html>"


def audit(page: Any, url: str) -> list[dict[str, Any]]:
    answer = page.goto(url)
    assert answer is not None, url
    assert answer.status == 200, url
    return page.evaluate(RUN_AXE, TAGS)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", AUDITED_ROLES)
def test_pages_pass_the_accessibility_audit(
    live_server: Any, new_page: Any, role: str, language: str
) -> None:
    assert AXE.is_file(), f"{AXE} is missing: run `make install` (npm ci)"
    world = build_world()
    page = new_page()
    base = live_server.url
    sign_in(page.context, base, world["users"][role], language)
    # As an init script: the Content Security Policy (script-src 'self') refuses the inline script
    # of page.add_script_tag, and the audit must not switch the policy off (bypass_csp) either.
    page.context.add_init_script(path=str(AXE))

    audited = []
    found = []
    for path in pages_for(world, role):
        url = base + path
        # Files (PDF, Word, Excel, pictures) and htmx fragments are not pages to audit.
        if not is_document(page.request.get(url, max_redirects=0)):
            continue
        audited.append(path)
        for violation in audit(page, url):
            found.append({"url": path, **violation})

    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"{role}-{language}.json").write_text(
        json.dumps({"pages": audited, "violations": found}, ensure_ascii=False, indent=1)
    )
    assert audited, "no page audited"
    if language == "en":
        assert page.locator("html").get_attribute("lang") == "en"
    blocking = [
        f"{v['url']} {v['impact']} {v['id']} ({v['help']}): {', '.join(v['targets'][:5])}"
        for v in found
        if v["impact"] in BLOCKING
    ]
    assert blocking == [], "serious or critical accessibility violations:\n" + "\n".join(blocking)
