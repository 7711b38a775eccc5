"""The public case library (no login, no cookie, cacheable) and the province officers' case pages."""

import re
from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from shifan.accounts.views import AuthenticatedRequest, ProvinceMixin, actor_of, paginate, render_view
from shifan.cases import pictures, selectors, services
from shifan.cases.forms import CaseForm, NewCaseForm, PictureForm, WithdrawForm
from shifan.cases.models import CasePicture, CaseState, TypicalCase
from shifan.cases.modes import declared_mode, mode_choices
from shifan.cases.services import CaseError
from shifan.core import reference
from shifan.core.http import public_copy, public_page, refused, show_refusal
from shifan.publicity.models import DemonstrationUnit


def _picture_response(picture: CasePicture, request: HttpRequest) -> FileResponse:
    """Serve a picture (or its thumbnail) inline with the type its content was checked to be."""
    small = request.GET.get("size") == "thumb" and bool(picture.thumbnail)
    stored = picture.thumbnail if small else picture.file
    response = FileResponse(stored.open("rb"), content_type=picture.content_type)
    response["Content-Disposition"] = "inline"
    return response


# ---------------------------------------------------------------------------------------------
# Public library


class PublicCaseListView(View):
    """The library. Its unfiltered pages, which most visitors see, are served from the copy
    rendered for what the library holds now; a search or a filter is rendered each time (any text
    may be searched: keeping a copy of each would let anyone fill the cache)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        filters = {
            "mode": request.GET.get("mode", ""),
            "city_code": request.GET.get("city", ""),
            "query": request.GET.get("q", "").strip(),
        }

        def page() -> HttpResponse:
            modes, cities = selectors.public_filters()
            return render(
                request,
                "cases/public_list.html",
                {
                    "page": paginate(request, selectors.public_cases(**filters)),
                    "filters": filters,
                    "modes": modes,
                    "cities": cities,
                    "filtered": any(filters.values()),
                },
            )

        number = request.GET.get("page", "1")
        if set(request.GET) <= {"page"} and re.fullmatch(r"[1-9][0-9]{0,2}", number):
            return public_copy(f"cases:{number}", selectors.public_version(), page)
        return public_page(page())


class PublicCaseView(View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        case, case_pictures = selectors.public_case(pk)
        return public_page(
            render(request, "cases/public_case.html", {"case": case, "pictures": case_pictures})
        )


class PublicPictureView(View):
    def get(self, request: HttpRequest, pk: int, picture_pk: int) -> FileResponse:
        return public_page(_picture_response(selectors.public_picture(pk, picture_pk), request))


# ---------------------------------------------------------------------------------------------
# Province officers


def _modes_of(unit: DemonstrationUnit | None) -> list[tuple[str, str]]:
    return mode_choices(unit.announcement.batch) if unit is not None else []


class CaseListView(ProvinceMixin, View):
    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        filters = {
            "state": request.GET.get("state", ""),
            "mode": request.GET.get("mode", ""),
            "city_code": request.GET.get("city", ""),
            "query": request.GET.get("q", "").strip(),
        }
        unit = selectors.units_for_cases().first()
        return render(
            request,
            "cases/list.html",
            {
                "page": paginate(request, selectors.cases_for_officers(**filters)),
                "filters": filters,
                "states": [*CaseState.choices, ("hidden", "单位已撤销")],
                "modes": _modes_of(unit),
                "cities": reference.cities(),
                "filtered": any(filters.values()),
                "has_units": unit is not None,
            },
        )


class CaseCreateView(ProvinceMixin, View):
    template_name = "cases/new.html"

    def get(self, request: AuthenticatedRequest, form: NewCaseForm | None = None) -> HttpResponse:
        units = list(selectors.units_for_cases().select_related("announcement__batch", "application"))
        by_pk = {unit.pk: unit for unit in units}
        # The unit comes from the picker (GET) or, when a posted form is shown again, from the post.
        chosen_pk = request.POST.get("unit", "") if form is not None else request.GET.get("unit", "")
        chosen = by_pk.get(int(chosen_pk)) if chosen_pk.isdigit() else None
        modes = _modes_of(chosen or (units[0] if units else None))
        if form is None:
            initial: dict[str, Any] = {}
            if chosen is not None:
                initial = {
                    "unit": chosen.pk,
                    "mode": declared_mode(chosen.application.answers, modes),
                    "title": f"{chosen.unit_name}：",
                }
            form = NewCaseForm(units=units, modes=modes, initial=initial)
        return render(request, self.template_name, {"form": form, "chosen": chosen, "has_units": bool(units)})

    def post(self, request: AuthenticatedRequest) -> HttpResponse:
        units = list(selectors.units_for_cases().select_related("announcement__batch"))
        posted = request.POST.get("unit", "")
        unit = next((u for u in units if str(u.pk) == posted), None)
        form = NewCaseForm(request.POST, units=units, modes=_modes_of(unit or (units[0] if units else None)))
        if not form.is_valid():
            return refused(self.get(request, form))
        data = form.cleaned_data
        assert unit is not None  # the form accepts only the listed units
        try:
            case = services.create_case(
                actor=actor_of(request),
                unit=unit,
                title=data["title"],
                summary=data["summary"],
                mode=data["mode"],
                body=data["body"],
            )
        except CaseError as error:
            show_refusal(form, error)
            return refused(self.get(request, form))
        messages.success(request, "案例草稿已保存。可添加图片，确认无误后发布。")
        return redirect("cases:case", pk=case.pk)


class CaseView(ProvinceMixin, View):
    """The officer's page of one case: its text (editable), pictures, state actions and history."""

    template_name = "cases/case.html"

    def get(self, request: AuthenticatedRequest, pk: int, **forms: Any) -> HttpResponse:
        case = selectors.case_for_officer(pk)
        modes = mode_choices(case.unit.announcement.batch)
        form = forms.get("form") or CaseForm(
            modes=modes,
            initial={"title": case.title, "summary": case.summary, "mode": case.mode, "body": case.body},
        )
        return render(
            request,
            self.template_name,
            {
                "case": case,
                "form": form,
                "picture_form": forms.get("picture_form") or PictureForm(),
                "withdraw_form": forms.get("withdraw_form") or WithdrawForm(),
                "publish_error": forms.get("publish_error", ""),
                "pictures": list(case.pictures.all()),
                "max_pictures": pictures.MAX_PICTURES,
                "publish_refusal": services.publish_refusal(case),
                "history": selectors.case_history(case)[:50],
                "editable": case.state != CaseState.WITHDRAWN,
            },
        )

    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        case = selectors.case_for_officer(pk)
        form = CaseForm(request.POST, modes=mode_choices(case.unit.announcement.batch))
        if form.is_valid():
            try:
                services.update_case(actor=actor_of(request), case=case, **form.cleaned_data)
            except CaseError as error:
                show_refusal(form, error)
            else:
                messages.success(request, "案例已保存。")
                return redirect("cases:case", pk=pk)
        return refused(self.get(request, pk, form=form))


