"""The city's recommendation and the province's formal review of submitted applications.

A city acts on its own city's applications until its deadline and until it sends its
recommendation set; after that nothing changes unless a province officer returns the set (or an
application) to the city. Every decision notifies the applicant's members in the app and by mail.
"""

from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from shifan.accounts.models import User
from shifan.accounts.selectors import city_officers, member_users, province_officers
from shifan.applications import services as applications
from shifan.applications.models import Application, ApplicationState
from shifan.applications.selectors import latest_snapshot, latest_snapshots
from shifan.core.dates import local_moment
from shifan.core.filetypes import UploadRefused, read_checked
from shifan.core.notices import notify
from shifan.core.services import record_event
from shifan.programs.models import Batch
from shifan.reviews.models import (
    CityAction,
    CityDecision,
    CitySubmission,
    FormalDecision,
    FormalReview,
    Recommendation,
)

LETTER_MAX_MB = 20


class ReviewError(Exception):
    """Raised when a review action is not allowed now; `message` says why, for the officer."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def city_submission(batch: Batch, city_code: str) -> CitySubmission:
    submission, _created = CitySubmission.objects.get_or_create(batch=batch, city_code=city_code)
    return submission


def city_can_act(batch: Batch, city_code: str, now: Any = None) -> tuple[bool, str]:
    """Return whether the city may still change its decisions for the batch, and why not."""
    submission = CitySubmission.objects.filter(batch=batch, city_code=city_code).first()
    if submission is not None and submission.submitted_at is not None:
        return False, "本市推荐结果已报送省工信厅，如需修改请联系省工信厅退回。"
    reopened = submission is not None and submission.reopened_at is not None
    if (now or timezone.now()) >= batch.city_deadline and not reopened:
        return False, f"地市推荐已于 {local_moment(batch.city_deadline)} 截止，如需修改请联系省工信厅。"
    return True, ""


def _require_city(actor: User, application: Application) -> None:
    if not actor.is_city_officer or actor.city_code != application.applicant_city_code:
        raise ReviewError("只有申报单位所在地市的工信局可以审核推荐。")
    allowed, reason = city_can_act(application.batch, actor.city_code)
    if not allowed:
        raise ReviewError(reason)


def _notify_applicant(application: Application, title: str, body: str) -> None:
    notify(
        recipients=member_users(application.organisation_id),
        title=title,
        body=body,
        url=reverse("applications:detail", kwargs={"pk": application.pk}),
    )


def _decide(
    *,
    actor: User,
    application: Application,
    to: str,
    action: str,
    city_action: str,
    text: str,
    missing_text: str,
    **decision: Any,
) -> tuple[Application, CityDecision]:
    """The steps every city decision shares: checks, the state change and its recorded decision."""
    application = applications.lock(application)
    _require_city(actor, application)
    if not text.strip():
        raise ReviewError(missing_text, field="text")
    snapshot = latest_snapshot(application)
    if snapshot is None:  # the states a city decides on all come after a submission
        raise ReviewError("申报书尚未提交，不能审核。")
    applications.change_state(actor=actor, application=application, to=to, action=action, reason=text.strip())
    record = CityDecision.objects.create(
        application=application,
        snapshot=snapshot,
        action=city_action,
        text=text.strip(),
        decided_by=actor,
        **decision,
    )
    return application, record


@transaction.atomic
def return_application(
    *, actor: User, application: Application, reason: str, field_comments: dict[str, str] | None = None
) -> CityDecision:
    """Send an application back to the applicant for revision, with a reason and field comments."""
    comments = {key: text.strip() for key, text in (field_comments or {}).items() if text and text.strip()}
    unknown = [key for key in comments if key not in {f.key for f in application.form.fields()}]
    if unknown:
        raise ReviewError(f"未知字段：{'、'.join(unknown)}")
    application, decision = _decide(
        actor=actor,
        application=application,
        to=ApplicationState.RETURNED,
        action="city.returned",
        city_action=CityAction.RETURNED,
        text=reason,
        missing_text="请填写退回理由。",
        field_comments=comments,
    )
    _notify_applicant(
        application,
        f"申报书已被退回修改：{application.number}",
        f"{actor.city_name}工业和信息化局退回了您的{application.category_name}申报书。\n理由：{decision.text}"
        + (f"\n另有 {len(comments)} 条逐项意见，已标在相应填写项旁。" if comments else "")
        + f"\n请修改后在地市推荐截止（{local_moment(application.batch.city_deadline)}）前重新提交。",
    )
    return decision


@transaction.atomic
def decline_application(*, actor: User, application: Application, reason: str) -> CityDecision:
    """Decide not to recommend an application (不予推荐), with the reason."""
    application, decision = _decide(
        actor=actor,
        application=application,
        to=ApplicationState.DECLINED,
        action="city.declined",
        city_action=CityAction.DECLINED,
        text=reason,
        missing_text="请填写不予推荐的理由。",
    )
    _notify_applicant(
        application,
        f"申报书未获地市推荐：{application.number}",
        f"{actor.city_name}工业和信息化局决定不予推荐您的{application.category_name}申报书。\n理由：{decision.text}",
    )
    return decision


@transaction.atomic
def recommend_application(
    *, actor: User, application: Application, opinion: str, truthfulness_confirmed: bool
) -> Recommendation:
    """Recommend an application to the province with the city's opinion; it joins the end of the ranking."""
    if not truthfulness_confirmed:
        raise ReviewError("推荐前须确认已对申报材料的真实性进行复核。", field="truthfulness_confirmed")
    application, decision = _decide(
        actor=actor,
        application=application,
        to=ApplicationState.RECOMMENDED,
        action="city.recommended",
        city_action=CityAction.RECOMMENDED,
        text=opinion,
        missing_text="请填写推荐意见。",
        truthfulness_confirmed=True,
    )
    last = Recommendation.objects.filter(
        batch=application.batch, city_code=actor.city_code, category=application.category
    ).aggregate(last=Max("rank"))["last"]
    recommendation = Recommendation.objects.create(
        application=application,
        batch=application.batch,
        city_code=actor.city_code,
        category=application.category,
        opinion=decision.text,
        rank=(last or 0) + 1,
        recommended_by=actor,
    )
    _notify_applicant(
        application,
        f"申报书已获地市推荐：{application.number}",
        f"{actor.city_name}工业和信息化局已将您的{application.category_name}申报书推荐至省工业和信息化厅。",
    )
    return recommendation


