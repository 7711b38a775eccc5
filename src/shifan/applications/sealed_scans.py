"""Scans of pages printed from a submitted book and sealed on paper (the 真实性承诺 page).

A scan belongs to the snapshot that was current when it was uploaded: the printed page carries
that snapshot's number and digest. When the application is later returned or withdrawn and
submitted again, the scan stays with the older snapshot, and officers see that it no longer
matches the current version until a new one is uploaded.
"""

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from shifan.accounts.models import User
from shifan.applications import rules
from shifan.applications.models import Application, SealedScan, SealedScanKind
from shifan.applications.selectors import latest_snapshot
from shifan.applications.services import ApplicationError, lock
from shifan.core.filetypes import UploadRefused, content_type, read_checked
from shifan.core.services import record_event

SCAN_ACCEPT = ("pdf", "image")
SCAN_MAX_MB = 20


@transaction.atomic
def upload_sealed_scan(
    *,
    actor: User,
    application: Application,
    uploaded: UploadedFile,
    kind: str = SealedScanKind.COMMITMENT,
) -> SealedScan:
    """Store a sealed page's scan for the application's current snapshot, after checking its content."""
    if kind not in SealedScanKind.values:
        raise ApplicationError("未知的扫描件类型。", field="file")
    application = lock(application)
    allowed, reason = rules.can_upload_sealed_scan(actor, application)
    if not allowed:
        raise ApplicationError(reason)
    snapshot = latest_snapshot(application)
    if snapshot is None:  # not editable yet never submitted: a state the transitions do not reach
        raise ApplicationError("请先提交申报书，再上传盖章页扫描件。")
    try:
        checked = read_checked(uploaded, accept=SCAN_ACCEPT, max_size_mb=SCAN_MAX_MB, unnamed="盖章页扫描件")
    except UploadRefused as refusal:
        raise ApplicationError(refusal.message, field="file") from refusal
    scan = SealedScan(
        application=application,
        snapshot=snapshot,
        kind=kind,
        original_name=checked.name,
        sha256=checked.sha256,
        size=len(checked.data),
        content_type=content_type(checked.data[:16], checked.kind),
        uploaded_by=actor,
    )
    scan.file.save(checked.sha256, ContentFile(checked.data), save=False)
    scan.full_clean()
    scan.save()
    record_event(
        actor=actor,
        action="application.sealed_scan_uploaded",
        target=application,
        target_label=application.label,
        organisation_id=application.organisation_id,
        city_code=application.applicant_city_code,
        after={
            "kind": kind,
            "name": scan.original_name,
            "sha256": checked.sha256,
            "size": len(checked.data),
            "snapshot": snapshot.sequence,
            "digest": snapshot.digest,
        },
    )
    return scan
