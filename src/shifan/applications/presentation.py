"""Page contexts for the application pages: what each field shows, and the autosave answer.

Input names follow one convention, which `answers.parse_field` reads back: simple types
"<key>"; other texts "<key>__other__<option>"; table cells "<key>__<row>__<column>" with
"<key>__rows"; yearly cells "<key>__<row>__<year>"; breakdown cells "<key>__<option>__<column>".
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django.apps import apps
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from shifan.accounts.models import User
from shifan.applications import answers as answer_rules
from shifan.applications import changes, rules, selectors, services
from shifan.applications.forms import SealedScanForm
from shifan.applications.models import Application, ApplicationState, Snapshot
from shifan.core.models import AuditEvent
from shifan.eligibility import services as eligibility
from shifan.eligibility.models import Verdict
from shifan.programs.spec import Column, Field, Section


@dataclass
class Cell:
    name: str
    value: Any
    column: Column
    computed: bool = False
    # The input's accessible name where the column's label alone would repeat along a row: a yearly
    # figure names its year, a breakdown amount its service type. Empty: the column's label.
    label: str = ""


@dataclass
class FieldView:
    field: Field
    value: Any
    required: bool
    errors: list[str] = dataclass_field(default_factory=list)
    warnings: list[str] = dataclass_field(default_factory=list)
    rules: list[str] = dataclass_field(default_factory=list)
    options: list[tuple[str, str]] = dataclass_field(default_factory=list)
    grouped_options: list[tuple[str, list[Any]]] = dataclass_field(default_factory=list)
    selected: Any = None
    other: dict[str, str] = dataclass_field(default_factory=dict)
    yearly: list[tuple[Column, list[Cell]]] = dataclass_field(default_factory=list)
    table_rows: list[list[Cell]] = dataclass_field(default_factory=list)
    table_template: list[Cell] = dataclass_field(default_factory=list)
    breakdown: list[tuple[str, str, list[Cell], bool]] = dataclass_field(default_factory=list)
    attachments: dict[str, Any] | None = None
    comment: str = ""

    @property
    def template(self) -> str:
        return f"applications/fields/{self.field.type}.html"

    @property
    def described_by(self) -> str:
        """The ids of what describes the field's input (applications/_field.html): its help, if it
        has one, and its messages (errors and warnings, as the page shows them and autosave updates them)."""
        ids = [f"help-{self.field.key}"] if self.field.help and self.field.type != "confirm" else []
        return " ".join([*ids, f"feedback-{self.field.key}"])


def _cells(field_key: str, prefix: str, columns: tuple[Column, ...], values: dict[str, Any]) -> list[Cell]:
    return [
        Cell(
            name=f"{field_key}__{prefix}__{column.key}",
            value=values.get(column.key, ""),
            column=column,
            computed=bool(column.computed),
        )
        for column in columns
    ]


def field_view(
    application: Application,
    form_field: Field,
    answers: dict[str, Any],
    feedback: dict[str, dict[str, list[str]]],
    files: dict[str, list[Any]],
    editable: bool,
    comments: dict[str, str],
) -> FieldView:
    value = (
        answers.get(form_field.key, answer_rules.empty_value(form_field))
        if form_field.type != "attachments"
        else None
    )
    view = FieldView(
        field=form_field,
        value=value,
        required=answer_rules.is_required(form_field, answers),
        errors=feedback.get(form_field.key, {}).get("errors", []),
        warnings=feedback.get(form_field.key, {}).get("warnings", []),
        rules=feedback.get(form_field.key, {}).get("rules", []),
    )
    kind = form_field.type
    if kind in {"choice", "multichoice"}:
        view.options = answer_rules.options_for(form_field)
        view.selected = answer_rules.selected(value) or ([] if kind == "multichoice" else "")
        view.other = (value or {}).get("other", {}) if isinstance(value, dict) else {}
        if form_field.groups:
            view.grouped_options = [
                (group.label, [option for option in form_field.options if option.group == group.key])
                for group in form_field.groups
            ]
    elif kind == "yearly":
        stored = value or {}
        for row in form_field.rows:
            row_values = stored.get(row.key, {})
            view.yearly.append(
                (
                    row,
                    [
                        Cell(
                            name=f"{form_field.key}__{row.key}__{year}",
                            value=row_values.get(str(year), ""),
                            column=row,
                            computed=bool(row.computed),
                            label=f"{row.label} {year}",
                        )
                        for year in form_field.years
                    ],
                )
            )
    elif kind == "table":
        rows = value or []
        view.table_rows = [
            _cells(form_field.key, str(index), form_field.columns, row) for index, row in enumerate(rows)
        ]
        view.table_template = _cells(form_field.key, "__index__", form_field.columns, {})
    elif kind == "service_revenue_breakdown":
        source = application.form.field(form_field.source_field) if form_field.source_field else None
        chosen = set(answer_rules.selected(answers.get(form_field.source_field or "")) or [])
        stored = value or {}
        if source is not None:
            for option_key, label in answer_rules.options_for(source):
                cells = _cells(form_field.key, option_key, form_field.columns, stored.get(option_key, {}))
                for cell in cells:
                    cell.label = f"{label} {cell.column.label}"
                view.breakdown.append((option_key, label, cells, option_key in chosen))
    view.comment = comments.get(form_field.key, "")
    if form_field.attachments is not None:
        view.attachments = slot_context(application, form_field, files.get(form_field.key, []), editable)
    return view


def feedback_for(
    application: Application,
    answers: dict[str, Any],
    fields: Iterable[Field] | None = None,
    results: list[Any] | None = None,
) -> dict[str, dict[str, list[str]]]:
    """Return errors and warnings per field key, as shown beside the fields while typing.

    Only for `fields` when given (the fields of the page that asks), for the whole form otherwise.
    `results`, the eligibility results the caller has evaluated, add the failed rules beside the
    figures they read (None: the rules were not evaluated, as for a page none of whose fields
    they read).
    """
    form = application.form
    asked = list(form.fields() if fields is None else fields)
    feedback: dict[str, dict[str, list[str]]] = {}
    for form_field in asked:
        if form_field.type == "attachments":
            continue
        errors = answer_rules.field_errors(form_field, answers.get(form_field.key), form=form)
        if errors:
            feedback.setdefault(form_field.key, {})["errors"] = errors
    keys = {form_field.key for form_field in asked}
    for key, warnings in answer_rules.consistency_warnings(form, answers).items():
        if key in keys:
            feedback.setdefault(key, {})["warnings"] = warnings
    if results is not None:
        for key, failures in rule_failures(application, results, keys).items():
            feedback.setdefault(key, {})["rules"] = failures
    return feedback


def rule_failures(application: Application, results: list[Any], keys: set[str]) -> dict[str, list[str]]:
    """Return the failed eligibility rules by the field they read, for the fields in `keys`.

    A failure blocks the submission: it is shown beside the figure it is about, not only in the
    checklist, which on a long page is out of sight.
    """
    read_by: dict[str, set[str]] = {}
    for rule in eligibility.effective_rules(application.batch, application.category):
        read_by[rule.name] = {path.split(".", 1)[0] for path in rule.fields.values()} & keys
    failures: dict[str, list[str]] = {}
    for result in results:
        if result.blocking:
            for key in sorted(read_by.get(result.rule, ())):
                failures.setdefault(key, []).append(
                    _("不符合申报条件（%(rule)s）：%(explanation)s")
                    % {"rule": result.label, "explanation": result.explanation}
                )
    return failures


def progress(application: Application) -> dict[str, tuple[int, int]]:
    return answer_rules.section_progress(
        application.form, application.answers, services.attachment_counts(application)
    )


def section_links(application: Application, comments: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Return each section's link and progress, and how many review comments its fields carry."""
    done = progress(application)
    links = []
    for section in application.form.sections:
        filled, total = done.get(section.key, (0, 0))
        links.append(
            {
                "section": section,
                "filled": filled,
                "total": total,
                "complete": filled >= total,
                "url": reverse("applications:section", kwargs={"pk": application.pk, "section": section.key}),
                "comments": sum(1 for form_field in section.fields if form_field.key in (comments or {})),
            }
        )
    return links