def _close_gap(batch: Batch, city_code: str, category: str) -> None:
    for rank, recommendation in enumerate(
        Recommendation.objects.filter(batch=batch, city_code=city_code, category=category).order_by(
            "rank", "id"
        ),
        start=1,
    ):
        if recommendation.rank != rank:
            recommendation.rank = rank
            recommendation.save(update_fields=["rank"])


@transaction.atomic
def withdraw_recommendation(*, actor: User, application: Application, reason: str) -> CityDecision:
    """Take a recommendation back before the city deadline; the application returns to the queue."""
    application, decision = _decide(
        actor=actor,
        application=application,
        to=ApplicationState.SUBMITTED,
        action="city.recommendation_withdrawn",
        city_action=CityAction.RECOMMENDATION_WITHDRAWN,
        text=reason,
        missing_text="请填写撤回推荐的理由。",
    )
    Recommendation.objects.filter(application=application).delete()
    _close_gap(application.batch, actor.city_code, application.category)
    return decision


@transaction.atomic
def rank_recommendations(
    *, actor: User, batch: Batch, category: str, order: list[int]
) -> list[Recommendation]:
    """Set the ranking of the city's recommended applications of a category (application ids, best first)."""
    if not actor.is_city_officer:
        raise ReviewError("只有地市工信局可以调整推荐排序。")
    allowed, reason = city_can_act(batch, actor.city_code)
    if not allowed:
        raise ReviewError(reason)
    current = {
        r.application_id: r
        for r in Recommendation.objects.select_for_update().filter(
            batch=batch, city_code=actor.city_code, category=category
        )
    }
    if sorted(order) != sorted(current) or len(set(order)) != len(order):
        raise ReviewError("排序须包含本市该类别的全部推荐申报书，且不能重复。")
    before = {str(pk): current[pk].rank for pk in current}
    for rank, pk in enumerate(order, start=1):
        if current[pk].rank != rank:
            current[pk].rank = rank
            current[pk].save(update_fields=["rank"])
    record_event(
        actor=actor,
        action="city.ranked",
        target=batch,
        city_code=actor.city_code,
        before=before,
        after={str(pk): rank for rank, pk in enumerate(order, start=1)},
    )
    return sorted(current.values(), key=lambda r: r.rank)


