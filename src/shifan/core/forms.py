"""Form rendering shared by every app: Bootstrap classes, errors beside the field."""

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext_lazy as _

from shifan.core.dates import no_such_day


class ShifanBoundField(BoundField):
    """A field tied to its help text and its error messages, with the ids forms/field.html gives them.

    Django describes a field by `<id>_helptext` and `<id>_error`; the field template names them
    `<id>-help` and `<id>-error` (the error's id is what pages and tests have always used). A group
    of radio buttons or check boxes is described on its fieldset instead (the template), as Django
    does; any other widget of several inputs (the CAPTCHA) is described on its inputs too.
    """

    @property
    def aria_describedby(self) -> str | None:
        if self.field.widget.attrs.get("aria-describedby"):
            return None
        ids = []
        if self.auto_id and not self.is_hidden:
            if self.help_text:
                ids.append(f"{self.auto_id}-help")
            if self.errors:
                ids.append(f"{self.auto_id}-error")
        return " ".join(ids)

    @property
    def is_choice_group(self) -> bool:
        return isinstance(self.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple)

    def build_widget_attrs(self, attrs: dict[str, Any], widget: forms.Widget | None = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        grouped_inputs = self.use_fieldset and not self.is_choice_group
        if grouped_inputs and not attrs.get("aria-describedby") and (described_by := self.aria_describedby):
            attrs["aria-describedby"] = described_by
        return attrs


class FilePicker(forms.FileInput):
    """A file input labelled in the page's language (forms/_file_picker.html), not the browser's."""

    template_name = "forms/widgets/file_picker.html"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        # Template variables cannot hold a hyphen: the ARIA attributes are passed under other names.
        widget_attrs = context["widget"]["attrs"]
        widget_attrs["aria_describedby"] = widget_attrs.get("aria-describedby", "")
        widget_attrs["aria_invalid"] = widget_attrs.get("aria-invalid", "")
        return context


class ShifanFormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
    bound_field_class = ShifanBoundField


class StyledFormMixin:
    """Give widgets Bootstrap's classes, marking fields with errors as invalid."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect | forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            existing = widget.attrs.get("class", "")
            widget.attrs["class"] = f"{existing} {css}".strip()

    def full_clean(self) -> None:
        # Validation runs lazily, after subclasses have finished setting choices in __init__.
        super().full_clean()  # type: ignore[misc]
        self._mark_invalid()

    def add_error(self, field: str | None, error: Any) -> None:
        # Also for a service's refusal added by the view after validation.
        super().add_error(field, error)  # type: ignore[misc]
        self._mark_invalid()

    def _mark_invalid(self) -> None:
        for name in self._errors or {}:  # type: ignore[attr-defined]
            if name in self.fields:  # type: ignore[attr-defined]
                widget = self.fields[name].widget  # type: ignore[attr-defined]
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


def set_choices(form: forms.BaseForm, name: str, choices: Any) -> None:
    """Set a choice field's options at run time (reference data is read after start-up)."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class StyledForm(StyledFormMixin, forms.Form):
    pass


class StyledModelForm(StyledFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    pass


class DayField(forms.DateField):
    """A date field that says "这一天不存在" for a day the calendar lacks, not a format error."""

    def to_python(self, value: Any) -> datetime.date | None:
        try:
            return super().to_python(value)
        except ValidationError:
            if isinstance(value, str) and no_such_day(value):
                raise ValidationError(_("这一天不存在"), code="no_such_day") from None
            raise


class DateInput(forms.DateInput):
    """A browser date picker; it takes only ISO dates (the locale's 2025/03/03 shows an empty box)."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")
