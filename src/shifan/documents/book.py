"""The 申报书 as the source's 填报说明 prescribes it, worked out once for Word and PDF.

Order: the cover (申报单位, 申报类型 with the category ticked, 推荐单位, year); the 申报表 (表1-1 or
表1-2) as one table with the official form's fields only, cell for cell, choices printed as the
form's boxes; the 申报条件声明; the 补充信息, the fields and yearly rows the programme asks beyond the
official form (marked `supplement` in the spec), in a table of its own; the
文字说明 in the order of the 申报要点 outline with level-1 and level-2 headings (the enterprise
outline's third level as numbered run-in headings); the list of attachments; and the 真实性承诺
on a page of its own, with room for the seal, the signature and the date.

A draft prints with a 草稿 watermark. A submitted book carries on every page its application
number, the snapshot's short digest and a QR code linking to the public verification page, so a
printed or scanned copy can be matched to the electronic version it came from.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from shifan.applications import answers as answer_rules
from shifan.applications.models import unit_facts
from shifan.core import reference
from shifan.core.dates import chinese_date
from shifan.core.http import safe_filename
from shifan.documents.announcement import chinese_numeral

if TYPE_CHECKING:
    from shifan.applications.models import Application, Snapshot
    from shifan.programs.spec import Column, Field, Form, Section

# The commitment's fields print on its own page, not in the table.
COMMITMENT_KEYS = frozenset({"responsible_person", "commitment_date"})
# Choice fields with more options than this print the chosen label, not every box.
MAX_BOXES = 16
# Field types that share a table row with a neighbour (label, value, label, value).
NARROW_TYPES = frozenset(
    {
        "text",
        "credit_code",
        "money",
        "integer",
        "decimal",
        "percent",
        "phone",
        "email",
        "date",
        "url",
        "yesno",
    }
)
CHINESE_ORDINALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class Box:
    """One printed option: ☑ or ☐, its label, and what was typed beside an 其他 option."""

    label: str
    ticked: bool
    other: str = ""

    @property
    def mark(self) -> str:
        return "☑" if self.ticked else "☐"


@dataclass(frozen=True)
class BoxGroup:
    label: str
    boxes: tuple[Box, ...]


@dataclass(frozen=True)
class Grid:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    # A yearly grid's first column names its rows (经营指标), so it needs no label of its own.
    labelled_rows: bool = False


@dataclass(frozen=True)
class Entry:
    """One field of the 申报表: its label and its value as text, boxes or a grid."""

    label: str
    text: str = ""
    groups: tuple[BoxGroup, ...] = ()
    grid: Grid | None = None

    @property
    def wide(self) -> bool:
        boxes = sum(len(group.boxes) for group in self.groups)
        return self.grid is not None or len(self.groups) > 1 or boxes > 3 or len(self.text) > 60


@dataclass(frozen=True)
class TableSection:
    title: str
    # Each row: one wide entry, or two narrow ones side by side.
    rows: tuple[tuple[Entry, ...], ...]


@dataclass(frozen=True)
class Heading:
    level: int  # 1 一、 2 （一） 3 1.
    text: str


@dataclass(frozen=True)
class Passage:
    """One answer of the 文字说明 with the headings that open it."""

    headings: tuple[Heading, ...]
    paragraphs: tuple[str, ...]
    evidence: tuple[str, ...] = ()  # "附件3" references to the attachments list


@dataclass(frozen=True)
class AttachmentLine:
    position: int
    title: str
    name: str
    topic: str
    size: str
    sha256: str
    # The stored file (applications.Attachment), to append it after the book.
    attachment_id: int | None = None

    @property
    def label(self) -> str:
        """Return "附件1：营业执照", as the book lists it and the appended pages are headed."""
        return f"附件{self.position}：{self.title}"

    @property
    def identity(self) -> str:
        """Return the size and short digest that tell this file from another of the same name."""
        return " · ".join(part for part in (self.size, self.sha256) if part)


# The 附件清单's columns, the same in Word and PDF: the title first, the file's identity last.
ATTACHMENT_HEADER = ("附件", "对应内容", "文件（大小 · SHA-256 前 12 位）")


@dataclass(frozen=True)
class Commitment:
    text: str
    responsible_person: str
    date: str
    confirmed: bool


@dataclass(frozen=True)
class Verification:
    number: str
    sequence: int
    digest: str
    short_digest: str
    submitted_at: str
    url: str  # the QR code's link: this version's verification
    page: str  # the verification page, where number and digest are typed


@dataclass(frozen=True)
class Book:
    unit_name: str
    category_key: str
    categories: tuple[Box, ...]
    recommender: str
    year: int
    table_label: str  # 表1-1
    table_title: str  # 服务型制造示范企业申报表
    sections: tuple[TableSection, ...]
    declarations: TableSection | None
    # What the programme asks beyond the official form, by the section it is asked in.
    supplement: tuple[TableSection, ...]
    passages: tuple[Passage, ...]
    attachments: tuple[AttachmentLine, ...]
    commitment: Commitment
    # None for a draft: it prints 草稿 instead.
    verification: Verification | None
    generated_at: str = field(default="")

    @property
    def is_draft(self) -> bool:
        return self.verification is None

    @property
    def title(self) -> str:
        return f"广东省服务型制造示范遴选申报书（{self.unit_name}）"

    @property
    def footer_lines(self) -> tuple[str, ...]:
        """Return what every page's footer prints beside the QR code, or a draft's mark."""
        verification = self.verification
        if verification is None:
            return (f"草稿 · 生成于 {self.generated_at} · 提交后的申报书印有申报编号、摘要和核验二维码",)
        return (
            f"申报编号 {verification.number} · 第 {verification.sequence} 次提交"
            f" · {verification.submitted_at}",
            f"摘要 {verification.short_digest}",
            f"核验：扫描二维码，或访问 {verification.page} 输入编号和摘要",
        )


# Building the book -----------------------------------------------------------------------------

SUPPLEMENT_TITLE = "补充信息"
SUPPLEMENT_NOTE = "以下栏目不属于申报表，是本遴选为核对申报条件增设的内容。"


def submitted_book(snapshot: Snapshot) -> Book:
    """Return the book of a submitted version, with its number, digest and verification link."""
    application = snapshot.application
    submitted = timezone.localtime(snapshot.submitted_at)
    verification = Verification(
        number=snapshot.number,
        sequence=snapshot.sequence,
        digest=snapshot.digest,
        short_digest=snapshot.short_digest,
        submitted_at=f"{chinese_date(submitted.date())} {submitted:%H:%M}",
        url=settings.SITE_URL
        + reverse(
            "documents:verify_link", kwargs={"number": snapshot.number, "digest": snapshot.short_digest}
        ),
        page=settings.SITE_URL + reverse("documents:verify"),
    )
    unit = snapshot.unit
    return _book(application, unit, snapshot.answers, snapshot.attachments, verification, submitted)


def draft_book(application: Application) -> Book:
    """Return the book of what is saved now, to print as a 草稿."""
    files = [a.record() for a in application.attachments.filter(removed_at=None).order_by("field_key", "id")]
    unit = unit_facts(application.organisation)
    return _book(application, unit, application.answers, files, None, timezone.localtime())


def _book(
    application: Application,
    unit: dict[str, str],
    stored: dict[str, Any],
    files: list[dict[str, Any]],
    verification: Verification | None,
    when: datetime,
) -> Book:
    batch = application.batch
    form = application.form
    values = answer_rules.computed_answers(form, stored)
    attachments, references = _attachment_lines(form, files)
    table_sections = [section for section in form.sections if section.part != "written"]
    declarations = [s for s in table_sections if s.key == "declarations"]
    split = {section.key: _official_and_supplement(section) for section in table_sections}
    return Book(
        unit_name=_unit_name(unit, values),
        category_key=application.category,
        categories=tuple(
            Box(category.name, category.key == application.category) for category in batch.spec.categories
        ),
        recommender=f"{reference.city(unit['city_code']).name}工业和信息化局",
        year=batch.spec.application_year,
        table_label=form.table,
        table_title=form.title,
        sections=tuple(
            printed
            for section in table_sections
            if section.key != "declarations"
            and (printed := _table_section(form, section.title, split[section.key][0], values)).rows
        ),
        supplement=tuple(
            printed
            for section in table_sections
            if (printed := _table_section(form, section.title, split[section.key][1], values)).rows
        ),
        declarations=_table_section(form, declarations[0].title, declarations[0].fields, values)
        if declarations
        else None,
        passages=_passages(form, values, references),
        attachments=attachments,
        commitment=_commitment(form, values),
        verification=verification,
        generated_at=f"{chinese_date(when.date())} {when:%H:%M}",
    )


def _unit_name(unit: dict[str, str], values: dict[str, Any]) -> str:
    for key in ("company_name", "operator_name"):
        name = values.get(key)
        if isinstance(name, str) and name.strip():
            return name.strip()
    return unit["name"]


def _official_and_supplement(section: Section) -> tuple[tuple[Field, ...], tuple[Field, ...]]:
    """Return a section's fields as the official form has them, and those the programme added.

    A yearly field with added rows is in both: its official rows in the first, the others in
    the second.
    """
    if section.supplement:
        return (), section.fields
    official: list[Field] = []
    added: list[Field] = []
    for item in section.fields:
        if item.supplement:
            added.append(item)
        elif item.type == "yearly" and any(row.supplement for row in item.rows):
            official.append(dataclasses.replace(item, rows=tuple(r for r in item.rows if not r.supplement)))
            added.append(dataclasses.replace(item, rows=tuple(r for r in item.rows if r.supplement)))
        else:
            official.append(item)
    return tuple(official), tuple(added)


def _table_section(form: Form, title: str, fields: tuple[Field, ...], values: dict[str, Any]) -> TableSection:
    printed = [
        item
        for item in fields
        if item.type not in ("attachments", "confirm") and item.key not in COMMITMENT_KEYS
    ]
    rows: list[tuple[Entry, ...]] = []
    waiting: Entry | None = None
    for item in printed:
        entry = _entry(form, item, values.get(item.key))
        narrow = not entry.wide
        if not narrow:
            if waiting:
                rows.append((waiting,))
                waiting = None
            rows.append((entry,))
        elif waiting:
            rows.append((waiting, entry))
            waiting = None
        else:
            waiting = entry
    if waiting:
        rows.append((waiting,))
    return TableSection(title=title, rows=tuple(rows))


def _yesno_boxes(value: Any) -> tuple[BoxGroup, ...]:
    return (BoxGroup("", (Box("是", value is True), Box("否", value is False))),)


def _entry(form: Form, item: Field, value: Any) -> Entry:
    label = item.label
    kind = item.type
    if kind in ("choice", "multichoice") and not item.options_from and len(item.options) <= MAX_BOXES * 2:
        return Entry(label, groups=_box_groups(item, value))
    if kind == "yesno":
        return Entry(label, groups=_yesno_boxes(value))
    if kind == "yearly":
        stored = value if isinstance(value, dict) else {}
        return Entry(
            label,
            grid=Grid(
                labelled_rows=True,
                header=("经营指标", *(f"{year}年" for year in item.years)),
                rows=tuple(
                    (
                        row.label,
                        *(
                            _figure_cell(row, (stored.get(row.key) or {}).get(str(year)))
                            for year in item.years
                        ),
                    )
                    for row in item.rows
                ),
            ),
        )
    if kind == "table":
        rows = [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []
        return Entry(
            label,
            grid=Grid(
                header=("序号", *(column.label for column in item.columns)),
                rows=tuple(
                    (
                        str(index),
                        *(answer_rules.cell_display(column, row.get(column.key)) for column in item.columns),
                    )
                    for index, row in enumerate(rows, start=1)
                ),
            ),
        )
    if kind == "service_revenue_breakdown":
        labels = answer_rules.breakdown_labels(item, form)
        stored = value if isinstance(value, dict) else {}
        return Entry(
            label,
            grid=Grid(
                header=("服务类型", *(column.label for column in item.columns)),
                rows=tuple(
                    (
                        str(labels.get(option, option)),
                        *(
                            answer_rules.cell_display(column, (entry or {}).get(column.key))
                            for column in item.columns
                        ),
                    )
                    for option, entry in stored.items()
                    if isinstance(entry, dict)
                ),
            ),
        )
    return Entry(label, text=answer_rules.display_value(item, value, form=form))


def _figure_cell(row: Column, value: Any) -> str:
    """Return a yearly figure without its unit: the row's label already names it."""
    return answer_rules.cell_display(dataclasses.replace(row, unit=""), value)


