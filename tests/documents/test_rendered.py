"""Submitted books are made once per layout and then served from storage; drafts never are."""

import io
import zipfile
from pathlib import Path

import pypdf
import pytest
from django.urls import reverse

from shifan.documents import rendered
from shifan.documents.exports import build_export_zip
from shifan.documents.models import RenderedBook
from tests import factories
from tests.documents import test_book
from tests.helpers import login_verified

pytestmark = pytest.mark.django_db

# The fixtures `application` (fully filled, with an attachment) and `snapshot` are in conftest.


def _stored_files(settings) -> list[Path]:
    return sorted(path for path in Path(settings.MEDIA_ROOT).glob("books/**/*") if path.is_file())


_content = test_book.body


def _status(response) -> int:
    _content(response)
    return response.status_code


@pytest.mark.parametrize("extension", ["pdf", "docx"])
def test_second_download_streams_the_stored_book(client, settings, snapshot, applicant_admin, extension):
    login_verified(client, applicant_admin)
    url = reverse(f"documents:book_{extension}", args=[snapshot.application_id, snapshot.sequence])
    before = rendered.renders[extension]

    first = client.get(url)
    assert first.status_code == 200
    content = _content(first)
    assert rendered.renders[extension] == before + 1
    (stored,) = _stored_files(settings)
    assert stored.name == f"{snapshot.digest}-{snapshot.pk}.{extension}"
    assert stored.parent.parent.name == rendered.layout_version()
    assert stored.read_bytes() == content
    mtime = stored.stat().st_mtime_ns

    second = client.get(url)
    assert second.status_code == 200
    assert _content(second) == content
    assert second["Content-Disposition"] == first["Content-Disposition"]
    assert second["Content-Type"] == first["Content-Type"]
    assert rendered.renders[extension] == before + 1
    assert _stored_files(settings) == [stored]
    assert stored.stat().st_mtime_ns == mtime


def test_a_new_layout_version_makes_the_book_anew(client, settings, monkeypatch, snapshot, applicant_admin):
    login_verified(client, applicant_admin)
    url = reverse("documents:book_docx", args=[snapshot.application_id, snapshot.sequence])
    _content(client.get(url))
    old_version = rendered.layout_version()
    before = rendered.renders["docx"]

    monkeypatch.setattr(rendered, "LAYOUT_REVISION", rendered.LAYOUT_REVISION + 1)
    assert rendered.layout_version() != old_version
    assert _status(client.get(url)) == 200
    assert rendered.renders["docx"] == before + 1

    # The site's address is printed in the footer and the QR code: a new one is a new layout.
    settings.SITE_URL = "https://shifan.example.org"
    assert _status(client.get(url)) == 200
    assert rendered.renders["docx"] == before + 2
    assert RenderedBook.objects.filter(snapshot=snapshot).count() == 3
    assert len({path.parent.parent.name for path in _stored_files(settings)}) == 3

    # The next clean-up keeps only the books of the layout in use, files and rows.
    from shifan.documents.exports import delete_expired_exports

    assert delete_expired_exports() == 2
    assert list(RenderedBook.objects.values_list("layout", flat=True)) == [rendered.layout_version()]
    assert len(_stored_files(settings)) == 1


def test_layout_version_hashes_the_layout_files():
    for name in rendered.LAYOUT_FILES:
        assert (rendered.HERE / name).is_file(), name
    assert rendered.layout_version().startswith(f"{rendered.LAYOUT_REVISION}-")


def test_a_draft_is_never_stored(client, settings, application, applicant_admin):
    login_verified(client, applicant_admin)
    before = dict(rendered.renders)
    for extension in ("pdf", "docx"):
        for _ in range(2):
            response = client.get(reverse(f"documents:draft_{extension}", args=[application.pk]))
            assert response.status_code == 200
    assert not RenderedBook.objects.exists()
    assert _stored_files(settings) == []
    assert dict(rendered.renders) == before


def test_a_forbidden_user_gets_nothing_and_stores_nothing(client, settings, snapshot):
    url = reverse("documents:book_pdf", args=[snapshot.application_id, snapshot.sequence])
    before = dict(rendered.renders)
    login_verified(client, factories.CityOfficerFactory(city_code="445300"))
    assert _status(client.get(url)) == 404
    client.logout()
    login_verified(client, factories.MembershipFactory().user)
    assert _status(client.get(url)) == 404
    assert _status(client.get(reverse("documents:book_docx", args=[snapshot.application_id, 1]))) == 404
    client.logout()
    assert _status(client.get(url)) in (302, 403)
    assert not RenderedBook.objects.exists()
    assert _stored_files(settings) == []
    assert dict(rendered.renders) == before


def test_the_export_copies_stored_books_and_stores_the_ones_it_makes(
    client, settings, snapshot, applicant_admin, province_officer
):
    other = factories.submitted(factories.ApplicationFactory(batch=snapshot.application.batch))
    login_verified(client, applicant_admin)
    downloaded = _content(
        client.get(reverse("documents:book_pdf", args=[snapshot.application_id, snapshot.sequence]))
    )
    before = rendered.renders["pdf"]

    def export() -> dict[str, bytes]:
        out = io.BytesIO()
        names = build_export_zip([snapshot, other], out, processes=1)
        with zipfile.ZipFile(out) as archive:
            pdfs = [name for name in names if name.endswith(".pdf")]
            # Compressed inside already: the books are copied into the ZIP as they are.
            assert {archive.getinfo(name).compress_type for name in pdfs} == {zipfile.ZIP_STORED}
            return {name: archive.read(name) for name in pdfs}

    first = export()
    # The downloaded book is copied; only the other one is made, and it is stored.
    assert rendered.renders["pdf"] == before + 1
    assert downloaded in first.values()
    assert RenderedBook.objects.filter(extension="pdf").count() == 2
    assert all(pypdf.PdfReader(io.BytesIO(pdf)).pages for pdf in first.values())

    second = export()
    assert rendered.renders["pdf"] == before + 1
    assert second == first
