"""Applications (申报书), their revisions, attachments and immutable submitted snapshots.

State diagram (the states users know; later stages come with the review apps):

    draft 暂存 ──submit──▶ submitted 已提交 ──withdraw──▶ withdrawn 已撤回 ──submit──▶ submitted
                               │
                               ├─city returns──▶ returned 退回修改 ──submit──▶ submitted
                               ├─city declines─▶ declined 不予推荐
                               └─city recommends▶ recommended 已推荐 ▶ accepted 已受理 ▶ in review 评审中
                                                  ▶ proposed 拟认定 ▶ in notice 公示中 ▶ recognised 已认定
                                                  (or not selected 未入选)

Answers are edited only in the editable states (draft, returned, withdrawn). Every autosave is
one revision (who, when, the fields changed and their new values); every submission is one
snapshot whose SHA-256 digest covers the answers, the attachment hashes and the spec version. The
scan of the sealed commitment page, printed from a submitted book, is a `SealedScan` tied to the
snapshot that was current when it was uploaded.
"""

import hashlib
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Func
from django.utils.translation import gettext_lazy as _

from shifan.accounts.models import Organisation
from shifan.core import reference
from shifan.core.models import TimeStampedModel
from shifan.programs.models import Batch


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("暂存")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("退回修改")
    WITHDRAWN = "withdrawn", _("已撤回")
    DECLINED = "declined", _("不予推荐")
    RECOMMENDED = "recommended", _("已推荐")
    ACCEPTED = "accepted", _("已受理")
    IN_REVIEW = "in_review", _("评审中")
    PROPOSED = "proposed", _("拟认定")
    NOT_SELECTED = "not_selected", _("未入选")
    IN_NOTICE = "in_notice", _("公示中")
    RECOGNISED = "recognised", _("已认定")


EDITABLE_STATES = frozenset({ApplicationState.DRAFT, ApplicationState.RETURNED, ApplicationState.WITHDRAWN})

# From the submission until the decision on recognition the application is in someone's hands:
# the organisation's identity the reviewers read must not move under them.
IN_PROCESS_STATES = frozenset(
    {
        ApplicationState.SUBMITTED,
        ApplicationState.RETURNED,
        ApplicationState.RECOMMENDED,
        ApplicationState.ACCEPTED,
        ApplicationState.IN_REVIEW,
        ApplicationState.PROPOSED,
        ApplicationState.IN_NOTICE,
    }
)

# The organisation's facts a submission freezes (Snapshot.unit holds them all, Application the
# ones that route and label it).
UNIT_FACTS = (
    "name",
    "credit_code",
    "nature",
    "city_code",
    "county_code",
    "region_key",
    "address",
    "contact_name",
    "contact_phone",
    "contact_email",
)


def unit_facts(organisation: Organisation) -> dict[str, str]:
    """Return the organisation's identity and contact as a submission records them."""
    return {key: str(getattr(organisation, key) or "") for key in UNIT_FACTS}


# The application's columns that hold the submitted facts it is routed and labelled by.
UNIT_COLUMNS = {
    "unit_name": "name",
    "credit_code": "credit_code",
    "city_code": "city_code",
    "county_code": "county_code",
    "region_key": "region_key",
}


def unit_columns(unit: dict[str, str]) -> dict[str, str]:
    """Return the application's columns (UNIT_COLUMNS) for the facts a submission records."""
    return {column: unit[key] for column, key in UNIT_COLUMNS.items()}


# The SQL of the two generated columns below. A migration records only `ChosenModes()` and
# `ChosenOption("industry")`, not this text: changing it changes no existing database, and
# `makemigrations` does not notice. A change needs a migration written by hand that removes the
# column and adds it again.


def _selected(compiler: Any, connection: Any, expression: Any, key: str) -> str:
    """The SQL of an answer's `selected` (a choice's key, a multi-choice's JSON array as text)."""
    column, params = compiler.compile(expression)
    assert not params, "a column reference has no parameters"
    if connection.vendor == "postgresql":
        return f"({column} #>> '{{{key},selected}}')"
    return f"JSON_EXTRACT({column}, '$.\"{key}\".selected')"


class ChosenModes(Func):
    """The modes an application chose, as text holding each mode's key in double quotes.

    The rule of `answers.chosen_modes`, in SQL for a generated column: an enterprise's `modes`; a
    platform's main kind (共享制造), or its `other_modes` when the main kind is 其他模式. A
    multi-choice's selection is the text of its JSON array, a choice's key is put in quotes, so a
    mode was chosen when the text contains `"key"`. Each path is one `JSON_EXTRACT` (`#>>` on
    PostgreSQL), read on every write of the row.
    """

    output_field = models.TextField()
    template = (
        "COALESCE({modes}, '') || ' ' || CASE {main} WHEN 'other_modes' THEN COALESCE({other}, '') "
        "ELSE '\"' || COALESCE({main}, '') || '\"' END"
    )

    def __init__(self) -> None:
        super().__init__(F("answers"))

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        answers = self.source_expressions[0]
        paths = {
            key: _selected(compiler, connection, answers, key)
            for key in ("modes", "main_mode", "other_modes")
        }
        sql = self.template.format(modes=paths["modes"], main=paths["main_mode"], other=paths["other_modes"])
        return f"({sql})", []


