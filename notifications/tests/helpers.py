"""Helpers for tests of every app that writes notifications."""

import contextlib
import itertools
from collections.abc import Callable

from django.db import transaction

from notifications.models import Notification, NotificationKind

_telegram_ids = itertools.count(7_000_001)

# What each kind's producer stores in `context`: enough to render the message.
CLASS = {
    "booking_id": 7,
    "session_id": 3,
    "class_name": "Yoga",
    "starts_at": "2026-12-08T07:00:00+00:00",
    "room": "Studio A",
    "trainer": "coach",
    "reason": "",
}
CONTEXTS = {
    NotificationKind.MEMBERSHIP_EXPIRING: {"client_id": 1, "first_name": "Anna", "expiration_date": "2026-12-08"},
    NotificationKind.MEMBERSHIP_LAPSED: {"client_id": 1, "first_name": "Anna", "expiration_date": "2026-12-08"},
    NotificationKind.CLASS_REMINDER: CLASS,
    NotificationKind.WAITLIST_PROMOTED: CLASS,
    NotificationKind.CLASS_CANCELLED: {**CLASS, "reason": "the trainer is ill"},
    NotificationKind.RECEIPT: {
        "payment_id": 9,
        "receipt_number": "2026-000042",
        "amount": "1497.00",
        "currency": "RUB",
        "membership": "Premium",
        "period_from": "2026-12-09",
        "period_to": "2027-03-08",
    },
    NotificationKind.WORKOUT_SUMMARY: {
        "workout_id": 5,
        "exercise_type": "push_up",
        "reps": 40,
        "previous_best": 35,
        "personal_best": True,
        "today": {"push_up": 40, "squat": 60},
    },
}


def link_telegram(user, telegram_id: int | None = None):
    """`user` with a Telegram account linked (what the bot's `/start link-<nonce>` leaves behind)."""
    user.telegram_id = telegram_id or next(_telegram_ids)
    user.save(update_fields=["telegram_id"])
    return user


def rows(**filters) -> list[tuple[str, str, str]]:
    """(kind, dedupe_key, status) of the notifications, oldest first."""
    return list(Notification.objects.filter(**filters).order_by("id").values_list("kind", "dedupe_key", "status"))


class _Failed(Exception):
    pass


def in_failed_transaction(action: Callable[[], object]) -> None:
    """Run `action` in a transaction that fails right after it (a request failing after the event)."""
    with contextlib.suppress(_Failed), transaction.atomic():
        action()
        raise _Failed
