"""The public verification form: an application number and a digest, as printed on the book."""

from typing import Any

from django import forms

from shifan.core.forms import StyledForm
from shifan.documents import verification


class VerificationForm(StyledForm):
    number = forms.CharField(
        label="申报编号",
        max_length=60,
        error_messages={"required": "请填写申报编号。"},
        help_text="印在申报书每页页脚。",
    )
    digest = forms.CharField(
        label="摘要",
        max_length=100,
        error_messages={"required": "请填写摘要。"},
        help_text="页脚“摘要”后的 12 位字母数字，或完整的 64 位 SHA-256 摘要；不区分大小写。",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        example = verification.example_number()
        self.fields["number"].help_text = f"印在申报书每页页脚，如 {example}。"
        # No placeholders: an example in the box reads as a value already filled in.
        for name in ("number", "digest"):
            self.fields[name].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})

    def clean_number(self) -> str:
        number = verification.normalise(self.cleaned_data["number"]).upper()
        if not verification.number_pattern().match(number):
            raise forms.ValidationError(f"申报编号格式不正确，应如 {verification.example_number()}。")
        return number

    def clean_digest(self) -> str:
        digest = verification.normalise(self.cleaned_data["digest"]).lower()
        if not verification.is_digest(digest):
            raise forms.ValidationError(
                f"摘要应为 12 位或 64 位十六进制字符（0–9、a–f），您填写了 {len(digest)} 位。"
                if _hex_only(digest)
                else "摘要只含数字 0–9 和字母 a–f，请核对后重新填写。"
            )
        return digest


def _hex_only(text: str) -> bool:
    return all(character in "0123456789abcdef" for character in text)
