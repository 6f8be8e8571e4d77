from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from accounts.permissions import is_admin, is_staff_member
from accounts.telegram import TelegramIdentity
from core.exceptions import InvalidCredentials

NOT_LINKED = gettext_lazy(
    "This Telegram account is not linked to any club account. Sign in with your username and password "
    "and link Telegram first (POST /api/auth/telegram/link/)."
)


def user_list(*, user: User) -> QuerySet[User]:
    """Live accounts the caller may see: an ADMIN every one, a TRAINER the club clients (USERs)."""
    users = User.objects.filter(deleted_at__isnull=True)
    if is_admin(user):
        return users
    if is_staff_member(user):
        return users.filter(role=Role.USER)
    return users.none()


def user_profile(*, user: User) -> User:
    """The caller with its client profile (and that profile's membership) loaded in one query."""
    return User.objects.select_related("client__membership").get(pk=user.pk)


def user_for_telegram(*, identity: TelegramIdentity) -> User:
    """The live account linked to a verified Telegram identity; unknown ids are told to link first."""
    user = User.objects.filter(telegram_id=identity.id, deleted_at__isnull=True).first()
    if user is None:
        raise InvalidCredentials(NOT_LINKED)
    return user
