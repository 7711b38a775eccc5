"""Only the files the pages use are taken from node_modules (shifan.core.staticfiles)."""

import re
from pathlib import Path

from django.contrib.staticfiles import finders

SRC = Path(__file__).resolve().parents[2] / "src"


def _vendor_references() -> set[str]:
    found = set()
    for template in SRC.rglob("*.html"):
        found.update(re.findall(r"""static ['"](vendor/[^'"]+)['"]""", template.read_text(encoding="utf-8")))
    return found


def test_every_vendor_file_a_page_loads_is_found():
    references = _vendor_references()
    assert "vendor/echarts/echarts.common.min.js" in references
    assert {path for path in references if not finders.find(path)} == set()


def test_the_other_builds_of_a_package_are_left_out():
    assert finders.find("vendor/echarts/echarts.common.min.js")
    assert not finders.find("vendor/echarts/echarts.js")
    assert not finders.find("vendor/bootstrap/css/bootstrap.rtl.css")


def test_collectstatic_gets_what_the_listed_files_refer_to():
    listed = {
        f"{storage.prefix}/{path}"
        for finder in finders.get_finders()
        if type(finder).__name__ == "VendorFinder"
        for path, storage in finder.list(None)
    }
    # The source maps named at the end of the files, and the icon fonts of the icons' CSS.
    assert "vendor/bootstrap/css/bootstrap.min.css.map" in listed
    assert "vendor/bootstrap/js/bootstrap.bundle.min.js.map" in listed
    assert "vendor/bootstrap-icons/fonts/bootstrap-icons.woff2" in listed
    assert len(listed) < 12
