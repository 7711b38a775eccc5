"""What a person may do with an application, and why not."""

from django.db.models import Subquery
from django.utils import timezone

from shifan.accounts.models import User
from shifan.accounts.selectors import organisation_ids_of
from shifan.applications.models import Application, ApplicationState, SealedScan, Snapshot
from shifan.core.dates import local_moment

Verdict = tuple[bool, str]


def is_member(user: User, application: Application) -> bool:
    return application.organisation_id in organisation_ids_of(user)


def can_edit(user: User, application: Application) -> Verdict:
    if not is_member(user, application):
        return False, "只有本单位的申报人可以修改申报书。"
    if not application.is_editable:
        return False, f"申报书{application.get_state_display()}，不能修改。"
    return True, ""


def can_submit(user: User, application: Application) -> Verdict:
    allowed, reason = can_edit(user, application)
    if not allowed:
        return allowed, reason
    organisation = application.organisation
    if not organisation.is_verified:
        # Anyone can register a real company's public code: nothing reaches an officer before the
        # city has seen the organisation's licence and the letter naming its administrator.
        return False, (
            f"本单位尚未通过核验（{organisation.get_verification_state_display()}），暂不能提交申报书，"
            "可以继续填写并暂存。请单位管理员在“本单位 › 单位核验”页面上传营业执照和授权书扫描件，"
            f"{organisation.city.name}工业和信息化局核验通过后即可提交。"
        )
    batch = application.batch
    if application.state == ApplicationState.RETURNED:
        # Cities return applications after the application deadline too: they come back until theirs.
        if timezone.now() < batch.city_deadline:
            return True, ""
        return (
            False,
            f"退回修改的申报书须在地市推荐截止（{local_moment(batch.city_deadline)}）前重新提交，现已截止。",
        )
    if not batch.is_open():
        # Shown in Beijing time whatever the server's clock zone.
        opens, closes = local_moment(batch.opens_at), local_moment(batch.closes_at)
        return False, f"本批次申报时间为 {opens} 至 {closes}（北京时间），现在不能提交。"
    return True, ""


def can_withdraw(user: User, application: Application) -> Verdict:
    if not is_member(user, application):
        return False, "只有本单位的申报人可以撤回申报书。"
    if application.state != ApplicationState.SUBMITTED:
        return False, "只有已提交、地市尚未处理的申报书可以撤回。"
    return True, ""


def can_upload_sealed_scan(
    user: User,
    application: Application,
    *,
    scans: list[SealedScan] | None = None,
    latest: Snapshot | None = None,
) -> Verdict:
    """The sealed page is printed from a submitted book: only members, only while nothing is being changed.

    A page that has read the scans and the latest snapshot passes both (`latest` None: not read)."""
    if not is_member(user, application):
        return False, "只有本单位的申报人可以上传盖章页扫描件。"
    if application.state == ApplicationState.RETURNED:
        return False, "申报书已退回修改，请修改并重新提交后，再按新提交的申报书上传盖章页扫描件。"
    if application.state == ApplicationState.WITHDRAWN:
        return False, "申报书已撤回，请重新提交后，再按新提交的申报书上传盖章页扫描件。"
    if application.is_editable or not application.number:
        return False, "请先提交申报书，再上传盖章页扫描件。"
    if application.state != ApplicationState.SUBMITTED and _has_scan_of_latest_snapshot(
        application, scans, latest
    ):
        # Officers have decided on what they saw: the scan they saw stays. A missing one may still come.
        return False, "地市工信局已处理本申报书，盖章页扫描件不能再更换；如确需更换，请联系地市工信局。"
    return True, ""


def _has_scan_of_latest_snapshot(
    application: Application, scans: list[SealedScan] | None, latest: Snapshot | None
) -> bool:
    if scans is not None and latest is not None:
        return any(scan.snapshot_id == latest.pk for scan in scans)
    newest = application.snapshots.order_by("-sequence").values("pk")[:1]
    return application.sealed_scans.filter(snapshot=Subquery(newest)).exists()