def latest_return(application: Application) -> dict[str, Any] | None:
    """Return the reason and field comments of the return the applicant is working on, if any."""
    if application.state != "returned":
        return None
    # The review stages come later in the import order: look their models up by name.
    city_decisions = apps.get_model("reviews", "CityDecision").objects
    formal_reviews = apps.get_model("reviews", "FormalReview").objects
    city = (
        city_decisions.filter(application=application, action="returned")
        .order_by("-decided_at", "-id")
        .first()
    )
    province = (
        formal_reviews.filter(application=application, decision="returned_to_applicant")
        .order_by("-decided_at", "-id")
        .first()
    )
    if province is not None and (city is None or province.decided_at > city.decided_at):
        return {
            "by": "省工业和信息化厅",
            "at": province.decided_at,
            "reason": province.reason,
            "comments": {},
        }
    if city is None:
        return None
    by = f"{application.city_name}工业和信息化局"
    return {"by": by, "at": city.decided_at, "reason": city.text, "comments": city.field_comments}


# Whose step it was, by the prefix of the audit action that changed the state.
_STEP_BY = {"city": "city", "province": "province", "expert_review": "province", "publicity": "province"}
# The steps whose reason the applicant was sent (why it came back, did not go on, or was
# withdrawn): the reasons officers wrote to each other (a city's withdrawn recommendation, the
# province's return to the city) stay theirs.
_REASONS_FOR_THE_APPLICANT = frozenset(
    {"city.returned", "city.declined", "province.returned_to_applicant", "application.withdrawn"}
)


