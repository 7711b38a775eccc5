from typing import Any

from django import template

from shifan.tracking import selectors

register = template.Library()


@register.simple_tag
def has_tracking_report(user: Any) -> bool:
    """Whether the nav shows 运行情况报告 to a unit member: it has a report in a round still open."""
    return selectors.has_open_report(user)


@register.simple_tag
def flag_reason(flag: Any) -> str:
    """A report's flag in the page's language (tracking.flags.flag_reason)."""
    from shifan.tracking.flags import flag_reason as reason

    return reason(flag)