def _box_groups(item: Field, value: Any) -> tuple[BoxGroup, ...]:
    ticked = set(answer_rules.chosen(value))
    typed = answer_rules.other_answers(value)

    def box(option: Any) -> Box:
        return Box(option.label, option.key in ticked, typed.get(option.key, "").strip())

    if item.groups:
        return tuple(
            BoxGroup(group.label, tuple(box(option) for option in item.options if option.group == group.key))
            for group in item.groups
        )
    return (BoxGroup("", tuple(box(option) for option in item.options)),)


def _attachment_lines(
    form: Form, files: list[dict[str, Any]]
) -> tuple[tuple[AttachmentLine, ...], dict[str, list[str]]]:
    """Return the numbered list of attachments, in form order, and each field's "附件n" references."""
    order = {item.key: index for index, item in enumerate(form.fields())}
    labels = {item.key: item.label for item in form.fields()}
    ordered = sorted(files, key=lambda f: (order.get(f["field"], len(order)), f.get("name", "")))
    lines = []
    references: dict[str, list[str]] = {}
    for position, item in enumerate(ordered, start=1):
        name = str(item.get("name", ""))
        lines.append(
            AttachmentLine(
                position=position,
                # Files uploaded before titles were asked for go by their name without extension.
                title=str(item.get("title") or "").strip() or name.rsplit(".", 1)[0],
                name=name,
                topic=labels.get(item["field"], item["field"]),
                size=_size(item.get("size")),
                sha256=str(item.get("sha256", ""))[:12],
                attachment_id=item["id"] if isinstance(item.get("id"), int) else None,
            )
        )
        references.setdefault(item["field"], []).append(f"附件{position}")
    return tuple(lines), references


