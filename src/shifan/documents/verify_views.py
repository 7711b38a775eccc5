"""The public verification page (no login, no cookie): the form, and the link in the book's QR code."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from shifan.core.context_processors import PROCESS_KEY
from shifan.core.http import over_rate_limit, public_copy
from shifan.documents import verification
from shifan.documents.verify_forms import VerificationForm

LOOKUPS_PER_MINUTE = 30


def _answer(request: HttpRequest, form: VerificationForm) -> HttpResponse:
    result = None
    status = 200
    if not form.is_valid():
        status = 400
    elif over_rate_limit(request, "documents.verify", LOOKUPS_PER_MINUTE, 60):
        form.add_error(None, f"查询过于频繁：每分钟最多核验 {LOOKUPS_PER_MINUTE} 次，请 1 分钟后再试。")
        status = 429
    else:
        result = verification.verify(form.cleaned_data["number"], form.cleaned_data["digest"])
    # Not marked public: answers may change (a resubmission, a withdrawal), so none is kept.
    return render(request, "documents/verify.html", {"form": form, "result": result}, status=status)


class VerifyView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        if "number" not in request.GET and "digest" not in request.GET:
            # The empty form is the same for everyone, and for as long as this code runs: served
            # as rendered (per language), and cacheable like the notice pages.
            context = {"form": VerificationForm(), "result": None}
            page = lambda: render(request, "documents/verify.html", context)  # noqa: E731
            return public_copy("verify", PROCESS_KEY, page)
        return _answer(request, VerificationForm(request.GET))


class VerifyLinkView(View):
    """The QR code's link: the same answer, with the number and digest filled in from the path."""

    def get(self, request: HttpRequest, number: str, digest: str) -> HttpResponse:
        return _answer(request, VerificationForm({"number": number, "digest": digest}))
