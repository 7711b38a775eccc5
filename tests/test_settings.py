import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def run_check(**env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SHIFAN_", "DJANGO_"))}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DJANGO_SECRET_KEY": "k" * 20 + "-production-secret-" + "9Xy#" * 10,
    "DJANGO_ALLOWED_HOSTS": "shifan.example.gov.cn",
}


def test_deploy_check_passes_with_production_settings():
    result = run_check(**PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_check_refuses_demo_mode():
    result = run_check(**PRODUCTION, SHIFAN_DEMO="true")
    assert result.returncode != 0
    assert "shifan.E001" in result.stdout + result.stderr


def test_production_refuses_to_start_without_secret_key():
    result = run_check(DJANGO_ALLOWED_HOSTS="x")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_argon2_is_the_password_hasher_in_production():
    from shifan import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_sqlite_uses_wal_and_immediate_transactions():
    if settings.DATABASES["default"]["ENGINE"] != "shifan.core.sqlite":
        return
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]


def test_templates_load_nothing_from_the_internet():
    offenders = []
    for template in (ROOT / "src").rglob("*.html"):
        if re.search(r"""(src|href)=["']https?://""", template.read_text(encoding="utf-8")):
            offenders.append(str(template))
    assert offenders == []


def test_templates_have_no_inline_script_or_style():
    offenders = []
    for template in (ROOT / "src").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        if template.name == "500.html":
            continue  # rendered without the layout when everything else failed
        if template.parent.name == "documents" and template.name.endswith("_pdf.html"):
            continue  # rendered to PDF by WeasyPrint, never served to a browser
        if (
            re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text)
            or re.search(r"\sstyle=\"", text)
            or "<style" in text
        ):
            offenders.append(str(template))
    assert offenders == []


def test_tables_on_pages_scroll_inside_their_box():
    """Every table of a page sits in a `.table-responsive` box: a table wider than its column (long
    English headings, a narrow window, a 20 px minimum font) scrolls inside it, never the page.

    The printed books and announcement (`*_pdf.html` and the value partial they include) are laid
    out by WeasyPrint on paper and are left out.
    """
    offenders = []
    for template in (ROOT / "src").rglob("*.html"):
        if template.parent.name == "documents" and (
            template.name.endswith("_pdf.html")
            or template.name in ("_book_value.html", "_book_section_rows.html")
        ):
            continue
        text = template.read_text(encoding="utf-8")
        for match in re.finditer(r"<table\b", text):
            if "table-responsive" not in text[max(0, match.start() - 200) : match.start()]:
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{template.relative_to(ROOT)}:{line}")
    assert offenders == []


def test_attachments_go_to_an_s3_compatible_store_when_configured():
    code = "from django.conf import settings; print(settings.STORAGES['default']['BACKEND'])"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SHIFAN_", "DJANGO_"))}
    environment.update(
        PRODUCTION,
        SHIFAN_S3_BUCKET="shifan-files",
        SHIFAN_S3_ENDPOINT_URL="http://127.0.0.1:9000",
        PYTHONPATH="src",
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shifan.settings'); "
            f"django.setup(); {code}",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "storages.backends.s3.S3Storage", result.stderr