def timeline(application: Application) -> list[dict[str, Any]]:
    """Return the application's steps, oldest first: each state change with when, by whom and why.

    Read from the audit trail, which every state change writes in its own transaction, so the
    timeline cannot miss a step nor show one that was rolled back. Officers are shown by their
    bureau, not by name.
    """
    events = (
        AuditEvent.objects.filter(
            target_type=Application._meta.label_lower, target_id=str(application.pk), after__has_key="state"
        )
        .only("occurred_at", "action", "actor_label", "reason", "after")
        .order_by("occurred_at", "id")
    )
    steps: list[dict[str, Any]] = []
    for event in events:
        state = (event.after or {}).get("state")
        if state not in ApplicationState.values:
            continue
        side = _STEP_BY.get(event.action.split(".", 1)[0], "applicant")
        by = {
            "city": _("%(city)s工业和信息化局") % {"city": application.city_name},
            "province": _("广东省工业和信息化厅"),
        }.get(side, event.actor_name)
        resubmitted = event.action == "application.submitted" and any(
            step["state"] == ApplicationState.SUBMITTED for step in steps
        )
        steps.append(
            {
                "state": state,
                "label": _("重新提交") if resubmitted else ApplicationState(state).label,
                "at": event.occurred_at,
                "by": by,
                "reason": event.reason if event.action in _REASONS_FOR_THE_APPLICANT else "",
                "receipt": event.action == "province.accepted",
            }
        )
    return steps


def acceptance(application: Application) -> dict[str, Any] | None:
    """Return the current acceptance (受理) of the application with its receipt number, if accepted.

    The receipt number is the application's number marked 受理 (SL), with the count of acceptances
    when the province accepted it more than once (after returning it): stable, and unique without
    a counter of its own.
    """
    if application.state in (
        ApplicationState.DRAFT,
        ApplicationState.WITHDRAWN,
        ApplicationState.RETURNED,
        ApplicationState.SUBMITTED,
        ApplicationState.RECOMMENDED,
        ApplicationState.DECLINED,
    ):
        return None  # never accepted, or sent back since: no receipt stands
    accepted = list(
        apps.get_model("reviews", "FormalReview")
        .objects.filter(application=application, decision="accepted")
        .select_related("decided_by")
        .order_by("decided_at", "id")
    )
    if not accepted:
        return None
    suffix = f"-{len(accepted)}" if len(accepted) > 1 else ""
    return {"number": f"SL-{application.number}{suffix}", "at": accepted[-1].decided_at}


