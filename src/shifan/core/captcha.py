"""The CAPTCHA's challenges: letters and digits drawn on an image, or a question in words.

The image is what most people see. A person who cannot see it (a screen reader reads no picture)
asks for the text question instead: a sum in words, answered in digits. Both are kept in
django-simple-captcha's CaptchaStore (challenge, response, hash key) and checked by the same
field, so the text question is used once, right or wrong, expires like the image and sits behind
the same limits as the image wherever it is asked: on objections (one address's objections an hour
and a day, `publicity.services.file_objection`) and on logins after failures (the per-address
rate and the lock of an account at an address, `accounts.login_guard`).

Which variant a page shows is the visitor's choice (`requested_variant`); the other one is a
link or a button away (`captcha_options`, `ImageOrTextCaptchaInput.show`).
"""

import secrets
import unicodedata
from typing import Any

from captcha.fields import CaptchaField, CaptchaTextInput
from captcha.models import CaptchaStore
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext, pgettext

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: on a noisy image those pairs are where people fail.
ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"

IMAGE = "image"
TEXT = "text"
VARIANTS = (IMAGE, TEXT)
# The name of the button that asks for the other variant by sending the form (the login form
# without script: what was typed comes back with it).
SWITCH_FIELD = "captcha_switch"


def challenge() -> tuple[str, str]:
    """Return the text drawn on the image and the expected answer (compared case-insensitively)."""
    text = "".join(secrets.choice(ALPHABET) for _ in range(settings.CAPTCHA_LENGTH))
    return text, text.lower()


def number_word(number: int) -> str:
    words = {
        1: pgettext("captcha number", "一"),
        2: pgettext("captcha number", "二"),
        3: pgettext("captcha number", "三"),
        4: pgettext("captcha number", "四"),
        5: pgettext("captcha number", "五"),
        6: pgettext("captcha number", "六"),
        7: pgettext("captcha number", "七"),
        8: pgettext("captcha number", "八"),
        9: pgettext("captcha number", "九"),
        10: pgettext("captcha number", "十"),
    }
    return words[number]


def text_challenge() -> tuple[str, str]:
    """Return a question in words in the page's language ("三加五等于几？") and its answer in digits.

    A sum of two numbers up to ten, or a difference that is not negative: nothing to work out on
    paper. The question fits CaptchaStore's 32 characters in both languages."""
    first = secrets.randbelow(10) + 1
    second = secrets.randbelow(10) + 1
    if secrets.randbelow(2):
        question = gettext("%(first)s加%(second)s等于几？")
        answer = first + second
    else:
        first, second = max(first, second), min(first, second)
        question = gettext("%(first)s减%(second)s等于几？")
        answer = first - second
    return question % {"first": number_word(first), "second": number_word(second)}, str(answer)


def requested_variant(request: HttpRequest) -> str | None:
    """Return the variant the visitor chose, or None if none was chosen.

    In order: the switch button of a form sent to change variant, the text question's hidden field
    when its form comes back, the page's `?captcha=`. Anything else is no choice."""
    for chosen in (
        request.POST.get(SWITCH_FIELD),
        request.POST.get("captcha_variant"),
        request.GET.get("captcha"),
    ):
        if chosen:
            return chosen if chosen in VARIANTS else None
    return None


def captcha_options(request: HttpRequest) -> dict[str, Any]:
    """Return the chosen variant and the page with the other one, the page's other parameters kept
    (a form's `captcha_variant` and `captcha_switch_url` arguments)."""
    variant = requested_variant(request)
    query = request.GET.copy()
    query["captcha"] = IMAGE if variant == TEXT else TEXT
    return {"captcha_variant": variant, "captcha_switch_url": f"?{query.urlencode()}"}


class ImageOrTextCaptchaInput(CaptchaTextInput):
    """The image with its "换一张" button and a way to the text question, or the question in words.

    `switch_url` is the page with the other variant, which app.js swaps the block in place from,
    keeping what was typed. Without script the way there is a link to that page, or, where what
    was typed must come back (the login form's e-mail), a button that sends the form with
    `captcha_switch=<variant>` for the view to show it again (`switch_sends_form`). The question
    is plain text in the page, tied to the answer's input by aria-describedby as well as by the
    field's label."""

    image_template_name = "captcha/widgets/captcha.html"
    text_template_name = "captcha/widgets/captcha_text.html"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.variant = IMAGE
        self.switch_url = ""
        self.switch_sends_form = False
        self._question = ""

    def show(self, variant: str | None, *, switch_url: str, switch_sends_form: bool = False) -> None:
        """Show the chosen variant (the image if none), with the way to the other one."""
        self.variant = TEXT if variant == TEXT else IMAGE
        self.switch_url = switch_url
        self.switch_sends_form = switch_sends_form

    @property
    def template_name(self) -> str:  # type: ignore[override]
        return self.text_template_name if self.variant == TEXT else self.image_template_name

    def fetch_captcha_store(self, name: str, value: Any, attrs: Any = None, generator: Any = None) -> None:
        if self.variant != TEXT:
            super().fetch_captcha_store(name, value, attrs, generator)
            return
        question, answer = text_challenge()
        store = CaptchaStore.objects.create(challenge=question, response=answer)
        self._key = store.hashkey
        self._value = [store.hashkey, ""]
        self._question = question
        self.id_ = self.build_attrs(attrs).get("id", None)

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["switch_url"] = self.switch_url
        context["switch_sends_form"] = self.switch_sends_form
        context["switch_field"] = SWITCH_FIELD
        context["other_variant"] = IMAGE if self.variant == TEXT else TEXT
        if self.variant == TEXT:
            question_id = f"{context['widget']['attrs'].get('id', name)}_question"
            answer = context["widget"]["subwidgets"][1]["attrs"]
            answer["aria-describedby"] = f"{question_id} {answer.get('aria-describedby', '')}".strip()
            answer["inputmode"] = "numeric"
            context["question"] = self._question
            context["question_id"] = question_id
        return context


class ImageOrTextCaptchaField(CaptchaField):
    """The CAPTCHA's field, reading an answer typed in full-width characters (a Chinese input
    method's "８" or "Ａ") as the plain ones."""

    def clean(self, value: Any) -> Any:
        if isinstance(value, list | tuple) and len(value) == 2:
            value = [value[0], unicodedata.normalize("NFKC", value[1] or "")]
        return super().clean(value)
