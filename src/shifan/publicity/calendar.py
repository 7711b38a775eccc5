"""The province's holiday overrides (节假日调整): reading them for the calendar, and changing them.

Officers add the days of a year the holiday package does not cover yet, one by one or by pasting
the State Council's notice as lines (`parse_overrides`); an override also wins over the package,
for the rare day the province itself declares otherwise. Only province officers change them.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from shifan.accounts.models import User
from shifan.core.dates import no_such_day
from shifan.core.services import record_event
from shifan.publicity import workdays
from shifan.publicity.models import CalendarOverride, CalendarYear, DayKind

NOTE_MAX_LENGTH = CalendarOverride._meta.get_field("note").max_length or 100
# The longest span one pasted line may cover: the longest holiday, the Spring Festival, is 9 days.
MAX_RANGE_DAYS = 31

# What the State Council's notices and officers write for each kind of day.
KIND_WORDS = {
    "休": DayKind.HOLIDAY,
    "休息": DayKind.HOLIDAY,
    "休息日": DayKind.HOLIDAY,
    "假": DayKind.HOLIDAY,
    "放假": DayKind.HOLIDAY,
    "班": DayKind.WORKDAY,
    "上班": DayKind.WORKDAY,
    "补班": DayKind.WORKDAY,
    "工作日": DayKind.WORKDAY,
}

_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_RANGE_MARK = re.compile(r"\s*[至~～]\s*")
_SEPARATOR = re.compile(r"[\s,，、;；:：]+")


class CalendarError(Exception):
    """Raised when a change to the holiday overrides is refused; `message` says why."""

    def __init__(self, message: str, *, field: str | None = None, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or []


@dataclass(frozen=True)
class PastedDay:
    """One day of a pasted block, with the line it came from (counted from 1)."""

    line: int
    day: date
    kind: str
    note: str


@dataclass(frozen=True)
class LineError:
    """What is wrong with one pasted line."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"第 {self.line} 行：{self.message}"


def _require_province(actor: User) -> None:
    if not actor.is_province_officer:
        raise CalendarError("只有省工信厅可以维护节假日调整。")


def _describe(override: CalendarOverride) -> dict[str, str]:
    return {"day": override.day.isoformat(), "kind": override.kind, "note": override.note}


def _already_stored(override: CalendarOverride) -> str:
    return f"{override.day:%Y-%m-%d} 已登记为{override.get_kind_display()}，如需修改请先删除原调整。"


# ---------------------------------------------------------------------------------------------
# Reads


def calendar_overrides(start: date | None = None, end: date | None = None) -> dict[date, str]:
    """Return the overrides in [start, end] (either end open when None) as day → kind."""
    queryset = CalendarOverride.objects.all()
    if start is not None:
        queryset = queryset.filter(day__gte=start)
    if end is not None:
        queryset = queryset.filter(day__lte=end)
    return dict(queryset.values_list("day", "kind"))


def calendar_override_notes(start: date, end: date) -> dict[date, str]:
    """Return the notes of the overrides in [start, end] that have one, as day → note."""
    return dict(
        CalendarOverride.objects.filter(day__range=(start, end)).exclude(note="").values_list("day", "note")
    )


def calendar_override_list(year: int | None = None) -> QuerySet[CalendarOverride]:
    """Return the overrides of one year, or all of them, in date order, with who added them."""
    queryset = CalendarOverride.objects.select_related("created_by").order_by("day")
    if year is not None:
        queryset = queryset.filter(day__year=year)
    return queryset


def calendar_override_for(pk: int) -> CalendarOverride:
    """Return one override; 404 when there is none."""
    return get_object_or_404(CalendarOverride, pk=pk)


def complete_years() -> set[int]:
    """Return the years the province marked complete (their whole arrangement entered)."""
    return set(CalendarYear.objects.values_list("year", flat=True))


def calendar_year_marks() -> dict[int, CalendarYear]:
    """Return the marks of complete years by year, with who marked them."""
    return {mark.year: mark for mark in CalendarYear.objects.select_related("marked_by")}


