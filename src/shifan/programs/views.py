from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from shifan.accounts.models import Role
from shifan.accounts.views import AuthenticatedRequest, RoleRequiredMixin, form_error_from
from shifan.programs import selectors, services
from shifan.programs.forms import BatchForm, NewBatchForm
from shifan.programs.models import Batch
from shifan.programs.registry import spec_file
from shifan.programs.services import REVIEW_SETTINGS, BatchError


class BatchListView(View):
    """Every opened batch, for anyone; province officers also see upcoming ones and open new ones."""

    def get(self, request: HttpRequest) -> HttpResponse:
        batches = selectors.batches_visible_to(request.user)  # type: ignore[arg-type]
        return render(request, "programs/batch_list.html", {"batches": batches})


class BatchDetailView(View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = selectors.batch_for(request.user, pk)  # type: ignore[arg-type]
        categories = [(category, batch.quota(category.key)) for category in batch.spec.categories]
        return render(
            request,
            "programs/batch_detail.html",
            {"batch": batch, "spec": batch.spec, "categories": categories},
        )


def _settings_from(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": data["name"],
        "opens_at": data["opens_at"],
        "closes_at": data["closes_at"],
        "city_deadline": data["city_deadline"],
        "quotas": {"enterprise": data["quota_enterprise"], "platform": data["quota_platform"]},
        "notice_working_days": data["notice_working_days"],
        "experts_per_application": data["experts_per_application"],
        "same_city_conflict": data["same_city_conflict"],
        "recognition_valid_years": data["recognition_valid_years"],
        **{key: data[key] for key in REVIEW_SETTINGS},
    }


class BatchCreateView(RoleRequiredMixin, View):
    allowed_roles = (Role.PROVINCE_OFFICER,)

    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        form = NewBatchForm(initial=self._initial())
        return render(request, "programs/batch_form.html", {"form": form, "new": True})

    def post(self, request: AuthenticatedRequest) -> HttpResponse:
        form = NewBatchForm(request.POST)
        if form.is_valid():
            try:
                batch = services.open_batch(
                    actor=request.user,
                    spec_file=spec_file(form.cleaned_data["spec_file"]),
                    **_settings_from(form.cleaned_data),
                )
            except BatchError as error:
                form_error_from(form, error)  # type: ignore[arg-type]
            else:
                messages.success(request, _("已发布征集批次“%(name)s”。") % {"name": batch.name})
                return redirect("programs:batch_detail", pk=batch.pk)
        return render(request, "programs/batch_form.html", {"form": form, "new": True})

    def _initial(self) -> dict[str, Any]:
        from shifan.programs.registry import spec_files

        usable = [item for item in spec_files() if item.spec]
        if not usable:
            return {}
        spec = usable[-1].spec
        assert spec is not None
        quotas = {category.key: category.quota for category in spec.categories}
        return {
            "spec_file": usable[-1].path.name,
            "name": spec.name,
            "quota_enterprise": quotas.get("enterprise", 0),
            "quota_platform": quotas.get("platform", 0),
            "notice_working_days": spec.defaults.notice_working_days,
            "experts_per_application": spec.defaults.experts_per_application,
            "same_city_conflict": spec.defaults.same_city_conflict,
            "recognition_valid_years": spec.defaults.recognition_valid_years,
        }


class BatchEditView(RoleRequiredMixin, View):
    allowed_roles = (Role.PROVINCE_OFFICER,)

    def get(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        batch = selectors.batch_for(request.user, pk)
        return render(
            request,
            "programs/batch_form.html",
            {"form": BatchForm(initial=self._initial(batch)), "batch": batch},
        )

    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        batch = selectors.batch_for(request.user, pk)
        form = BatchForm(request.POST)
        if form.is_valid():
            try:
                services.update_batch(actor=request.user, batch=batch, **_settings_from(form.cleaned_data))
            except BatchError as error:
                form_error_from(form, error)  # type: ignore[arg-type]
            else:
                messages.success(request, _("征集批次已保存。"))
                return redirect("programs:batch_detail", pk=batch.pk)
        return render(request, "programs/batch_form.html", {"form": form, "batch": batch})

    def _initial(self, batch: Batch) -> dict[str, Any]:
        return {
            "name": batch.name,
            "opens_at": batch.opens_at,
            "closes_at": batch.closes_at,
            "city_deadline": batch.city_deadline,
            "quota_enterprise": batch.quota("enterprise"),
            "quota_platform": batch.quota("platform"),
            "notice_working_days": batch.notice_working_days,
            "experts_per_application": batch.experts_per_application,
            "same_city_conflict": batch.same_city_conflict,
            "recognition_valid_years": batch.recognition_valid_years,
            **{key: getattr(batch, key) for key in REVIEW_SETTINGS},
        }
