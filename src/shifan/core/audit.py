"""Human names for audit actions, and for the fields and values their changes record.

Each domain app registers its own in AppConfig.ready(): the actions it records, the keys of the
`before`/`after` dicts it writes, and the labels of coded values (a state, a role). The trail then
reads in Chinese, "状态：已提交", rather than as the dict the code stored; a key or value nobody
registered shows as stored, so nothing recorded is ever hidden.
"""

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ACTION_LABELS: dict[str, str] = {}
FIELD_LABELS: dict[str, Any] = {
    # Keys several apps write; the apps add their own.
    "state": gettext_lazy("状态"),
    "status": gettext_lazy("状态"),
    "name": gettext_lazy("名称"),
    "reason": gettext_lazy("理由"),
    "city_code": gettext_lazy("城市"),
    "credit_code": gettext_lazy("统一社会信用代码"),
    "organisation_name": gettext_lazy("单位名称"),
    "role": gettext_lazy("角色"),
    "category": gettext_lazy("类别"),
    "kind": gettext_lazy("类型"),
    "size": gettext_lazy("大小（字节）"),
    "sha256": gettext_lazy("SHA-256"),
    "digest": gettext_lazy("摘要"),
    "total": gettext_lazy("总数"),
    "field": gettext_lazy("填写项"),
    "fields": gettext_lazy("填写项"),
}
VALUE_LABELS: dict[str, dict[str, Any]] = {}


def register_action_labels(labels: dict[str, str]) -> None:
    ACTION_LABELS.update(labels)


def register_field_labels(
    labels: Mapping[str, Any], values: Mapping[str, Mapping[str, Any]] | None = None
) -> None:
    """Name the keys an app writes in its changes, and (by key) the labels of their coded values.

    Labels may be lazy translations: they are read in the language of the page that shows them."""
    FIELD_LABELS.update(labels)
    for key, mapping in (values or {}).items():
        VALUE_LABELS.setdefault(key, {}).update({str(code): label for code, label in mapping.items()})


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def value_text(key: str, value: Any) -> str:
    """Return a recorded value as a reader reads it: labels for codes, 是/否, lists joined."""
    if value is None or value == "":
        return _("（空）")
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list):
        return "、".join(value_text(key, item) for item in value) or _("（空）")
    if isinstance(value, dict):
        return "；".join(f"{label}：{text}" for label, text in describe_change(value))
    text = str(value)
    if key == "city_code":
        from shifan.core import reference

        try:
            return reference.city(text).name
        except KeyError:
            return text
    return str(VALUE_LABELS.get(key, {}).get(text, text))


def describe_change(values: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """Return the (label, value) pairs of a recorded `before` or `after`, in the order written."""
    if not values:
        return []
    return [
        (FIELD_LABELS.get(str(key), str(key)), value_text(str(key), value)) for key, value in values.items()
    ]
