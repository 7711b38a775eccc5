from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from shifan.accounts import selectors
from shifan.accounts.models import Role
from shifan.accounts.views import RoleRequiredMixin, actor_of, show_failed_login_notice
from shifan.applications.selectors import applications_of_own_organisation, applications_visible_to
from shifan.core import reference
from shifan.core.http import xlsx_response
from shifan.dashboard import charts
from shifan.dashboard import selectors as dashboard_selectors
from shifan.dashboard.selectors import Scope
from shifan.dashboard.waiting import waiting_for
from shifan.programs.models import Batch
from shifan.programs.selectors import open_batches


class HomeView(TemplateView):
    """Each role lands on its own page with what it has to do."""

    def get_template_names(self) -> list[str]:
        user = self.request.user
        if not user.is_authenticated:
            return ["dashboard/home_public.html"]
        return [f"dashboard/home_{actor_of(self.request).role}.html"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # Shown by name and deadline: the batch's spec (some 38 kB) stays in the database.
        context["open_batches"] = open_batches().only("id", "name", "opens_at", "closes_at")
        if not self.request.user.is_authenticated:
            return context
        user = actor_of(self.request)
        show_failed_login_notice(self.request)
        if user.is_applicant:
            membership = selectors.membership_of(user)
            context["membership"] = membership
            if membership is not None:
                context["organisation"] = membership.organisation
                context["members"] = selectors.members_of(membership.organisation)
                context["applications"] = list(applications_of_own_organisation(user).defer("answers"))
                context["waiting"] = waiting_for(user, applications=context["applications"])
        elif user.is_city_officer:
            submitted = applications_visible_to(user).order_by("-submitted_at")
            context["submitted_count"] = submitted.count()
            context["recent_applications"] = submitted[:8]
            organisations = selectors.organisations_visible_to(user)
            context["organisation_count"] = organisations.count()
            context["recent_organisations"] = organisations.order_by("-created_at")[:8]
            context["warning_count"] = sum(
                1 for o in organisations.only("credit_code", "city_code") if o.credit_code_warnings
            )
        elif user.is_province_officer:
            counts = selectors.organisation_counts_by_city()
            context["city_rows"] = [(city, counts.get(city.code, 0)) for city in reference.cities()]
            context["organisation_total"] = sum(counts.values())
            context["recent_events"] = selectors.audit_events_visible_to(user)[:8]
            context["recent_applications"] = applications_visible_to(user).order_by("-submitted_at")[:8]
            context["officer_count"] = selectors.accounts_visible_to(user).exclude(role=Role.EXPERT).count()
            context["expert_count"] = selectors.accounts_visible_to(user, role=Role.EXPERT).count()
            context["progress"] = dashboard_selectors.progress()
        elif user.is_expert:
            from shifan.expert_review.selectors import open_assignments

            context["profile"] = selectors.expert_profile_of(user)
            tasks = open_assignments(user).select_related("application", "batch")
            context["task_count"] = tasks.count()
            context["open_tasks"] = list(
                tasks.filter(submitted_at__isnull=True).order_by(
                    "batch__review_deadline", "application__number"
                )[:10]
            )
            context["open_count"] = tasks.filter(submitted_at__isnull=True).count()
        if "waiting" not in context and not user.is_applicant and not user.is_expert:
            context["waiting"] = waiting_for(user)
        return context


OFFICERS = (Role.CITY_OFFICER, Role.PROVINCE_OFFICER)


class DashboardContext:
    """What a dashboard request asks for: the batch, the category, and the reader's scope.

    A city officer's scope is the own city, whatever the query string says; the province may
    narrow to one category. An unknown batch or category in the query string falls back to the
    latest batch and both categories.
    """

    def __init__(self, request: HttpRequest) -> None:
        user = actor_of(request)
        self.user = user
        self.batches = dashboard_selectors.batches()
        by_pk = {str(batch.pk): batch for batch in self.batches}
        self.batch: Batch | None = by_pk.get(request.GET.get("batch", "")) or (
            self.batches[0] if self.batches else None
        )
        self.categories = (
            [(c.key, str(c.name)) for c in self.batch.spec.categories]
            if self.batch
            else dashboard_selectors.programme_categories()
        )
        category = request.GET.get("category", "")
        if category not in {key for key, _name in self.categories}:
            category = ""
        city_code = (user.city_code or "") if user.is_city_officer else ""
        self.scope = Scope(city_code=city_code, category=category)
        self.figures = charts.Figures(self.batch, self.scope, categories=self.categories)

    @property
    def scope_label(self) -> str:
        parts = []
        if self.scope.city_code:
            parts.append(reference.city(self.scope.city_code).name)
        else:
            parts.append(_("全省"))
        if self.scope.category:
            parts.append(dict(self.categories)[self.scope.category])
        return " · ".join(parts)

    def chart_keys(self) -> list[str]:
        keys = ["progress"]
        if self.batch is not None:
            keys += list(charts.BATCH_CHARTS)
        if self.user.is_city_officer:
            keys = [key for key in keys if key not in charts.PROVINCE_ONLY]
        return keys

    def tracking_charts(self) -> list[charts.Chart]:
        """Reports and evaluations of every unit in the province: the province's alone."""
        if not self.user.is_province_officer:
            return []
        return charts.tracking_charts(dashboard_selectors.tracking_counts())

    def query(self) -> str:
        params = {"batch": str(self.batch.pk) if self.batch else "", "category": self.scope.category}
        return urlencode({key: value for key, value in params.items() if value})


class ProgrammeView(RoleRequiredMixin, TemplateView):
    """The programme dashboard: progress toward the targets and one batch's figures, as charts."""

    allowed_roles = OFFICERS
    template_name = "dashboard/programme.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        dashboard = DashboardContext(self.request)
        built = [charts.BUILDERS[key](dashboard.figures) for key in dashboard.chart_keys()]
        built += dashboard.tracking_charts()
        context.update(
            dashboard=dashboard,
            charts={chart.key: chart for chart in built},
            chart_data={chart.key: chart.as_data() for chart in built},
            progress=dashboard.figures.progress,
            targets=[
                (
                    target,
                    [
                        (name, target.reached_by_category.get(key, 0), target.by_category[key])
                        for key, name in dashboard.categories
                        if key in target.by_category
                    ],
                )
                for target in dashboard.figures.progress.targets
            ],
            funnel_rows=self.funnel_rows(dashboard) if dashboard.batch else [],
            stages=dashboard_selectors.STAGES,
            query=dashboard.query(),
        )
        return context

    def funnel_rows(self, dashboard: DashboardContext) -> list[tuple[str, list[int]]]:
        """The funnel table: a row per city for the province, a row per category for a city."""
        funnel = dashboard.figures.funnel
        keys = [stage.key for stage in dashboard_selectors.STAGES]
        if dashboard.scope.city_code:
            rows = []
            for category, name in dashboard.figures.categories:
                counts = funnel.stage_counts(category=category)
                rows.append((name, [counts[key] for key in keys]))
            return rows
        rows = []
        for city in reference.cities():
            counts = funnel.stage_counts(city_code=city.code, category=dashboard.scope.category or None)
            rows.append((city.name, [counts[key] for key in keys]))
        return rows


class ChartDownloadView(RoleRequiredMixin, View):
    """One chart's data as an Excel workbook, for the same batch, category and scope as the page."""

    allowed_roles = OFFICERS

    def get(self, request: HttpRequest, key: str) -> HttpResponse:
        dashboard = DashboardContext(request)
        if key in charts.TRACKING_CHARTS:
            chart = next((c for c in dashboard.tracking_charts() if c.key == key), None)
        elif key in dashboard.chart_keys():
            chart = charts.BUILDERS[key](dashboard.figures)
        else:
            chart = None
        if chart is None:
            raise Http404(_("没有这张图表。"))
        content = chart.workbook(batch=dashboard.batch, scope_label=dashboard.scope_label)
        name = f"{chart.title}-{dashboard.scope_label.replace(' · ', '-')}.xlsx"
        return xlsx_response(content, name)