class PictureAddView(ProvinceMixin, View):
    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        case = selectors.case_for_officer(pk)
        form = PictureForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.add_picture(
                    actor=actor_of(request),
                    case=case,
                    uploaded=form.cleaned_data["picture"],
                    caption=form.cleaned_data["caption"],
                )
            except CaseError as error:
                show_refusal(form, error)
            else:
                messages.success(request, "图片已添加。")
                return redirect("cases:case", pk=pk)
        return refused(render_view(CaseView, request, pk=pk, picture_form=form))


class PictureRemoveView(ProvinceMixin, View):
    def post(self, request: AuthenticatedRequest, pk: int, picture_pk: int) -> HttpResponse:
        picture = selectors.picture_for_officer(pk, picture_pk)
        try:
            services.remove_picture(actor=actor_of(request), picture=picture)
        except CaseError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "图片已删除。")
        return redirect("cases:case", pk=pk)


class PictureView(ProvinceMixin, View):
    def get(self, request: AuthenticatedRequest, pk: int, picture_pk: int) -> FileResponse:
        return _picture_response(selectors.picture_for_officer(pk, picture_pk), request)


class CasePublishView(ProvinceMixin, View):
    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        case = selectors.case_for_officer(pk)
        try:
            services.publish_case(actor=actor_of(request), case=case)
        except CaseError as error:
            return refused(render_view(CaseView, request, pk=pk, publish_error=error.message))
        messages.success(request, "案例已发布到典型案例库。")
        return redirect("cases:case", pk=pk)


class CaseWithdrawView(ProvinceMixin, View):
    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        case: TypicalCase = selectors.case_for_officer(pk)
        form = WithdrawForm(request.POST)
        if form.is_valid():
            try:
                services.withdraw_case(actor=actor_of(request), case=case, reason=form.cleaned_data["reason"])
            except CaseError as error:
                show_refusal(form, error)
            else:
                messages.success(request, "案例已从典型案例库撤下。")
                return redirect("cases:case", pk=pk)
        return refused(render_view(CaseView, request, pk=pk, withdraw_form=form))
