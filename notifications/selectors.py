"""Reads of the outbox, scoped to what the acting user may see."""

from django.db.models import QuerySet

from accounts.models import User
from accounts.permissions import is_staff_member
from notifications.models import Notification


def notification_list(*, user: User) -> QuerySet[Notification]:
    """Staff see every member's notifications (a client's page, the admin); a member its own."""
    notifications = Notification.objects.select_related("user")
    if is_staff_member(user):
        return notifications
    return notifications.filter(user=user)
