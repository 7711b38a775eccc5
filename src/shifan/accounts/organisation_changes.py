"""Changes of an organisation's name, city or county while its applications are in review.

An application is routed and labelled by the facts it was submitted with (the snapshot), so a
change of the organisation never moves an application already with a city or the province. The
organisation itself may still have to change (a registered move, a change of name at the market
regulator): once an officer has verified the organisation, from an application's submission until
the decision on recognition, and while a demonstration unit of it is active, such a change is a
request that the province approves or rejects, with the reason, audited. Before that the
administrator changes them directly.
"""

from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from shifan.accounts.models import (
    REVIEWED_FACTS,
    ChangeState,
    Membership,
    Organisation,
    OrganisationChange,
    User,
)
from shifan.accounts.selectors import member_users
from shifan.core import reference
from shifan.core.notices import notify
from shifan.core.services import record_event

# applications.models.IN_PROCESS_STATES, spelled out because accounts comes before applications
# in the import order (tests/accounts/test_organisation_changes.py pins the two equal).
IN_PROCESS_STATES = ("submitted", "returned", "recommended", "accepted", "in_review", "proposed", "in_notice")


class ChangeRefused(Exception):
    """Raised when a change request cannot be made or decided as asked; `message` is for the person."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def numbers_in_process(organisation: Organisation) -> list[str]:
    """Return the numbers of the organisation's applications in review or with an active unit."""
    in_review = organisation.applications.filter(state__in=IN_PROCESS_STATES).values_list("number", flat=True)
    recognised = organisation.demonstration_units.filter(status="active").values_list(
        "application__number", flat=True
    )
    return sorted({*in_review, *recognised})


def needs_approval(organisation: Organisation, in_process: list[str] | None = None) -> bool:
    """Return whether a new name, city or county of the organisation waits for the province.

    So it does while an application is in review or a unit is active, and once an officer has
    verified the organisation: the officer checked the licence against this name and place.
    `in_process`: the organisation's `numbers_in_process`, when the caller has read them.
    """
    if in_process is None:
        in_process = numbers_in_process(organisation)
    return organisation.is_verified or bool(in_process)


def reviewed_changes(organisation: Organisation, changes: dict[str, Any]) -> dict[str, str]:
    """Return the reviewed facts (name, city, county) that `changes` would change."""
    return {
        key: str(changes[key]).strip()
        for key in REVIEWED_FACTS
        if key in changes and str(changes[key]).strip() != getattr(organisation, key)
    }


def pending_change(organisation: Organisation) -> OrganisationChange | None:
    return organisation.changes.filter(state=ChangeState.PENDING).first()


@transaction.atomic
def request_change(
    *, actor: User, organisation: Organisation, after: dict[str, str], reason: str
) -> OrganisationChange:
    """Ask the province to change the organisation's name, city or county, with the reason."""
    if not Membership.objects.filter(user=actor, organisation=organisation, is_admin=True).exists():
        raise ChangeRefused("只有单位管理员可以申请变更单位信息。")
    if not reason.strip():
        raise ChangeRefused(
            "本单位已通过核验或有申报书正在审核，变更单位名称、所在城市或区县须写明理由，经省工信厅核准。",
            field="change_reason",
        )
    if not after:
        raise ChangeRefused("没有需要核准的变更。")
    city_code = after.get("city_code", organisation.city_code)
    county_code = after.get("county_code", organisation.county_code)
    if reference.county(county_code).city_code != city_code:
        raise ChangeRefused("所选区县不属于所选城市。", field="county_code")
    before = {key: getattr(organisation, key) for key in after}
    try:
        with transaction.atomic():
            change = OrganisationChange.objects.create(
                organisation=organisation,
                before=before,
                after=after,
                reason=reason.strip(),
                requested_by=actor,
            )
    except IntegrityError as error:
        raise ChangeRefused("本单位已有一份待省工信厅审核的变更申请，审核后才能再次申请。") from error
    record_event(
        actor=actor,
        action="organisation.change_requested",
        target=organisation,
        organisation_id=organisation.pk,
        city_code=organisation.city_code,
        reason=change.reason,
        before=before,
        after=after,
    )
    notify(
        recipients=User.objects.filter(role="province_officer", is_active=True),
        title=f"单位信息变更待审核：{organisation.name}",
        body=f"{organisation.name}申请变更单位信息。\n理由：{change.reason}",
        url=reverse("accounts:organisation_change", kwargs={"pk": change.pk}),
    )
    return change


@transaction.atomic
def decide_change(*, actor: User, change: OrganisationChange, approve: bool, note: str) -> OrganisationChange:
    """Approve (the organisation changes; applications in review keep their submitted facts) or reject."""
    if not actor.is_province_officer:
        raise ChangeRefused("只有省工信厅可以审核单位信息变更。")
    change = OrganisationChange.objects.select_for_update().select_related("organisation").get(pk=change.pk)
    if change.state != ChangeState.PENDING:
        raise ChangeRefused(f"该申请已{change.get_state_display()}，不能再次审核。")
    if not approve and not note.strip():
        raise ChangeRefused("请写明不予核准的理由。", field="note")
    organisation = Organisation.objects.select_for_update().get(pk=change.organisation_id)
    stale = [key for key, value in change.before.items() if getattr(organisation, key) != value]
    if approve and stale:
        raise ChangeRefused("单位信息在申请后已有变化，请驳回本申请，由单位重新申请。")
    change.state = ChangeState.APPROVED if approve else ChangeState.REJECTED
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.decision_note = note.strip()
    change.save(update_fields=["state", "decided_by", "decided_at", "decision_note", "updated_at"])
    old_city = organisation.city_code
    if approve:
        for key, value in change.after.items():
            setattr(organisation, key, value)
        organisation.full_clean()
        organisation.save(update_fields=[*change.after, "updated_at"])
    record_event(
        actor=actor,
        action="organisation.change_approved" if approve else "organisation.change_rejected",
        target=organisation,
        organisation_id=organisation.pk,
        city_code=old_city,
        reason=change.decision_note,
        before=change.before,
        after=change.after if approve else {},
    )
    verdict = "已核准" if approve else "未核准"
    body = (
        "变更已生效。已提交的申报书仍按提交时的单位信息办理。" if approve else f"理由：{change.decision_note}"
    )
    notify(
        recipients=member_users(organisation.pk),
        title=f"单位信息变更{verdict}",
        body=body,
        url=reverse("accounts:own_organisation"),
    )
    if approve and "city_code" in change.after:
        # Both cities' officers: one loses the organisation from its list, the other gains it.
        notify(
            recipients=User.objects.filter(
                role="city_officer", city_code__in={old_city, organisation.city_code}, is_active=True
            ),
            title=f"单位所在城市变更：{organisation.name}",
            body=(
                f"经省工信厅核准，{organisation.name}由{reference.city(old_city).name}迁至"
                f"{organisation.city.name}。已提交的申报书仍由原所在地市审核推荐。"
            ),
        )
    return change
