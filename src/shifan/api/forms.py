from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shifan.api.models import ClientRole
from shifan.api.services import MAX_VALID_DAYS
from shifan.core import reference
from shifan.core.forms import StyledForm, set_choices


class ApiClientForm(StyledForm):
    name = forms.CharField(
        label=_("客户端名称"), max_length=100, help_text=_("如“省大数据平台”“广州市企业库”")
    )
    role = forms.ChoiceField(label=_("数据范围"), choices=ClientRole.choices, widget=forms.RadioSelect)
    city_code = forms.ChoiceField(label=_("所属城市（地市范围必填）"), choices=(), required=False)
    can_write = forms.BooleanField(
        label=_("允许写入（登记信用核查结果；地市范围还可处理本市申报书）"), required=False
    )
    valid_days = forms.IntegerField(
        label=_("有效期（天）"), min_value=1, max_value=MAX_VALID_DAYS, initial=365
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "city_code", [("", "—"), *reference.city_choices()])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("role") == ClientRole.CITY and not cleaned.get("city_code"):
            self.add_error("city_code", "地市范围的客户端须选择所属城市。")
        return cleaned


class RevokeForm(StyledForm):
    confirm = forms.BooleanField(label=_("我确认吊销：该客户端的令牌立即失效，且不能恢复"))
