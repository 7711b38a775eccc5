from typing import Any

from django.views.generic import TemplateView

from shifan.accounts import selectors
from shifan.accounts.models import Role
from shifan.accounts.views import actor_of
from shifan.applications.selectors import applications_of_own_organisation, applications_visible_to
from shifan.core import reference
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
        context["open_batches"] = open_batches()
        if not self.request.user.is_authenticated:
            return context
        user = actor_of(self.request)
        if user.is_applicant:
            membership = selectors.membership_of(user)
            context["membership"] = membership
            if membership is not None:
                context["organisation"] = membership.organisation
                context["members"] = selectors.members_of(membership.organisation)
                context["applications"] = applications_of_own_organisation(user)
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
        elif user.is_expert:
            context["profile"] = selectors.expert_profile_of(user)
        return context