def next_deadline(application: Application) -> dict[str, Any] | None:
    """Return the next deadline that concerns the application, with what it is for; None when none."""
    batch = application.batch
    state = application.state
    if state in (ApplicationState.DRAFT, ApplicationState.WITHDRAWN):
        return {"what": _("申报截止"), "at": batch.closes_at}
    if state == ApplicationState.RETURNED:
        return {"what": _("修改后重新提交截止（地市推荐截止）"), "at": batch.city_deadline}
    if state == ApplicationState.SUBMITTED:
        return {"what": _("地市审核推荐截止"), "at": batch.city_deadline}
    return None


def sealed_scan_panel(
    application: Application, user: User, form: Any, snapshots: list[Snapshot]
) -> dict[str, Any] | None:
    """Return the applicant's panel of the sealed commitment page, once the application has a number.

    `snapshots` are the application's versions, newest first, already read by the page."""
    if not application.number:
        return None
    latest = snapshots[0] if snapshots else None
    scans = selectors.sealed_scans_of(application, snapshots=snapshots)
    can_upload, reason = rules.can_upload_sealed_scan(user, application, scans=scans, latest=latest)
    return {
        "status": selectors.sealed_scan_status(application, scans=scans, latest=latest),
        "history": scans,
        "can_upload": can_upload,
        "reason": reason,
        "form": form or SealedScanForm(),
    }


def overview(application: Application, user: User, *, sealed_scan_form: Any = None) -> dict[str, Any]:
    can_submit, submit_reason = rules.can_submit(user, application)
    can_withdraw, _reason = rules.can_withdraw(user, application)
    returned = latest_return(application)
    comments = (returned or {}).get("comments", {})
    links = section_links(application, comments)
    section_of = {
        form_field.key: section for section in application.form.sections for form_field in section.fields
    }
    # The list of versions shows a few columns; the newest also decides the scan panel and the book.
    snapshots = list(
        application.snapshots.only("id", "application_id", "sequence", "submitted_at", "digest").order_by(
            "-sequence"
        )
    )
    latest = snapshots[0] if snapshots else None
    editable = application.is_editable
    return {
        "application": application,
        "returned": returned,
        "returned_comments": [
            {
                "label": application.form.field(key).label,
                "text": text,
                "url": reverse(
                    "applications:section", kwargs={"pk": application.pk, "section": section_of[key].key}
                )
                + f"#field-{key}",
            }
            for key, text in comments.items()
            if key in section_of
        ],
        "timeline": timeline(application),
        "receipt_number": (acceptance(application) or {}).get("number", ""),
        "next_deadline": next_deadline(application),
        # A draft shows the live checklist; a submitted one the check stored at submission.
        "eligibility": eligibility.evaluate(application) if editable else None,
        "stored_check": None if editable else eligibility.latest_check(application),
        "sections": links,
        "complete": all(link["complete"] for link in links),
        "can_submit": can_submit,
        "submit_reason": submit_reason,
        "can_withdraw": can_withdraw,
        "snapshots": snapshots,
        "latest_snapshot": latest,
        "sealed_scan": sealed_scan_panel(application, user, sealed_scan_form, snapshots),
    }


def section_page(application: Application, section_key: str, user: User) -> dict[str, Any]:
    form = application.form
    section = form.section(section_key)
    answers = answer_rules.computed_answers(form, application.answers)
    results = eligibility.evaluate(application)
    feedback = feedback_for(application, answers, section.fields, results)
    editable, reason = rules.can_edit(user, application)
    returned = latest_return(application)
    comments: dict[str, str] = returned["comments"] if returned else {}
    files: dict[str, list[Any]] = {}
    for item in selectors.live_attachments(application):
        files.setdefault(item.field_key, []).append(item)
    sections = list(form.sections)
    index = sections.index(section)
    return {
        "application": application,
        "section": section,
        "fields": [
            field_view(application, form_field, answers, feedback, files, editable, comments)
            for form_field in section.fields
        ],
        "editable": editable,
        "readonly_reason": reason,
        "eligibility": results,
        "sections": section_links(application, comments),
        "previous": sections[index - 1] if index > 0 else None,
        "next": sections[index + 1] if index + 1 < len(sections) else None,
    }


