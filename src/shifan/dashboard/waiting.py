"""What waits for a person: the home page's 待办, one line per thing to do, with its due date.

Each role's list names only what that role acts on next, counted in the database (a city with a
thousand submissions costs the same few queries as one with none), soonest due first; what has no
due date comes last. A due moment in the past marks the line overdue. The lines are the same
transitions the notifications announce, so whoever is told to act finds the task on the home page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from shifan.accounts import selectors as accounts
from shifan.accounts.models import User
from shifan.applications.models import Application, ApplicationState
from shifan.programs.models import Batch


@dataclass(frozen=True)
class Waiting:
    text: str
    url: str
    due: datetime | None = None

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.due < timezone.now()


def waiting_for(user: User, *, applications: Iterable[Application] | None = None) -> list[Waiting]:
    """Return what waits for `user`, soonest due first.

    An applicant's home has read the organisation's applications already: pass them as
    `applications` so they are not read twice."""
    if user.is_applicant:
        items = _applicant(user, applications)
    elif user.is_city_officer:
        items = _city(user)
    elif user.is_province_officer:
        items = _province(user)
    else:  # an expert's home lists the open tasks themselves, with their deadlines
        items = []
    far = datetime.max.replace(tzinfo=timezone.get_current_timezone())
    return sorted(items, key=lambda item: item.due or far)


def _end_of(day: date) -> datetime:
    """A due date counts whole: the report is overdue from the next day on."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=timezone.get_current_timezone())


def _queue(**filters: str | int) -> str:
    return f"{reverse('reviews:queue')}?{urlencode(filters)}"


def _applicant(user: User, applications: Iterable[Application] | None) -> list[Waiting]:
    from shifan.tracking.models import Report  # tracking comes after dashboard's other sources

    items = []
    organisation_ids = accounts.organisation_ids_of(user)
    if applications is None:
        applications = Application.objects.filter(organisation_id__in=organisation_ids).select_related(
            "batch"
        )
    now = timezone.now()
    for application in applications:
        url = reverse("applications:detail", kwargs={"pk": application.pk})
        batch = application.batch
        if application.state == ApplicationState.RETURNED:
            text = _("申报书 %(number)s 被退回修改，请修改后重新提交") % {"number": application.number}
            items.append(Waiting(text, url, batch.city_deadline))
        elif (
            application.state in (ApplicationState.DRAFT, ApplicationState.WITHDRAWN)
            and batch.closes_at > now
        ):
            text = _("“%(batch)s”的申报书尚未提交") % {"batch": batch.name}
            items.append(Waiting(text, url, batch.closes_at))
    reports = (
        Report.objects.filter(
            unit__organisation_id__in=organisation_ids, submitted_at=None, round__closed_at=None
        )
        .select_related("round")
        .only("pk", "round__title", "round__due_on")
    )
    for report in reports:
        text = _("运行情况报告“%(title)s”待提交") % {"title": report.round.title}
        items.append(
            Waiting(text, reverse("tracking:report", kwargs={"pk": report.pk}), _end_of(report.round.due_on))
        )
    return items


def _city(user: User) -> list[Waiting]:
    from shifan.reviews.models import CitySubmission, Recommendation

    items = []
    submitted = dict(
        Application.objects.filter(city_code=user.city_code, state=ApplicationState.SUBMITTED)
        .values_list("batch_id")
        .annotate(count=Count("pk"))
    )
    recommended = set(
        Recommendation.objects.filter(city_code=user.city_code).values_list("batch_id", flat=True).distinct()
    )
    sent = set(
        CitySubmission.objects.filter(city_code=user.city_code)
        .exclude(submitted_at=None)
        .values_list("batch_id", flat=True)
    )
    batches = Batch.objects.filter(pk__in=set(submitted) | (recommended - sent)).only(
        "pk", "name", "city_deadline"
    )
    for batch in batches:
        count = submitted.get(batch.pk, 0)
        if count:
            text = ngettext(
                "“%(batch)s”有 %(count)d 份申报书待审核推荐",
                "“%(batch)s”有 %(count)d 份申报书待审核推荐",
                count,
            ) % {"batch": batch.name, "count": count}
            items.append(Waiting(text, _queue(batch=batch.pk, state="submitted"), batch.city_deadline))
        if batch.pk in recommended and batch.pk not in sent:
            text = _("“%(batch)s”的推荐结果尚未报送省工信厅") % {"batch": batch.name}
            url = reverse("reviews:city_recommendations", kwargs={"batch_pk": batch.pk})
            items.append(Waiting(text, url, batch.city_deadline))
    items += _verifications(user)
    return items


def _verifications(user: User) -> list[Waiting]:
    count = accounts.organisations_awaiting_verification(user).count()
    if not count:
        return []
    text = ngettext("%(count)d 家单位待核验", "%(count)d 家单位待核验", count) % {"count": count}
    return [Waiting(text, reverse("accounts:verification_list"))]


def _province(user: User) -> list[Waiting]:
    from shifan.accounts.models import OrganisationChange
    from shifan.reviews.models import CitySubmission
    from shifan.tracking.models import Report

    items = []
    sent = CitySubmission.objects.exclude(submitted_at=None).values_list("batch_id", "city_code")
    waiting = Q(pk__in=[])
    for batch_id, city_code in sent:
        waiting |= Q(batch_id=batch_id, city_code=city_code)
    by_batch = dict(
        Application.objects.filter(waiting, state=ApplicationState.RECOMMENDED)
        .values_list("batch_id")
        .annotate(count=Count("pk"))
    )
    for batch in Batch.objects.filter(pk__in=by_batch).only("pk", "name"):
        count = by_batch[batch.pk]
        text = ngettext(
            "“%(batch)s”有 %(count)d 份地市推荐的申报书待形式审查",
            "“%(batch)s”有 %(count)d 份地市推荐的申报书待形式审查",
            count,
        ) % {"batch": batch.name, "count": count}
        items.append(Waiting(text, _queue(batch=batch.pk, state="recommended")))
    changes = OrganisationChange.objects.filter(state="pending").count()
    if changes:
        text = ngettext("%(count)d 项单位信息变更待审批", "%(count)d 项单位信息变更待审批", changes) % {
            "count": changes
        }
        items.append(Waiting(text, reverse("accounts:organisation_change_list")))
    to_evaluate = Report.objects.exclude(submitted_at=None).filter(evaluation="").count()
    if to_evaluate:
        text = ngettext("%(count)d 份运行情况报告待评价", "%(count)d 份运行情况报告待评价", to_evaluate) % {
            "count": to_evaluate
        }
        items.append(Waiting(text, reverse("tracking:rounds")))
    return items
