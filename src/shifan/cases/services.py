"""Every change to typical cases: by a province officer, in one transaction, with its audit event.

`create_case` writes a draft from a recognised unit (never a revoked one); `update_case` changes
its text; `add_picture` / `remove_picture` its pictures; `publish_case` puts it in the public
library after the officer confirmed, and `withdraw_case` takes it out again with a reason.
"""

from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from shifan.accounts.models import User
from shifan.cases import pictures
from shifan.cases.models import CasePicture, CaseState, TypicalCase
from shifan.cases.modes import mode_choices
from shifan.core.filetypes import UploadRefused
from shifan.core.services import record_event
from shifan.publicity.models import DemonstrationUnit, UnitStatus

TITLE_MAX = 100
SUMMARY_MAX = 300
BODY_MAX = 20_000
CAPTION_MAX = 100
EDITED_FIELDS = ("title", "summary", "mode", "body")


class CaseError(Exception):
    """Raised when a case action is not allowed; `message` says why, `field` where."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class FieldErrors(CaseError):
    """Raised when a case's entries are bad or missing; `errors` maps field names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(f"有 {len(errors)} 处需要修改。")
        self.errors = errors


def _require_province(actor: User) -> None:
    if not actor.is_province_officer:
        raise CaseError("只有省工信厅可以编辑和发布典型案例。")


def _require_active(unit: DemonstrationUnit) -> None:
    if unit.status != UnitStatus.ACTIVE:
        raise CaseError(f"{unit.unit_name}的示范资格已撤销，不能再发布典型案例。", field="unit")


def _locked(case: TypicalCase) -> TypicalCase:
    return TypicalCase.objects.select_for_update().select_related("unit").get(pk=case.pk)


def _checked(
    *, unit: DemonstrationUnit, title: str, summary: str, mode: str, body: str
) -> tuple[dict[str, str], str]:
    """Return the cleaned entries and the mode's label; raise FieldErrors for every bad one."""
    values = {"title": title.strip(), "summary": summary.strip(), "mode": mode.strip(), "body": body.strip()}
    # Keep the paragraphs as typed, but not runs of blank lines or trailing spaces.
    values["body"] = "\n".join(line.rstrip() for line in values["body"].splitlines() if line.strip())
    errors = {}
    if not values["title"]:
        errors["title"] = "请填写案例标题。"
    elif len(values["title"]) > TITLE_MAX:
        errors["title"] = f"案例标题不超过 {TITLE_MAX} 字。"
    if not values["summary"]:
        errors["summary"] = "请填写摘要。"
    elif len(values["summary"]) > SUMMARY_MAX:
        errors["summary"] = f"摘要不超过 {SUMMARY_MAX} 字。"
    labels = dict(mode_choices(unit.announcement.batch))
    if not values["mode"]:
        errors["mode"] = "请选择服务型制造模式。"
    elif values["mode"] not in labels:
        errors["mode"] = "请从工作方案的九种模式中选择。"
    if not values["body"]:
        errors["body"] = "请填写案例正文。"
    elif len(values["body"]) > BODY_MAX:
        errors["body"] = f"案例正文不超过 {BODY_MAX} 字。"
    if errors:
        raise FieldErrors(errors)
    return values, labels[values["mode"]]


@transaction.atomic
def create_case(
    *, actor: User, unit: DemonstrationUnit, title: str, summary: str, mode: str, body: str
) -> TypicalCase:
    """Write a draft case from a recognised unit; the city and unit come from the unit."""
    _require_province(actor)
    unit = DemonstrationUnit.objects.select_related("announcement__batch").get(pk=unit.pk)
    _require_active(unit)
    values, mode_name = _checked(unit=unit, title=title, summary=summary, mode=mode, body=body)
    case = TypicalCase(
        unit=unit,
        mode_name=mode_name,
        city_code=unit.city_code,
        city_name=unit.city_name,
        created_by=actor,
        **values,
    )
    case.full_clean()
    case.save()
    record_event(
        actor=actor,
        action="cases.created",
        target=case,
        organisation_id=unit.organisation_id,
        city_code=unit.city_code,
        after={**values, "unit": unit.unit_name},
    )
    return case


@transaction.atomic
def update_case(
    *, actor: User, case: TypicalCase, title: str, summary: str, mode: str, body: str
) -> TypicalCase:
    """Change a draft's or a published case's text; the audit event keeps what changed."""
    _require_province(actor)
    case = _locked(case)
    if case.state == CaseState.WITHDRAWN:
        raise CaseError("案例已撤下，不能修改；重新发布后可修改。")
    unit = DemonstrationUnit.objects.select_related("announcement__batch").get(pk=case.unit_id)
    values, mode_name = _checked(unit=unit, title=title, summary=summary, mode=mode, body=body)
    changed = [name for name in EDITED_FIELDS if getattr(case, name) != values[name]]
    if not changed:
        return case
    before = {name: getattr(case, name) for name in changed}
    for name in changed:
        setattr(case, name, values[name])
    case.mode_name = mode_name
    case.save(update_fields=[*changed, "mode_name", "updated_at"])
    record_event(
        actor=actor,
        action="cases.edited",
        target=case,
        organisation_id=unit.organisation_id,
        city_code=case.city_code,
        before=before,
        after={name: values[name] for name in changed},
    )
    return case


