"""The province's page of holiday overrides, with a calculator of notice periods."""

from datetime import date
from itertools import groupby
from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from shifan.accounts.views import AuthenticatedRequest, ProvinceMixin, render_view
from shifan.publicity import workdays
from shifan.publicity.calendar import (
    CalendarError,
    add_calendar_override,
    calendar_override_for,
    calendar_override_list,
    calendar_override_notes,
    calendar_override_years,
    calendar_overrides,
    calendar_year_marks,
    complete_years,
    holiday_proposals,
    import_calendar_overrides,
    mark_year_complete,
    proposal_text,
    remove_calendar_override,
    unmark_year,
)
from shifan.publicity.calendar_forms import (
    CalculatorForm,
    OverrideForm,
    OverrideImportForm,
    YearReopenForm,
)
from shifan.publicity.models import DayKind
from shifan.publicity.services import notices_to_review


def _calendar_url(year: int | None = None) -> str:
    url = reverse("publicity:calendar")
    return f"{url}?year={year}" if year else url


def _show_refusal(form: Form, error: CalendarError) -> None:
    """Show a service's refusal beside the field it names, one line per detail, or above the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)
    for detail in error.details:
        form.add_error(field, detail)


def _year_filter(request: AuthenticatedRequest) -> int | None:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return None
    return year if date.min.year <= year <= date.max.year else None


def _warn_notices(request: AuthenticatedRequest) -> None:
    """Tell the officer which notices' published end a change of the calendar no longer gives."""
    for notice, end in notices_to_review():
        messages.warning(
            request,
            f"“{notice.title}”的公示截止日期 {notice.ends_on:%Y-%m-%d} 已与现行日历不一致"
            f"（应为 {end:%Y-%m-%d}），请在公示页面决定延长或保留。",
        )


def _year_param(request: AuthenticatedRequest, name: str) -> int | None:
    try:
        year = int(request.POST.get(name, request.GET.get(name, "")))
    except ValueError:
        return None
    return year if 1901 <= year <= 2099 else None


def calculate_period(start: date, working_days: int) -> dict[str, Any]:
    """Return what the calculator shows: the end, the days counted and skipped, uncovered years."""
    overrides = calendar_overrides(start=start)
    end = workdays.notice_end(start, working_days, overrides)
    return {
        "start": start,
        "working_days": working_days,
        "end": end,
        "counted": workdays.working_days_between(start, end, overrides),
        "skipped": workdays.skipped_days(start, end, overrides, calendar_override_notes(start, end)),
        "uncovered": workdays.uncovered_years(start, end, complete_years()),
    }


class CalendarView(ProvinceMixin, View):
    template_name = "publicity/calendar.html"

    def get(
        self,
        request: AuthenticatedRequest,
        add_form: OverrideForm | None = None,
        import_form: OverrideImportForm | None = None,
        status: int = 200,
    ) -> HttpResponse:
        year = _year_filter(request)
        today = timezone.localdate()
        covered = workdays.covered_years()
        years = calendar_override_years()
        marks = calendar_year_marks()
        groups = [
            {
                "year": group_year,
                "covered": group_year in covered,
                "mark": marks.get(group_year),
                "overrides": list(rows),
            }
            for group_year, rows in groupby(calendar_override_list(year), key=lambda row: row.day.year)
        ]
        # This year and the next (and the year looked at) when neither the package nor a mark covers them.
        shown = {today.year, today.year + 1} | ({year} if year else set())
        missing = [
            missing_year
            for missing_year in sorted(shown)
            if missing_year not in covered and missing_year not in marks
        ]
        proposals = {missing_year: holiday_proposals(missing_year) for missing_year in missing}
        propose = _year_param(request, "propose")
        if import_form is None and propose in proposals:
            import_form = OverrideImportForm(initial={"text": proposal_text(proposals[propose])})
        calculator = CalculatorForm(request.GET) if "start" in request.GET else CalculatorForm()
        period = None
        if calculator.is_bound and calculator.is_valid():
            period = calculate_period(calculator.cleaned_data["start"], calculator.cleaned_data["days"])
        return render(
            request,
            self.template_name,
            {
                "groups": groups,
                "year": year,
                "year_choices": sorted({*years, today.year, today.year + 1}),
                "covered_first": covered[0],
                "covered_last": covered[-1],
                "missing_years": [
                    {"year": missing_year, "proposals": proposals[missing_year]} for missing_year in missing
                ],
                "notices_to_review": notices_to_review(),
                "add_form": add_form or OverrideForm(initial={"kind": DayKind.HOLIDAY}),
                "import_form": import_form or OverrideImportForm(),
                "calculator": calculator,
                "period": period,
            },
            status=status,
        )


class CalendarAddView(ProvinceMixin, View):
    def post(self, request: AuthenticatedRequest) -> HttpResponse:
        form = OverrideForm(request.POST)
        if form.is_valid():
            try:
                override = add_calendar_override(actor=request.user, **form.cleaned_data)
            except CalendarError as error:
                _show_refusal(form, error)
            else:
                messages.success(
                    request, f"已将 {override.day:%Y-%m-%d} 登记为{override.get_kind_display()}。"
                )
                _warn_notices(request)
                return redirect(_calendar_url(override.day.year))
        return render_view(CalendarView, request, add_form=form, status=400)


class CalendarImportView(ProvinceMixin, View):
    def post(self, request: AuthenticatedRequest) -> HttpResponse:
        form = OverrideImportForm(request.POST)
        if form.is_valid():
            try:
                created = import_calendar_overrides(actor=request.user, text=form.cleaned_data["text"])
            except CalendarError as error:
                _show_refusal(form, error)
            else:
                holidays = sum(1 for override in created if override.kind == DayKind.HOLIDAY)
                workdays_count = len(created) - holidays
                messages.success(
                    request, f"已登记 {len(created)} 天：休息日 {holidays} 天，调休上班 {workdays_count} 天。"
                )
                _warn_notices(request)
                years = {override.day.year for override in created}
                return redirect(_calendar_url(years.pop() if len(years) == 1 else None))
        return render_view(CalendarView, request, import_form=form, status=400)


class CalendarRemoveView(ProvinceMixin, View):
    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        override = calendar_override_for(pk)
        day, kind = override.day, override.get_kind_display()
        try:
            remove_calendar_override(actor=request.user, override=override)
        except CalendarError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"已删除 {day:%Y-%m-%d} 的调整（{kind}）。")
            _warn_notices(request)
        return redirect(_calendar_url(day.year))


class CalendarYearView(ProvinceMixin, View):
    """Mark a year's arrangement complete, or withdraw the mark with a reason."""

    def post(self, request: AuthenticatedRequest) -> HttpResponse:
        year = _year_param(request, "year")
        if year is None:
            messages.error(request, "年份无效。")
            return redirect(_calendar_url())
        try:
            if request.POST.get("action") == "reopen":
                form = YearReopenForm(request.POST)
                if not form.is_valid():
                    raise CalendarError("请写明撤销理由。", field="reason")
                unmark_year(actor=request.user, year=year, reason=form.cleaned_data["reason"])
                messages.success(request, f"已撤销 {year} 年的完整标记，该年重新按未完整登记处理。")
            else:
                mark_year_complete(actor=request.user, year=year)
                messages.success(request, f"已标记 {year} 年放假安排已完整登记，计算公示期时不再提示。")
        except CalendarError as error:
            messages.error(request, error.message)
        else:
            _warn_notices(request)
        return redirect(_calendar_url(year))
