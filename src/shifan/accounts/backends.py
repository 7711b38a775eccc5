from typing import Any

from django.contrib.auth.backends import ModelBackend


class AccountBackend(ModelBackend):
    """Check the password of disabled accounts too, so the login form can say the account is
    disabled instead of "wrong password"; but never restore a disabled account's session."""

    def user_can_authenticate(self, user: Any) -> bool:
        return True

    def get_user(self, user_id: Any) -> Any:
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None
