"""The province's pages for API clients: the list, creating one (its token shown once), revoking."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from shifan.accounts.views import AuthenticatedRequest, ProvinceMixin, paginate
from shifan.api import selectors, services
from shifan.api.forms import ApiClientForm, RevokeForm
from shifan.core.http import refused, show_refusal


class ClientListView(ProvinceMixin, View):
    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        queryset = selectors.clients_visible_to(request.user)
        return render(request, "api/client_list.html", {"page": paginate(request, queryset)})


class ClientCreateView(ProvinceMixin, View):
    template_name = "api/client_form.html"

    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": ApiClientForm()})

    def post(self, request: AuthenticatedRequest) -> HttpResponse:
        form = ApiClientForm(request.POST)
        if not form.is_valid():
            return refused(render(request, self.template_name, {"form": form}))
        try:
            client, token = services.create_client(actor=request.user, **form.cleaned_data)
        except services.ApiClientError as error:
            show_refusal(form, error)
            return refused(render(request, self.template_name, {"form": form}))
        # The token is in this answer only (never in the session, a message or a redirect): the
        # answer is private and not stored, and the database keeps only its digest.
        return render(request, "api/client_created.html", {"client": client, "token": token})


class ClientDetailView(ProvinceMixin, View):
    def get(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        client = selectors.client_for(request.user, pk)
        return render(
            request, "api/client_detail.html", {"client": client, "calls": selectors.recent_calls(client)}
        )


class ClientRevokeView(ProvinceMixin, View):
    template_name = "api/client_revoke.html"

    def get(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        client = selectors.client_for(request.user, pk)
        return render(request, self.template_name, {"client": client, "form": RevokeForm()})

    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        client = selectors.client_for(request.user, pk)
        form = RevokeForm(request.POST)
        if not form.is_valid():
            return refused(render(request, self.template_name, {"client": client, "form": form}))
        try:
            services.revoke_client(actor=request.user, client=client)
        except services.ApiClientError as error:
            show_refusal(form, error)
            return refused(render(request, self.template_name, {"client": client, "form": form}))
        messages.success(request, f"已吊销客户端“{client.name}”，其令牌已失效。")
        return redirect("api_clients:detail", pk=client.pk)
