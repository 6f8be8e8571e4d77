"""Users: create, change, soft-delete and restore accounts; a password change revokes the refresh tokens."""

from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import Role, User
from accounts.permissions import can_change_role, can_create_user_with_role, can_delete_user

SELF_DELETION_REFUSED = gettext_lazy("You cannot delete your own account.")


@transaction.atomic
def user_create(*, actor: User, username: str, email: str, password: str, role: str = Role.USER) -> User:
    if not can_create_user_with_role(actor, role):
        raise PermissionDenied(gettext("Trainers may create users of role USER only."))
    user = User(username=username, email=User.objects.normalize_email(email), role=role)
    _set_password(user, password)
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def user_update(*, actor: User, user: User, **fields: Any) -> User:
    """Change username, email, role or password; a password change revokes the user's refresh tokens."""
    if "role" in fields and fields["role"] != user.role and not can_change_role(actor, user):
        raise PermissionDenied(gettext("Nobody can change their own role."))
    password = fields.pop("password", None)
    for name, value in fields.items():
        setattr(user, name, value)
    if password is not None:
        _set_password(user, password)
    user.full_clean()
    user.save()
    if password is not None:
        user_refresh_tokens_revoke(user=user)
    return user


def _set_password(user: User, password: str) -> None:
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    user.set_password(password)


@transaction.atomic
def user_refresh_tokens_revoke(*, user: User) -> None:
    """Blacklist every live refresh token of the user (after a password change): it must log in again."""
    live = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in live], ignore_conflicts=True)


@transaction.atomic
def user_soft_delete(*, user: User, actor: User | None = None) -> User:
    """Deactivate a user for good while keeping its history (trainings, sessions, payments).

    `is_active` follows `deleted_at`: sign-in and every access-token check refuse the user from now
    on, and its refresh tokens are blacklisted, so nothing it holds works a moment longer.
    """
    if actor is not None and not can_delete_user(actor, user):
        raise PermissionDenied(SELF_DELETION_REFUSED)
    if user.deleted_at is None:
        user.deleted_at = timezone.now()
        user.save(update_fields=["deleted_at"])
    user_refresh_tokens_revoke(user=user)
    return user


@transaction.atomic
def user_restore(*, user: User) -> User:
    user.deleted_at = None
    user.save(update_fields=["deleted_at"])
    return user


@transaction.atomic
def user_language_set(*, user: User, language: str) -> User:
    """Remember the language the user chose for pages (and messages); "" goes back to the browser's."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": gettext("Choose one of the offered languages.")})
    user.language = language
    user.save(update_fields=["language"])
    return user