def computed_inputs(application: Application, answers: dict[str, Any]) -> dict[str, str]:
    """Return the values of computed inputs by input name, for the page to show after a save."""
    values: dict[str, str] = {}
    for form_field in application.form.fields():
        if form_field.type == "yearly":
            stored = answers.get(form_field.key) or {}
            for row in form_field.rows:
                if row.computed:
                    for year in form_field.years:
                        values[f"{form_field.key}__{row.key}__{year}"] = (stored.get(row.key) or {}).get(
                            str(year), ""
                        )
        elif form_field.computed:
            values[form_field.key] = answers.get(form_field.key) or ""
    return values


def autosave_payload(
    application: Application, result: services.SaveResult, posted: list[str]
) -> dict[str, Any]:
    """Return what the section page shows anew after a save of the `posted` field keys.

    The messages and computed values of the page's own fields (the sections holding the posted
    keys), every section's progress, the conditional fields now required and, only when a save
    changed an answer the eligibility rules read, the checklist (None: the page keeps its own).
    A save answered quickly matters on the deadline day, when every applicant saves every few
    seconds; rebuilding the whole form for each one was most of its cost.
    """
    from django.utils import timezone

    form = application.form
    answers = answer_rules.computed_answers(form, application.answers)
    page = [
        field for section in form.sections if set(posted) & section.field_keys for field in section.fields
    ]
    # The rules run once, and only when the page holds a field they read: its failures are shown
    # beside those fields again. The checklist is sent only when the save changed what they read.
    rule_keys = eligibility.answer_keys(application)
    results = eligibility.evaluate(application) if {field.key for field in page} & rule_keys else None
    checklist = None
    if results is not None and set(result.applied) & rule_keys:  # an applied key is on the page
        checklist = render_to_string("eligibility/_checklist.html", {"results": results})
    return {
        "version": result.version,
        "saved_at": timezone.localtime(result.saved_at).strftime("%H:%M:%S"),
        "applied": result.applied,
        "conflicts": [
            {
                "field": conflict.field_key,
                "label": conflict.label,
                "their_display": conflict.their_display,
                "saved_by": conflict.saved_by,
                "saved_at": timezone.localtime(conflict.saved_at).strftime("%H:%M:%S"),
            }
            for conflict in result.conflicts
        ],
        "feedback": feedback_for(application, answers, page, results),
        "computed": computed_inputs(application, answers),
        "progress": {key: list(value) for key, value in progress(application).items()},
        "required": sorted(
            form_field.key
            for form_field in form.fields()
            if form_field.required_if is not None and answer_rules.is_required(form_field, answers)
        ),
        "eligibility_html": checklist,
    }


def attachment_context(
    application: Application, field_key: str, user: User, *, error: str = ""
) -> dict[str, Any]:
    """Return one field's attachment slot, as re-rendered after an upload or a removal."""
    form_field = application.form.field(field_key)
    editable, _reason = rules.can_edit(user, application)
    files = list(selectors.live_attachments(application).filter(field_key=field_key))
    return {**slot_context(application, form_field, files, editable), "error": error}


def slot_context(
    application: Application, form_field: Field, files: list[Any], editable: bool
) -> dict[str, Any]:
    spec = form_field.attachments
    return {
        "application": application,
        "field_key": form_field.key,
        "files": files,
        "editable": editable,
        "error": "",
        "accept": "、".join(KIND_LABELS[kind] for kind in (spec.accept if spec else ())),
        "accept_attr": ",".join(ACCEPT_ATTRS[kind] for kind in (spec.accept if spec else ())),
        "max_size_mb": spec.max_size_mb if spec else 0,
        "max_files": spec.max_files if spec else None,
        "full": spec is not None and spec.max_files is not None and len(files) >= spec.max_files,
    }


