"""Helpers for tests of every app that writes notifications."""

import contextlib
import itertools
from collections.abc import Callable, Iterator

from django.db import transaction

from config.celery import app as celery_app
from notifications.models import Notification

_telegram_ids = itertools.count(7_000_001)


def link_telegram(user, telegram_id: int | None = None):
    """`user` with a Telegram account linked (what the bot's `/start link-<nonce>` leaves behind)."""
    user.telegram_id = telegram_id or next(_telegram_ids)
    user.save(update_fields=["telegram_id"])
    return user


@contextlib.contextmanager
def eager_sends() -> Iterator[None]:
    """Tasks queued from here run at once in this process, as under `make run` without a broker."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = eager


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
