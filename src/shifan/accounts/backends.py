from typing import Any

from django.contrib.auth.backends import ModelBackend

from shifan.accounts.models import User


class AccountBackend(ModelBackend):
    """Check the password of disabled accounts too, so the login form can say the account is
    disabled instead of "wrong password"; but never restore a disabled account's session."""

    def user_can_authenticate(self, user: Any) -> bool:
        return True

    def get_user(self, user_id: Any) -> Any:
        """The session's user, if the account is still active. Every logged-in request asks this,
        so it is one plain statement (`raw`), without the queryset's compilation (about half a
        millisecond here)."""
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        table = User._meta.db_table
        found = list(User.objects.raw(f"SELECT * FROM {table} WHERE id = %s AND is_active", [pk]))  # noqa: S608
        return found[0] if found else None
