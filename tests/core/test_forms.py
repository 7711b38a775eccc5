"""The shared form renderer ties every field to its label, help text and error messages."""

import re

from captcha.fields import CaptchaField
from django import forms

from shifan.core.forms import StyledForm


class Sample(StyledForm):
    name = forms.CharField(label="名称", help_text="与营业执照一致")
    kind = forms.ChoiceField(
        label="类型", choices=[("a", "甲"), ("b", "乙")], widget=forms.RadioSelect, help_text="选一项"
    )
    agree = forms.BooleanField(label="同意")
    captcha = CaptchaField(label="验证码")


def tag(html: str, element_id: str) -> str:
    match = re.search(rf'<[^>]*\bid="{element_id}"[^>]*>', html)
    assert match, f"no element #{element_id}"
    return match.group(0)


def test_a_field_is_described_by_its_help_and_its_error(db):
    form = Sample(data={"name": "", "kind": "", "captcha_0": "x", "captcha_1": ""})
    assert not form.is_valid()
    html = str(form)

    name = tag(html, "id_name")
    assert 'aria-describedby="id_name-help id_name-error"' in name
    assert 'aria-invalid="true"' in name
    assert 'id="id_name-help"' in html
    assert f'id="id_name-error">{form.errors["name"][0]}</div>' in html
    assert html.count('id="id_name-error"') == 1

    # A group of choices: its legend names it, its fieldset carries the description.
    fieldset = re.search(r"<fieldset[^>]*>\s*<legend[^>]*>类型", html)
    assert fieldset, html
    assert 'aria-describedby="id_kind-help id_kind-error"' in fieldset.group(0)
    assert "aria-describedby" not in tag(html, "id_kind_0")

    assert 'aria-describedby="id_agree-error"' in tag(html, "id_agree")

    # The CAPTCHA's label is for its text box, which its error describes.
    assert '<label class="form-label" for="id_captcha_1">' in html
    assert 'aria-describedby="id_captcha-error"' in tag(html, "id_captcha_1")


def test_a_valid_field_has_only_its_help(db):
    form = Sample(initial={"name": "示范"})
    html = str(form)
    name = tag(html, "id_name")
    assert 'aria-describedby="id_name-help"' in name
    assert "aria-invalid" not in name
    assert "-error" not in html