class ChosenOption(Func):
    """The key an answer's choice selected ("" for none), in SQL for a generated column."""

    output_field = models.TextField()

    def __init__(self, key: str) -> None:
        super().__init__(F("answers"))
        self.key = key

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        return f"COALESCE({_selected(compiler, connection, self.source_expressions[0], self.key)}, '')", []


class Application(TimeStampedModel):
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="applications")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="applications")
    category = models.CharField(_("申报类别"), max_length=20)  # the spec's category key
    state = models.CharField(_("状态"), max_length=20, choices=ApplicationState.choices, default="draft")
    answers = models.JSONField(_("填报内容"), default=dict)
    # Bumped by every save: a save based on an older version is checked for conflicts.
    version = models.PositiveIntegerField(default=0)
    number = models.CharField(_("申报编号"), max_length=40, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    # The organisation as submitted (blank before the first submission), copied from the latest
    # snapshot: which city reviews the application, and the name, code and place every officer
    # page and export shows. A later change of the organisation's details does not move them
    # (applications.services.submission_facts says when a resubmission takes new ones).
    unit_name = models.CharField(_("单位名称"), max_length=200, blank=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    city_code = models.CharField(_("所在城市"), max_length=6, blank=True)
    county_code = models.CharField(_("区县"), max_length=6, blank=True)
    region_key = models.CharField(_("所属区域"), max_length=10, blank=True)
    # The outcome counts of the latest eligibility check ({"fail": 1, "pass": 9, …}), kept by
    # eligibility.services.record_check so that queues filter on them in the database.
    eligibility_summary = models.JSONField(_("资格预审结果"), default=dict, blank=True)
    # Two choices the database reads from the answers on every write, for the dashboard's counts:
    # one index holds them with what the counts group by, so that counting never reads the
    # answers (some 25 kB an application).
    chosen_modes = models.GeneratedField(
        expression=ChosenModes(), output_field=models.TextField(), db_persist=True
    )
    chosen_industry = models.GeneratedField(
        expression=ChosenOption("industry"), output_field=models.TextField(), db_persist=True
    )

    class Meta:
        verbose_name = _("申报书")
        verbose_name_plural = _("申报书")
        ordering = ["-updated_at"]
        indexes = [
            # The review queues in their default order, newest submission first: a page reads its
            # thirty rows from the index in order instead of sorting the batch (and the city's
            # count reads this index alone, state included).
            models.Index(
                fields=["batch", "city_code", "-submitted_at", "id", "state"], name="application_city_queue"
            ),
            models.Index(fields=["batch", "-submitted_at", "id"], name="application_province_queue"),
            # Everything the dashboard counts, so that its GROUP BYs read this index alone.
            models.Index(
                fields=[
                    "batch",
                    "category",
                    "state",
                    "city_code",
                    "submitted_at",
                    "organisation",
                    "eligibility_summary",
                    "chosen_industry",
                    "chosen_modes",
                ],
                name="application_dashboard",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "organisation", "category"], name="one_application_per_category_and_batch"
            ),
            models.UniqueConstraint(
                fields=["number"], condition=~models.Q(number=""), name="unique_application_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.applicant_name} · {self.category_name}"

    @property
    def applicant_name(self) -> str:
        """Return the organisation's name as submitted, or its current name before submission."""
        return self.unit_name or self.organisation.name

    @property
    def applicant_credit_code(self) -> str:
        return self.credit_code or self.organisation.credit_code

    @property
    def applicant_city_code(self) -> str:
        return self.city_code or self.organisation.city_code

    @property
    def city_name(self) -> str:
        code = self.applicant_city_code
        return reference.city(code).name if code else ""

    @property
    def county_name(self) -> str:
        code = self.county_code or self.organisation.county_code
        try:
            return reference.county(code).name
        except KeyError:
            return ""

    @property
    def rules_region_key(self) -> str:
        """Return the region the thresholds apply by: the province's setting for the organisation
        (深汕特别合作区, an officer's decision with its reason), else the region as submitted."""
        organisation = self.organisation
        return organisation.region_override or self.region_key or organisation.region_key

    @property
    def label(self) -> str:
        """Return the number and the name as submitted, as the audit trail labels the application."""
        return f"{self.number} {self.applicant_name}".strip()

    @property
    def category_spec(self) -> Any:
        return self.batch.category(self.category)

    @property
    def category_name(self) -> str:
        return str(self.category_spec.name)

    @property
    def form(self) -> Any:
        return self.category_spec.form

    @property
    def eligibility_counts(self) -> dict[str, int]:
        """The stored summary with every outcome in it, 0 where none (empty before any check).

        For the lists: a template looks a key the summary lacks up as an attribute too, slowly.
        """
        from shifan.eligibility.rules import Outcome

        if not self.eligibility_summary:
            return {}
        return dict.fromkeys(Outcome, 0) | self.eligibility_summary

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES


class Revision(models.Model):
    """One save: the fields it changed, with their new values (earlier values are in earlier rows)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    values = models.JSONField(default=dict)
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    saved_at = models.DateTimeField(auto_now_add=True)
    restored_from = models.PositiveIntegerField(null=True, blank=True)
    # The page that saved it: saves of one page never conflict with each other.
    client_id = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["application", "version"], name="one_revision_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.application_id} v{self.version}"

    @property
    def changed_fields(self) -> list[str]:
        return list(self.values)


def attachment_path(instance: "Attachment", filename: str) -> str:
    # Stored under the content hash: names typed by applicants never reach the file system.
    return f"attachments/{instance.application.batch_id}/{instance.application_id}/{instance.sha256}"


ATTACHMENT_TITLE_MAX = 100


class Attachment(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments")
    field_key = models.CharField(max_length=80)
    file = models.FileField(upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("文件名"), max_length=255)
    # What the applicant calls the file ("营业执照"), printed in the book as "附件1：营业执照".
    # Blank only on files uploaded before titles were asked for: those print their file name.
    title = models.CharField(
        _("附件标题"), max_length=ATTACHMENT_TITLE_MAX, blank=True, default="", db_default=""
    )
    kind = models.CharField(max_length=10)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    # Removed files stay stored: a submitted snapshot may refer to them.
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    def record(self) -> dict[str, Any]:
        """Return the attachment as a snapshot lists it (and the book prints it)."""
        return {
            "field": self.field_key,
            "name": self.original_name,
            "title": self.title,
            "sha256": self.sha256,
            "size": self.size,
            "id": self.pk,
        }


class Snapshot(models.Model):
    """A submission, immutable: what the applicant sent, as the reviewers will see it."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="snapshots")
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=40)
    answers = models.JSONField()
    attachments = models.JSONField(default=list)
    # The organisation's identity and contact when it submitted (applications.models.UNIT_FACTS).
    unit = models.JSONField(default=dict)
    spec_key = models.CharField(max_length=80)
    spec_version = models.CharField(max_length=40)
    spec_digest = models.CharField(max_length=64)
    digest = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["application", "sequence"], name="one_snapshot_per_sequence")
        ]

    def __str__(self) -> str:
        return f"{self.number} #{self.sequence}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise TypeError("Snapshots are immutable.")
        super().save(*args, **kwargs)

    @property
    def short_digest(self) -> str:
        return self.digest[:12]