KIND_LABELS = {"pdf": "PDF", "image": "图片", "word": "Word", "excel": "Excel"}
ACCEPT_ATTRS = {
    "pdf": ".pdf,application/pdf",
    "image": "image/*",
    "word": ".doc,.docx,.wps",
    "excel": ".xls,.xlsx,.et",
}


def revisions_page(application: Application, user: User) -> dict[str, Any]:
    """Return the newest 200 saves, each with how every field it saved changed from the save before.

    A revision stores only the new values of the fields it changed, so the value before it is the
    last value an earlier revision stored: the saves are replayed oldest first to know it.
    """
    form = application.form
    shown = list(application.revisions.select_related("saved_by").order_by("-version")[:200])
    first_shown = shown[-1].version if shown else 0
    state: dict[str, Any] = {}
    for values in (
        application.revisions.filter(version__lt=first_shown)
        .order_by("version")
        .values_list("values", flat=True)
    ):
        state.update(values)
    before_each: dict[int, dict[str, Any]] = {}
    for revision in reversed(shown):
        before_each[revision.version] = {key: state.get(key) for key in revision.values}
        state.update(revision.values)
    revisions = []
    for revision in shown:
        labels, field_changes = [], []
        for key, value in revision.values.items():
            try:
                form_field = form.field(key)
            except KeyError:
                labels.append(key)
                continue
            labels.append(form_field.label)
            change = changes.field_change(
                form_field, before_each[revision.version].get(key), value, form=form
            )
            if change is not None:
                field_changes.append(change)
        revisions.append({"revision": revision, "changes": field_changes, "labels": labels})
    editable, _reason = rules.can_edit(user, application)
    return {"application": application, "revisions": revisions, "editable": editable}


def submit_page(application: Application, user: User) -> dict[str, Any]:
    form = application.form
    counts = services.attachment_counts(application)
    missing = answer_rules.missing_required(form, application.answers, counts)
    invalid = services.invalid_fields(application)

    def link(section: Section, form_field: Field) -> str:
        url = reverse("applications:section", kwargs={"pk": application.pk, "section": section.key})
        return f"{url}#field-{form_field.key}"

    section_of = {form_field.key: section for section in form.sections for form_field in section.fields}
    can_submit, reason = rules.can_submit(user, application)
    results = eligibility.evaluate(application)
    return {
        "application": application,
        "eligibility": results,
        "blocked": [result for result in results if result.blocking],
        "missing": [{"section": s, "field": f, "url": link(s, f)} for s, f in missing],
        "invalid": [
            {
                "section": section_of[key],
                "field": form.field(key),
                "errors": errors,
                "url": link(section_of[key], form.field(key)),
            }
            for key, errors in invalid.items()
        ],
        "can_submit": can_submit,
        "submit_reason": reason,
    }


def grid(form_field: Field, value: Any) -> dict[str, Any] | None:
    """Return a yearly or table answer as header and rows of cells, for read-only pages."""
    if form_field.type == "yearly":
        stored = value or {}
        return {
            "header": [f"{year}年" for year in form_field.years],
            "rows": [
                (row.label, [(stored.get(row.key) or {}).get(str(year), "") for year in form_field.years])
                for row in form_field.rows
            ],
        }
    if form_field.type == "table" and value:
        labels = dict(answer_rules.options_for(form_field)) if form_field.options else {}
        return {
            "header": [column.label for column in form_field.columns],
            "rows": [
                (
                    str(index),
                    [_cell_text(column, row.get(column.key, "")) for column in form_field.columns],
                )
                for index, row in enumerate(value, start=1)
            ],
            "labels": labels,
        }
    return None


def _cell_text(column: Column, value: Any) -> str:
    if column.type == "choice":
        return next((option.label for option in column.options if option.key == value), str(value or ""))
    if column.type == "yesno":
        return {True: "是", False: "否"}.get(value, "")
    return str(value or "")