def _size(size: Any) -> str:
    if not isinstance(size, int):
        return ""
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


def _passages(form: Form, values: dict[str, Any], references: dict[str, list[str]]) -> tuple[Passage, ...]:
    """Return the written answers with the outline's headings, each heading printed once."""
    passages = []
    opened: tuple[str, ...] = ()
    counters = [0, 0, 0]
    for section in form.sections:
        if section.part != "written":
            continue
        for item in section.fields:
            if item.type != "longtext":
                continue
            path = item.indicator or (section.title, item.label)
            headings = []
            for level, name in enumerate(path, start=1):
                if level > 3:
                    break
                if opened[:level] == path[:level]:
                    continue
                counters[level - 1] += 1
                for deeper in range(level, 3):
                    counters[deeper] = 0
                headings.append(Heading(level, _numbered(level, counters[level - 1], name)))
            opened = path
            text = values.get(item.key)
            paragraphs = tuple(
                line.strip() for line in (text if isinstance(text, str) else "").splitlines() if line.strip()
            )
            passages.append(Passage(tuple(headings), paragraphs, tuple(references.get(item.key, ()))))
    return tuple(passages)


def _numbered(level: int, number: int, name: str) -> str:
    if level == 1:
        return f"{chinese_numeral(number)}、{name}"
    if level == 2:
        return f"（{chinese_numeral(number)}）{name}"
    return f"{number}. {name}"


