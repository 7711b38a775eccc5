from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "shifan.accounts"
    label = "accounts"
    verbose_name = _("单位与账号")

    def ready(self) -> None:
        from shifan.accounts import signals  # noqa: F401  (records logins in the audit trail)
        from shifan.accounts.models import Organisation, Role
        from shifan.core.audit import register_action_labels, register_field_labels

        register_action_labels(
            {
                "organisation.registered": "单位注册",
                "organisation.updated": "修改单位信息",
                "organisation.region_overridden": "调整所属区域",
                "organisation.change_requested": "申请变更单位信息",
                "organisation.change_approved": "核准单位信息变更",
                "organisation.change_rejected": "驳回单位信息变更",
                "member.invited": "邀请成员",
                "member.invitation_revoked": "撤销邀请",
                "member.joined": "成员加入",
                "member.removed": "移除成员",
                "member.admin_transferred": "转交管理员",
                "account.created": "创建账号",
                "account.enabled": "启用账号",
                "account.disabled": "停用账号",
                "account.logged_in": "登录",
                "account.two_factor_enabled": "启用两步验证",
                "account.recovery_codes_issued": "生成恢复码",
                "expert.profile_updated": "修改专家信息",
                "expert.conflict_declared": "申明回避",
                "expert.conflict_withdrawn": "撤回回避申明",
                "expert.past_employment_added": "登记曾任职单位",
                "expert.past_employment_removed": "删除曾任职单位",
                "expert.imported": "批量导入专家",
            }
        )
        # organisation.updated and the change requests record the organisation's own field names.
        register_field_labels(
            {
                field.name: field.verbose_name
                for field in Organisation._meta.concrete_fields
                if field.name not in ("id", "name")  # "name" is also a file's or a batch's
            },
            values={"role": dict(Role.choices)},
        )