def snapshot_page(
    application: Application,
    snapshot: Snapshot,
    previous: Snapshot | None,
    user: User,
    attachment_url: Callable[[dict[str, Any]], str] | None = None,
) -> dict[str, Any]:
    """Return the context of a submitted version; `attachment_url` links its files (for experts)."""
    form = application.form

    def default_url(item: dict[str, Any]) -> str:
        return reverse("applications:attachment", kwargs={"pk": application.pk, "attachment_pk": item["id"]})

    link = attachment_url or default_url
    attachments_by_field: dict[str, list[dict[str, Any]]] = {}
    for item in snapshot.attachments:
        attachments_by_field.setdefault(item["field"], []).append({**item, "url": link(item)})
    previous_files: dict[str, list[dict[str, Any]]] = {}
    for item in previous.attachments if previous else []:
        previous_files.setdefault(item["field"], []).append(item)
    sections = []
    changed_fields = []
    for section in form.sections:
        rows = []
        for form_field in section.fields:
            files = attachments_by_field.get(form_field.key, [])
            change = (
                changes.field_change(
                    form_field,
                    previous.answers.get(form_field.key),
                    snapshot.answers.get(form_field.key),
                    form=form,
                )
                if previous
                else None
            )
            old_hashes = {f["sha256"] for f in previous_files.get(form_field.key, [])}
            new_hashes = {f["sha256"] for f in files}
            added = [f for f in files if f["sha256"] not in old_hashes] if previous else []
            removed = [f for f in previous_files.get(form_field.key, []) if f["sha256"] not in new_hashes]
            row = {
                "field": form_field,
                "display": answer_rules.display_value(
                    form_field, snapshot.answers.get(form_field.key), form=form
                )
                if form_field.type != "attachments"
                else "",
                "change": change,
                "changed": change is not None or bool(added) or bool(removed),
                "files": [{**f, "added": f in added} for f in files],
                "removed_files": removed,
                "grid": grid(form_field, snapshot.answers.get(form_field.key)),
            }
            rows.append(row)
            if row["changed"]:
                changed_fields.append({"field": form_field, "section": section})
        sections.append(
            {
                "section": section,
                "rows": rows,
                "changed_rows": [row for row in rows if row["changed"]],
                "unchanged_rows": [row for row in rows if not row["changed"]],
            }
        )
    check = application.eligibility_checks.filter(snapshot=snapshot).order_by("-checked_at", "-id").first()
    return {
        "application": application,
        "snapshot": snapshot,
        "check": check,
        "credit_checks": application.credit_checks.select_related("checked_by")
        if not user.is_applicant
        else [],
        "can_check_credit": not user.is_applicant,
        "judgment_items": eligibility.judgment_items(application, check, user)
        if not user.is_applicant
        else [],
        # Judged on the latest version only (an earlier one's passages are not what is decided on).
        "can_judge": not user.is_applicant
        and snapshot.pk == application.snapshots.order_by("-sequence").values_list("pk", flat=True).first()
        and eligibility.judge_role(user, application) is not None,
        "verdicts": Verdict.choices,
        "previous": previous,
        "sections": sections,
        "changed_fields": changed_fields,
        "changed_count": len(changed_fields),
        "snapshots": application.snapshots.order_by("-sequence"),
    }


OUTCOME_LABELS = {
    "pass": "符合",
    "fail": "不符合",
    "warning": "请注意",
    "judgment": "需专家判断",
    "missing": "待填写",
}


def batch_eligibility_page(batch: Any) -> dict[str, Any]:
    from shifan.eligibility.models import EligibilityCheck

    latest: dict[int, Any] = {}
    for check in EligibilityCheck.objects.filter(application__batch=batch).order_by("checked_at", "id"):
        latest[check.application_id] = check
    outcomes: dict[str, int] = {}
    for check in latest.values():
        for outcome, count in check.summary.items():
            label = OUTCOME_LABELS.get(outcome, outcome)
            outcomes[label] = outcomes.get(label, 0) + count
    return {
        "batch": batch,
        "parameters": eligibility.rule_parameters(batch),
        "checked": len(latest),
        "blocked": sum(1 for check in latest.values() if check.blocking),
        "outcomes": outcomes,
    }
