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
    import_calendar_overrides,
    remove_calendar_override,
)
from shifan.publicity.calendar_forms import CalculatorForm, OverrideForm, OverrideImportForm
from shifan.publicity.models import DayKind


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


def calculate_period(start: date, working_days: int) -> dict[str, Any]:
    """Return what the calculator shows: the end, the days counted and skipped, uncovered years."""
    # From the first of the start's year: whether a year has any override decides its warning.
    overrides = calendar_overrides(start=date(start.year, 1, 1))
    end = workdays.notice_end(start, working_days, overrides)
    return {
        "start": start,
        "working_days": working_days,
        "end": end,
        "counted": workdays.working_days_between(start, end, overrides),
        "skipped": workdays.skipped_days(start, end, overrides, calendar_override_notes(start, end)),
        "uncovered": workdays.uncovered_years(start, end, overrides),
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
        groups = [
            {"year": group_year, "covered": group_year in covered, "overrides": list(rows)}
            for group_year, rows in groupby(calendar_override_list(year), key=lambda row: row.day.year)
        ]
        calculator = CalculatorForm(request.GET) if "start" in request.GET else CalculatorForm()
        period = None
        if calculator.is_bound and calculator.is_valid():
            period = calculate_period(calculator.cleaned_data["start"], calculator.cleaned_data["days"])
        next_year_end = date(today.year + 1, 12, 31)
        return render(
            request,
            self.template_name,
            {
                "groups": groups,
                "year": year,
                "year_choices": sorted({*years, today.year, today.year + 1}),
                "covered_first": covered[0],
                "covered_last": covered[-1],
                # This year and the next, when neither the package nor an override covers them.
                "missing_years": workdays.uncovered_years(
                    date(today.year, 1, 1), next_year_end, calendar_overrides(start=date(today.year, 1, 1))
                ),
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
        return redirect(_calendar_url(day.year))
