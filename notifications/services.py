"""The notification outbox: rows written beside their cause, sent after commit by a Celery task."""

import logging
from typing import Any

from django.db import IntegrityError, transaction

from accounts import bot
from accounts.models import User
from notifications.messages import render
from notifications.models import Notification, NotificationKind, NotificationOptOut, NotificationStatus
from notifications.tasks import send_notification

logger = logging.getLogger(__name__)


def _skip_reason(user: User, kind: str) -> str:
    if user.telegram_id is None:
        return "No Telegram account linked."
    if user.telegram_unreachable_at is not None:
        return "The member blocked the bot."
    if NotificationOptOut.objects.filter(user=user, kind=kind).exists():
        return "The member switched this kind off."
    return ""


def notification_queue(
    *, user: User, kind: NotificationKind, dedupe_key: str, context: dict[str, Any] | None = None
) -> Notification:
    """Write the outbox row for `kind` in the caller's transaction; the send is queued on commit.

    A second call with the same `dedupe_key` returns the first row and queues nothing: one
    notification per event, ever. A member without a reachable Telegram gets a SKIPPED row, so the
    staff see why nothing was sent.
    """
    reason = _skip_reason(user, kind)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user,
                kind=kind,
                dedupe_key=dedupe_key,
                context=context or {},
                status=NotificationStatus.SKIPPED if reason else NotificationStatus.QUEUED,
                error=reason,
            )
    except IntegrityError:
        return Notification.objects.get(dedupe_key=dedupe_key)
    if not reason:
        transaction.on_commit(lambda: send_notification.delay(notification.pk))
    return notification


def notification_send(*, notification_id: int) -> None:
    """Send one QUEUED notification through the Bot API (the limits, retries and exactly-once: issue 16)."""
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    if notification.status != NotificationStatus.QUEUED or notification.user.telegram_id is None:
        return
    if bot.send_message(chat_id=notification.user.telegram_id, text=render(notification)):
        Notification.objects.filter(pk=notification.pk).update(status=NotificationStatus.SENT)