class SealedScanKind(models.TextChoices):
    COMMITMENT = "commitment", _("盖章承诺页")


def sealed_scan_path(instance: "SealedScan", filename: str) -> str:
    # Stored under the content hash, like attachments: the uploaded name is kept in a column only.
    return f"sealed/{instance.application.batch_id}/{instance.application_id}/{instance.sha256}"


class SealedScan(models.Model):
    """A scan of a page printed from a submitted book, sealed and signed on paper.

    It belongs to the snapshot that was current when it was uploaded: the printed page carries
    that snapshot's number and digest. Uploading again adds a row; the latest of a kind is the
    current one, and the earlier rows stay as history.
    """

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="sealed_scans")
    snapshot = models.ForeignKey(Snapshot, on_delete=models.PROTECT, related_name="sealed_scans")
    kind = models.CharField(_("类型"), max_length=20, choices=SealedScanKind.choices)
    file = models.FileField(upload_to=sealed_scan_path, max_length=300)
    original_name = models.CharField(_("文件名"), max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("盖章页扫描件")
        verbose_name_plural = _("盖章页扫描件")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf"


class NumberCounter(models.Model):
    """The last application number given in an application year and category (GD-SMD-2024-E-0001).

    By year, not by batch: the number carries only the year, and must stay unique when a year has
    more than one batch.
    """

    year = models.PositiveIntegerField()
    category = models.CharField(max_length=20)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["year", "category"], name="one_counter_per_year_and_category")
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.category}: {self.last}"


def sha256_of(chunks: Any) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()
