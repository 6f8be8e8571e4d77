"""The notification outbox: rows written beside their cause, sent after commit by a Celery task."""

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

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


# ---------------------------------------------------------------------------
# The member's preferences: which kinds it gets (the API, its page and the bot's /stop)
# ---------------------------------------------------------------------------
def notification_preferences_get(*, user: User) -> dict[str, bool]:
    """`{kind: True|False}` for every kind, True meaning "will be sent" (no opt-out row)."""
    off = set(NotificationOptOut.objects.filter(user=user).values_list("kind", flat=True))
    return {kind: kind not in off for kind in NotificationKind.values}


@transaction.atomic
def notification_preferences_set(*, user: User, preferences: object) -> dict[str, bool]:
    """Switch the named kinds on (True) or off (False); kinds not named keep their setting.

    `preferences` is what the member sent, checked here so the API and the page refuse the same
    input: an unknown kind or a value that is not a boolean is a ValidationError naming it.
    """
    if not isinstance(preferences, dict):
        raise ValidationError(_("Send an object of kind: true|false."))
    errors: dict[str, list[str]] = {}
    for kind, wanted in preferences.items():
        if kind not in NotificationKind.values:
            errors[str(kind)] = [_("Unknown notification kind.")]
        elif not isinstance(wanted, bool):
            errors[kind] = [_("Must be true or false.")]
    if errors:
        raise ValidationError(errors)
    on = [kind for kind, wanted in preferences.items() if wanted]
    off = [kind for kind, wanted in preferences.items() if not wanted]
    NotificationOptOut.objects.filter(user=user, kind__in=on).delete()
    # ignore_conflicts: a kind already off (or switched off by a concurrent request) stays one row.
    NotificationOptOut.objects.bulk_create(
        [NotificationOptOut(user=user, kind=kind) for kind in off], ignore_conflicts=True
    )
    return notification_preferences_get(user=user)


def notification_opt_out_all(*, user: User) -> dict[str, bool]:
    """The bot's /stop: every kind off."""
    return notification_preferences_set(user=user, preferences=dict.fromkeys(NotificationKind.values, False))


def notification_recipient_seen(*, user: User, language: str) -> None:
    """The member wrote to the bot: it is reachable again, and the language it writes in is remembered.

    A 403 from Telegram marked it unreachable (it had blocked the bot); writing to the bot means it
    unblocked it. `language` (one of LANGUAGES) fills `User.language` only when empty: a language the
    member chose in the app wins, and notifications are rendered in it.
    """
    changes: dict[str, object] = {}
    if user.telegram_unreachable_at is not None:
        changes["telegram_unreachable_at"] = None
    if not user.language and language in dict(settings.LANGUAGES):
        changes["language"] = language
    if changes:
        # One UPDATE of these columns only: a concurrent save of other user fields is not overwritten.
        User.objects.filter(pk=user.pk).update(**changes)
        for name, value in changes.items():
            setattr(user, name, value)