@transaction.atomic
def upload_letter(*, actor: User, batch: Batch, uploaded: UploadedFile) -> CitySubmission:
    """Store the city's sealed recommendation letter (推荐函), a PDF."""
    if not actor.is_city_officer:
        raise ReviewError("只有地市工信局可以上传推荐函。")
    allowed, reason = city_can_act(batch, actor.city_code)
    if not allowed:
        raise ReviewError(reason)
    try:
        checked = read_checked(uploaded, accept=("pdf",), max_size_mb=LETTER_MAX_MB, unnamed="推荐函.pdf")
    except UploadRefused as refusal:
        raise ReviewError(refusal.message, field="letter") from refusal
    submission = city_submission(batch, actor.city_code)
    submission.letter_snapshots = _covered_snapshots(batch, actor.city_code)
    submission.letter_sha256 = checked.sha256
    submission.letter.save(checked.sha256, ContentFile(checked.data), save=False)
    submission.letter_name = checked.name
    submission.letter_uploaded_at = timezone.now()
    submission.letter_uploaded_by = actor
    submission.save()
    record_event(
        actor=actor,
        action="city.letter_uploaded",
        target=batch,
        city_code=actor.city_code,
        after={
            "name": submission.letter_name,
            "sha256": submission.letter_sha256,
            "covers": submission.letter_snapshots,
        },
    )
    return submission


def _covered_snapshots(batch: Batch, city_code: str) -> list[dict[str, Any]]:
    """Return the city's recommended applications with their latest snapshots: what a letter covers now."""
    recommended = list(
        Recommendation.objects.filter(batch=batch, city_code=city_code)
        .select_related("application")
        .order_by("category", "rank")
    )
    latest = latest_snapshots([item.application_id for item in recommended])
    return [
        {
            "application": item.application_id,
            "number": item.application.number,
            "snapshot": latest[item.application_id].pk,
            "sequence": latest[item.application_id].sequence,
        }
        for item in recommended
        if item.application_id in latest
    ]


@transaction.atomic
def submit_city_set(*, actor: User, batch: Batch) -> CitySubmission:
    """Send the city's recommendations to the province: every submission handled, letter attached."""
    if not actor.is_city_officer:
        raise ReviewError("只有地市工信局可以报送推荐结果。")
    allowed, reason = city_can_act(batch, actor.city_code)
    if not allowed:
        raise ReviewError(reason)
    waiting = Application.objects.filter(
        batch=batch, city_code=actor.city_code, state=ApplicationState.SUBMITTED
    ).count()
    if waiting:
        raise ReviewError(f"还有 {waiting} 份申报书未处理（推荐、退回或不予推荐），处理完毕后才能报送。")
    submission = city_submission(batch, actor.city_code)
    recommended = Recommendation.objects.filter(batch=batch, city_code=actor.city_code).count()
    if recommended and not submission.letter:
        raise ReviewError("请先上传加盖公章的推荐函（PDF）。", field="letter")
    submission.submitted_at = timezone.now()
    submission.submitted_by = actor
    submission.reopened_at = None
    submission.save(update_fields=["submitted_at", "submitted_by", "reopened_at"])
    record_event(
        actor=actor,
        action="city.set_submitted",
        target=batch,
        city_code=actor.city_code,
        after={"recommended": recommended},
    )
    notify(
        recipients=province_officers(),
        title=f"{actor.city_name}已报送推荐结果：{batch.name}",
        body=f"{actor.city_name}工业和信息化局报送了 {recommended} 份推荐申报书，请进行形式审查。",
        url=reverse("reviews:queue") + f"?batch={batch.pk}&state=recommended",
    )
    return submission