def _commitment(form: Form, values: dict[str, Any]) -> Commitment:
    confirm = next((item for item in form.fields() if item.type == "confirm"), None)
    date_value = values.get("commitment_date")
    date_text = ""
    if isinstance(date_value, str) and date_value:
        try:
            date_text = chinese_date(datetime.strptime(date_value, "%Y-%m-%d").date())
        except ValueError:
            date_text = date_value
    person = values.get("responsible_person")
    return Commitment(
        text=confirm.text if confirm else "本申报表所有材料，均真实、完整，如有不实，愿承担相应的责任。",
        responsible_person=person.strip() if isinstance(person, str) else "",
        date=date_text,
        confirmed=bool(confirm and values.get(confirm.key) is True),
    )


def book_filename(book: Book, extension: str) -> str:
    """Return "{编号} {单位} 申报书.{extension}" ("草稿" for drafts), safe to save on any desktop."""
    prefix = book.verification.number if book.verification else "草稿"
    return safe_filename(f"{prefix} {book.unit_name} 申报书") + f".{extension}"


# Rendering -------------------------------------------------------------------------------------


def book_html(book: Book) -> str:
    """Return the HTML WeasyPrint lays out as the PDF book."""
    from shifan.documents.book_pdf import book_html as render

    return render(book)


def pdf_from_html(html: str) -> bytes:
    """Return the PDF of a book's HTML. Touches no database: process pools call it."""
    from shifan.documents.book_pdf import pdf_from_html as render

    return render(html)


def book_pdf(book: Book) -> bytes:
    return pdf_from_html(book_html(book))


def book_docx(book: Book) -> bytes:
    from shifan.documents.book_word import book_docx as render

    return render(book)
