from typing import Any

from django import template

from shifan.applications.selectors import scan_state

register = template.Library()


@register.filter(name="scan_state")
def scan_state_of(row: Any) -> str:
    """Return `selectors.scan_state` of a row annotated by `with_sealed_scan_sequences`."""
    return scan_state(row.scan_sequence, row.latest_sequence)


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    """Return mapping[key], or "" when the mapping is missing or lacks the key."""
    if not isinstance(mapping, dict):
        return ""
    return mapping.get(key, "")