@transaction.atomic
def add_picture(*, actor: User, case: TypicalCase, uploaded: UploadedFile, caption: str) -> CasePicture:
    """Store a JPEG or PNG picture with its caption after checking its content, size and pixels."""
    _require_province(actor)
    case = _locked(case)
    if case.state == CaseState.WITHDRAWN:
        raise CaseError("案例已撤下，不能添加图片。")
    errors = {}
    caption = caption.strip()
    if not caption:
        errors["caption"] = "请填写图片说明。"
    elif len(caption) > CAPTION_MAX:
        errors["caption"] = f"图片说明不超过 {CAPTION_MAX} 字。"
    if case.pictures.count() >= pictures.MAX_PICTURES:
        errors["picture"] = f"每个案例最多 {pictures.MAX_PICTURES} 张图片，请先删除不用的图片。"
    if errors:
        raise FieldErrors(errors)
    try:
        stored, seen = pictures.read_picture(uploaded)
    except UploadRefused as refusal:
        raise CaseError(refusal.message, field="picture") from refusal
    position = (case.pictures.aggregate(top=Max("position"))["top"] or 0) + 1
    picture = CasePicture(
        case=case,
        caption=caption,
        original_name=stored.name,
        content_type=seen.content_type,
        size=len(stored.data),
        sha256=stored.sha256,
        width=seen.width,
        height=seen.height,
        position=position,
        uploaded_by=actor,
    )
    picture.file.save(f"{stored.sha256}{seen.extension}", ContentFile(stored.data), save=False)
    small = pictures.thumbnail(stored.data, seen.content_type)
    if small is not None:
        picture.thumbnail.save(f"{stored.sha256}-thumb{seen.extension}", ContentFile(small), save=False)
    picture.save()
    record_event(
        actor=actor,
        action="cases.picture_added",
        target=case,
        organisation_id=case.unit.organisation_id,
        city_code=case.city_code,
        after={"caption": caption, "name": stored.name, "sha256": stored.sha256, "size": len(stored.data)},
    )
    return picture


@transaction.atomic
def remove_picture(*, actor: User, picture: CasePicture) -> None:
    """Remove a picture from its case; the file goes with it once the transaction commits."""
    _require_province(actor)
    case = _locked(picture.case)
    if case.state == CaseState.WITHDRAWN:
        raise CaseError("案例已撤下，不能删除图片。")
    files = [picture.file.name, picture.thumbnail.name]
    storage = picture.file.storage
    record_event(
        actor=actor,
        action="cases.picture_removed",
        target=case,
        organisation_id=case.unit.organisation_id,
        city_code=case.city_code,
        before={"caption": picture.caption, "name": picture.original_name, "sha256": picture.sha256},
    )
    picture.delete()

    def delete_files() -> None:
        for name in files:
            if name:
                storage.delete(name)

    transaction.on_commit(delete_files)


def publish_refusal(case: TypicalCase) -> str:
    """Return why the case cannot be published now, or ""."""
    if case.state == CaseState.PUBLISHED:
        return "案例已发布。"
    if case.unit.status != UnitStatus.ACTIVE:
        return f"{case.unit.unit_name}的示范资格已撤销，案例不能发布。"
    return ""


@transaction.atomic
def publish_case(*, actor: User, case: TypicalCase) -> TypicalCase:
    """Put a draft (or a withdrawn case) in the public library."""
    _require_province(actor)
    case = _locked(case)
    refusal = publish_refusal(case)
    if refusal:
        raise CaseError(refusal)
    before: dict[str, Any] = {"state": case.state}
    case.state = CaseState.PUBLISHED
    case.published_at = timezone.now()
    case.withdrawn_at = None
    case.withdrawn_reason = ""
    case.save(update_fields=["state", "published_at", "withdrawn_at", "withdrawn_reason", "updated_at"])
    record_event(
        actor=actor,
        action="cases.published",
        target=case,
        organisation_id=case.unit.organisation_id,
        city_code=case.city_code,
        before=before,
        after={"state": case.state},
    )
    return case


@transaction.atomic
def withdraw_case(*, actor: User, case: TypicalCase, reason: str) -> TypicalCase:
    """Take a published case out of the public library, with the reason."""
    _require_province(actor)
    case = _locked(case)
    if case.state != CaseState.PUBLISHED:
        raise CaseError("只有已发布的案例可以撤下。")
    reason = reason.strip()
    if not reason:
        raise FieldErrors({"reason": "请填写撤下原因。"})
    case.state = CaseState.WITHDRAWN
    case.withdrawn_at = timezone.now()
    case.withdrawn_reason = reason
    case.save(update_fields=["state", "withdrawn_at", "withdrawn_reason", "updated_at"])
    record_event(
        actor=actor,
        action="cases.withdrawn",
        target=case,
        organisation_id=case.unit.organisation_id,
        city_code=case.city_code,
        reason=reason,
        before={"state": CaseState.PUBLISHED},
        after={"state": case.state},
    )
    return case
