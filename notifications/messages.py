"""The text of each kind of notification, rendered at send time in the member's language."""

from notifications.models import Notification


def render(notification: Notification) -> str:
    return str(notification.get_kind_display())