def holiday_proposals(year: int) -> list[PastedDay]:
    """Return the statutory holidays of a year not stored yet, as lines to confirm and import.

    Empty for a year outside the lunar table. The State Council's bridging days and weekends
    worked in lieu are not among them: the officer adds those from the notice.
    """
    try:
        days = workdays.statutory_holidays(year)
    except ValueError:
        return []
    stored = set(CalendarOverride.objects.filter(day__year=year).values_list("day", flat=True))
    return [
        PastedDay(line=index, day=day, kind=DayKind.HOLIDAY, note=name)
        for index, (day, name) in enumerate(days, start=1)
        if day not in stored
    ]


def proposal_text(proposals: list[PastedDay]) -> str:
    """Return proposals as the lines of the paste box: "2027-02-05 休 春节"."""
    return "".join(f"{pasted.day:%Y-%m-%d} 休 {pasted.note}\n" for pasted in proposals)


def calendar_override_years() -> list[int]:
    """Return the years that have at least one override, in order."""
    return [day.year for day in CalendarOverride.objects.dates("day", "year")]


# ---------------------------------------------------------------------------------------------
# Parsing a pasted block


MSG_NO_SUCH_DAY = "这一天不存在"


def _parse_day(text: str) -> date | str:
    """Return the day written, or why it cannot be read: not a date, or a day no calendar has."""
    match = _DATE.fullmatch(text)
    if match is None:
        return f"日期“{text}”无法识别，请写成 2027-01-01 的格式。"
    if no_such_day(text):
        return f"{text}：{MSG_NO_SUCH_DAY}。"
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return f"日期“{text}”无法识别，请写成 2027-01-01 的格式。"


def _parse_line(number: int, line: str) -> list[PastedDay] | LineError:
    parts = _SEPARATOR.split(_RANGE_MARK.sub("至", line.strip()), maxsplit=2)
    when = parts[0]
    first_text, span, last_text = when.partition("至")
    first = _parse_day(first_text)
    last = _parse_day(last_text) if span else first
    for parsed in (first, last):
        if isinstance(parsed, str):
            return LineError(number, parsed)
    assert isinstance(first, date)
    assert isinstance(last, date)
    if last < first:
        return LineError(number, f"日期段“{when}”的结束日期早于开始日期。")
    if (last - first).days >= MAX_RANGE_DAYS:
        return LineError(number, f"日期段“{when}”超过 {MAX_RANGE_DAYS} 天，请核对。")
    if len(parts) < 2:
        return LineError(number, "缺少类型，请在日期后写“休”或“班”。")
    kind = KIND_WORDS.get(parts[1])
    if kind is None:
        return LineError(number, f"类型“{parts[1]}”无法识别，请写“休”（休息日）或“班”（调休上班）。")
    note = parts[2].strip() if len(parts) > 2 else ""
    if len(note) > NOTE_MAX_LENGTH:
        return LineError(number, f"说明不能超过 {NOTE_MAX_LENGTH} 个字。")
    return [
        PastedDay(number, first + timedelta(days=offset), kind, note)
        for offset in range((last - first).days + 1)
    ]