def _require_province(actor: User) -> None:
    if not actor.is_province_officer:
        raise ReviewError("只有省工信厅可以进行形式审查。")


def _reopen(submission: CitySubmission) -> None:
    submission.submitted_at = None
    submission.reopened_at = timezone.now()
    submission.save(update_fields=["submitted_at", "reopened_at"])


@transaction.atomic
def reopen_city_set(*, actor: User, batch: Batch, city_code: str, reason: str) -> CitySubmission:
    """Give a city's recommendation set back to it (also after its deadline), with the reason."""
    _require_province(actor)
    if not reason.strip():
        raise ReviewError("请填写退回理由。", field="reason")
    submission = city_submission(batch, city_code)
    _reopen(submission)
    record_event(
        actor=actor, action="city.set_reopened", target=batch, city_code=city_code, reason=reason.strip()
    )
    notify(
        recipients=city_officers(city_code),
        title=f"推荐结果被退回：{batch.name}",
        body=f"省工业和信息化厅退回了本市的推荐结果，可修改后重新报送。\n理由：{reason.strip()}",
        url=reverse("reviews:city_recommendations", kwargs={"batch_pk": batch.pk}),
    )
    return submission


@transaction.atomic
def accept_application(*, actor: User, application: Application) -> FormalReview:
    """Accept a recommended application after formal review (受理)."""
    _require_province(actor)
    application = applications.lock(application)
    submission = CitySubmission.objects.filter(
        batch=application.batch, city_code=application.applicant_city_code
    ).first()
    if submission is None or submission.submitted_at is None:
        raise ReviewError("所在地市尚未报送推荐结果，暂不能受理。")
    applications.change_state(
        actor=actor, application=application, to=ApplicationState.ACCEPTED, action="province.accepted"
    )
    review = FormalReview.objects.create(
        application=application, decision=FormalDecision.ACCEPTED, decided_by=actor
    )
    _notify_applicant(
        application,
        f"申报书已受理：{application.number}",
        "省工业和信息化厅已受理您的申报书，将组织专家评审。",
    )
    return review


def _province_return(
    *, actor: User, application: Application, reason: str, to: str, action: str, decision: str
) -> tuple[Application, FormalReview]:
    """Take a recommended application out of the formal review queue: the shared steps of both returns."""
    _require_province(actor)
    if not reason.strip():
        raise ReviewError("请填写退回理由。", field="reason")
    application = applications.lock(application)
    applications.change_state(
        actor=actor, application=application, to=to, action=action, reason=reason.strip()
    )
    Recommendation.objects.filter(application=application).delete()
    _close_gap(application.batch, application.applicant_city_code, application.category)
    review = FormalReview.objects.create(
        application=application, decision=decision, reason=reason.strip(), decided_by=actor
    )
    return application, review


@transaction.atomic
def return_to_city(*, actor: User, application: Application, reason: str) -> FormalReview:
    """Send a recommended application back to its city (the city's set reopens for it)."""
    application, review = _province_return(
        actor=actor,
        application=application,
        reason=reason,
        to=ApplicationState.SUBMITTED,
        action="province.returned_to_city",
        decision=FormalDecision.RETURNED_TO_CITY,
    )
    city_code = application.applicant_city_code
    _reopen(city_submission(application.batch, city_code))
    notify(
        recipients=city_officers(city_code),
        title=f"省工信厅退回推荐：{application.number}",
        body=f"{application.applicant_name}的申报书被退回地市重新审核。\n理由：{review.reason}",
        url=reverse("applications:detail", kwargs={"pk": application.pk}),
    )
    return review


@transaction.atomic
def return_to_applicant(*, actor: User, application: Application, reason: str) -> FormalReview:
    """Send a recommended application back to the applicant for missing material."""
    application, review = _province_return(
        actor=actor,
        application=application,
        reason=reason,
        to=ApplicationState.RETURNED,
        action="province.returned_to_applicant",
        decision=FormalDecision.RETURNED_TO_APPLICANT,
    )
    _notify_applicant(
        application,
        f"申报书需补充材料：{application.number}",
        f"省工业和信息化厅形式审查后退回您的申报书，请补充材料后重新提交。\n需补充：{review.reason}",
    )
    return review
