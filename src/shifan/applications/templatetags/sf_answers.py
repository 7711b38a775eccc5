from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    """Return mapping[key], or "" when the mapping is missing or lacks the key."""
    if not isinstance(mapping, dict):
        return ""
    return mapping.get(key, "")
