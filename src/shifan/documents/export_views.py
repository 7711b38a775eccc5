"""The 申报书批量导出 page: a city or province officer queues a ZIP of a selection's books and
watches it being made (htmx polls the job's row every second until it is done or failed)."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View

from shifan.accounts.models import Role, User
from shifan.accounts.views import AuthenticatedRequest, RoleRequiredMixin, paginate
from shifan.applications.models import ApplicationState
from shifan.core import reference
from shifan.core.forms import StyledForm, set_choices
from shifan.core.http import attachment_disposition
from shifan.documents import exports
from shifan.documents.models import KEEP_DAYS, ExportJob, ExportState
from shifan.programs.models import Batch
from shifan.programs.selectors import batches_visible_to

EXPORTERS = (Role.CITY_OFFICER, Role.PROVINCE_OFFICER)


class ExportForm(StyledForm):
    """Which books: a batch, a city (the province only; a city exports its own), a category."""

    batch = forms.ChoiceField(label="征集批次")
    city = forms.ChoiceField(label="城市", required=False)
    category = forms.ChoiceField(label="申报类别", required=False)
    state = forms.ChoiceField(label="申报状态", required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.batches = {batch.pk: batch for batch in batches_visible_to(user).order_by("-opens_at")}
        set_choices(self, "batch", [(pk, batch.name) for pk, batch in self.batches.items()])
        if self.batches and "batch" not in self.initial:
            # The latest batch that has books for the officer, not an empty new one.
            self.initial["batch"] = exports.latest_batch_with_books(user) or next(iter(self.batches))
        if user.is_province_officer:
            set_choices(self, "city", [("", "全部城市"), *reference.city_choices()])
        else:
            del self.fields["city"]
        # The categories of every batch the officer sees (a batch without one refuses it).
        categories: dict[str, str] = {}
        for batch in self.batches.values():
            for category in batch.spec.categories:
                categories.setdefault(category.key, str(category.name))
        set_choices(self, "category", [("", "全部类别"), *categories.items()])
        set_choices(
            self,
            "state",
            [("", "全部状态"), *((state, ApplicationState(state).label) for state in exports.EXPORT_STATES)],
        )

    def clean_batch(self) -> Batch:
        return self.batches[int(self.cleaned_data["batch"])]

    def selection(self) -> tuple[Batch, str, str, str] | None:
        """Return (batch, city code, category, state) of the form, or its initial values when unbound.

        A city officer's own city is filled in; None when the form is invalid or there is no batch.
        """
        own_city = "" if self.user.is_province_officer else self.user.city_code
        if not self.is_bound:
            batch = self.batches.get(self.initial.get("batch"))  # type: ignore[arg-type]
            return (batch, own_city, "", "") if batch else None
        if not self.is_valid():
            return None
        city_code = self.cleaned_data.get("city", "") if self.user.is_province_officer else own_city
        return (
            self.cleaned_data["batch"],
            city_code,
            self.cleaned_data["category"],
            self.cleaned_data["state"],
        )


def _count_context(user: User, form: ExportForm) -> dict[str, Any]:
    """Return how many books the form's selection holds, with the selection's name."""
    selection = form.selection()
    if selection is None:
        return {"count": None}
    batch, city_code, category, state = selection
    allowed, reason = exports.can_export(user, city_code)
    if not allowed:
        return {"count": None, "refusal": reason}
    books = exports.applications_for_export(user, batch, city_code=city_code, category=category, state=state)
    return {
        "count": books.count(),
        "selection_label": exports.selection_label(batch, city_code, category, state),
    }


class ExportListView(RoleRequiredMixin, View):
    """The export form with the selection's book count, and the officer's recent exports."""

    allowed_roles = EXPORTERS

    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        form = ExportForm(request.GET if "batch" in request.GET else None, user=request.user)
        if request.headers.get("HX-Request") == "true":  # the form changed: only the count
            return render(request, "documents/_export_count.html", _count_context(request.user, form))
        return self.page(request, form)

    def post(self, request: AuthenticatedRequest) -> HttpResponse:
        form = ExportForm(request.POST, user=request.user)
        selection = form.selection()
        if selection is None:
            return self.page(request, form, status=400)
        batch, city_code, category, state = selection
        try:
            job, created = exports.request_export(
                actor=request.user, batch=batch, city_code=city_code, category=category, state=state
            )
        except exports.ExportRefused as error:
            field = error.field if error.field in form.fields else None
            form.add_error(field, error.message)
            return self.page(request, form, status=400)
        if created:
            messages.success(
                request, _("已开始导出%(total)s份申报书，完成后可在下方下载。") % {"total": job.total}
            )
        else:
            messages.info(request, _("相同范围的导出正在进行，请等待它完成。"))
        # The form keeps the selection just exported.
        query = urlencode({"batch": str(batch.pk), "city": city_code, "category": category, "state": state})
        return redirect(f"{reverse('documents:exports')}?{query}")

    def page(self, request: AuthenticatedRequest, form: ExportForm, *, status: int = 200) -> HttpResponse:
        exports.fail_stalled_exports(request.user)
        jobs = paginate(request, exports.export_jobs_of(request.user))
        context = {"form": form, "page": jobs, "keep_days": KEEP_DAYS, **_count_context(request.user, form)}
        return render(request, "documents/exports.html", context, status=status)


class ExportProgressView(RoleRequiredMixin, View):
    """One export's row, polled by htmx while it is queued or running."""

    allowed_roles = EXPORTERS

    def get(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        exports.fail_stalled_exports(request.user)
        job = exports.export_job_for(request.user, pk)
        return render(request, "documents/_export_job.html", {"job": job})


class ExportDownloadView(RoleRequiredMixin, View):
    """The finished ZIP, for the officer who asked for it; nobody else (404)."""

    allowed_roles = EXPORTERS

    def get(self, request: AuthenticatedRequest, pk: int) -> FileResponse:
        job: ExportJob = exports.export_job_for(request.user, pk)
        if job.state != ExportState.DONE or not job.file:
            raise Http404
        try:
            handle = job.file.open("rb")
        except FileNotFoundError as error:  # deleted from the disk by hand
            raise Http404 from error
        response = FileResponse(handle, content_type="application/zip")
        response["Content-Disposition"] = attachment_disposition(job.download_name, f"export-{job.pk}.zip")
        return response