def parse_overrides(text: str) -> tuple[list[PastedDay], list[LineError]]:
    """Read a pasted block, one day (or `起始日期至结束日期`) per line: date, 休 or 班, optional note.

    Return the days and the errors of the lines that cannot be read, a day pasted twice included;
    blank lines and lines starting with # are skipped.
    """
    days: list[PastedDay] = []
    errors: list[LineError] = []
    first_line: dict[date, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parsed = _parse_line(number, line)
        if isinstance(parsed, LineError):
            errors.append(parsed)
            continue
        repeated = [pasted.day for pasted in parsed if pasted.day in first_line]
        if repeated:
            earlier = first_line[repeated[0]]
            errors.append(LineError(number, f"{repeated[0]:%Y-%m-%d} 与第 {earlier} 行重复。"))
            continue
        for pasted in parsed:
            first_line[pasted.day] = number
        days.extend(parsed)
    return days, errors


# ---------------------------------------------------------------------------------------------
# Changes


@transaction.atomic
def add_calendar_override(*, actor: User, day: date, kind: str, note: str = "") -> CalendarOverride:
    """Declare one day a holiday or a workday."""
    _require_province(actor)
    if kind not in DayKind.values:
        raise CalendarError("请选择休息日或调休上班。", field="kind")
    existing = CalendarOverride.objects.filter(day=day).first()
    if existing is not None:
        raise CalendarError(_already_stored(existing), field="day")
    override = CalendarOverride(day=day, kind=kind, note=note.strip(), created_by=actor)
    override.full_clean(validate_unique=False)
    try:
        # A savepoint, so that losing a race on the unique day leaves the transaction usable.
        with transaction.atomic():
            override.save()
    except IntegrityError as error:
        raise CalendarError(_already_stored(CalendarOverride.objects.get(day=day)), field="day") from error
    record_event(
        actor=actor, action="publicity.calendar_override_added", target=override, after=_describe(override)
    )
    return override


@transaction.atomic
def mark_year_complete(*, actor: User, year: int) -> CalendarYear:
    """Record that a year's holiday arrangement is fully entered: from now on it counts as covered."""
    _require_province(actor)
    if year in workdays.covered_years():
        raise CalendarError(f"{year} 年的放假安排已由国家法定节假日数据自动计算，无需标记。")
    mark, created = CalendarYear.objects.get_or_create(year=year, defaults={"marked_by": actor})
    if created:
        holidays = CalendarOverride.objects.filter(day__year=year, kind=DayKind.HOLIDAY).count()
        record_event(
            actor=actor,
            action="publicity.calendar_year_completed",
            target=mark,
            after={"year": year, "holidays": holidays},
        )
    return mark


@transaction.atomic
def unmark_year(*, actor: User, year: int, reason: str) -> None:
    """Withdraw a year's mark: it counts as uncovered again until marked anew."""
    _require_province(actor)
    if not reason.strip():
        raise CalendarError("请写明撤销理由。", field="reason")
    mark = CalendarYear.objects.filter(year=year).first()
    if mark is None:
        return
    record_event(
        actor=actor,
        action="publicity.calendar_year_reopened",
        target=mark,
        reason=reason.strip(),
        before={"year": year},
    )
    mark.delete()


@transaction.atomic
def remove_calendar_override(*, actor: User, override: CalendarOverride) -> None:
    """Remove one override; the day goes back to the holiday package or to Monday to Friday."""
    _require_province(actor)
    record_event(
        actor=actor,
        action="publicity.calendar_override_removed",
        target=override,
        before=_describe(override),
    )
    override.delete()


@transaction.atomic
def import_calendar_overrides(*, actor: User, text: str) -> list[CalendarOverride]:
    """Save every day of a pasted block, or none of them when any line is wrong.

    Raise `CalendarError` on the `text` field with one detail per bad line, a day already
    stored included.
    """
    _require_province(actor)
    days, errors = parse_overrides(text)
    if not days and not errors:
        raise CalendarError("请粘贴至少一行，例如“2027-01-01 休 元旦”。", field="text")
    stored = {
        override.day: override for override in CalendarOverride.objects.filter(day__in=[d.day for d in days])
    }
    for pasted in days:
        if pasted.day in stored:
            errors.append(LineError(pasted.line, _already_stored(stored[pasted.day])))
    if errors:
        errors.sort(key=lambda error: error.line)
        raise CalendarError(
            f"有 {len(errors)} 处需要修改，本次未保存任何调整。",
            field="text",
            details=[str(error) for error in errors],
        )
    created = []
    for pasted in days:
        override = CalendarOverride(day=pasted.day, kind=pasted.kind, note=pasted.note, created_by=actor)
        override.full_clean(validate_unique=False)
        try:
            with transaction.atomic():
                override.save()
        except IntegrityError as error:
            raise CalendarError(
                f"{pasted.day:%Y-%m-%d} 刚被其他人登记，本次未保存任何调整，请刷新后重试。", field="text"
            ) from error
        record_event(
            actor=actor,
            action="publicity.calendar_override_added",
            target=override,
            reason="粘贴导入",
            after=_describe(override),
        )
        created.append(override)
    return created
