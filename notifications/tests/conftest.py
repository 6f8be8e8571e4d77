import itertools
import uuid

import pytest

from accounts.tests.factories import UserFactory
from notifications.models import NotificationKind
from notifications.services import notification_queue

TELEGRAM_IDS = itertools.count(700_000_001)


@pytest.fixture(autouse=True)
def limits_namespace(settings):
    """Telegram's limits under a Redis key prefix of this test's own: no wait left over by another test."""
    settings.TELEGRAM_LIMIT_KEY_PREFIX = f"test-telegram-{uuid.uuid4().hex[:10]}"
    return settings.TELEGRAM_LIMIT_KEY_PREFIX


@pytest.fixture
def member(db):
    """A member with a linked Telegram account (the chat id is the Telegram user id)."""

    def make(**fields):
        return UserFactory(telegram_id=next(TELEGRAM_IDS), **fields)

    return make


def queue(user, kind=NotificationKind.MEMBERSHIP_EXPIRING, key=None):
    return notification_queue(user=user, kind=kind, dedupe_key=key or f"TEST:{uuid.uuid4().hex}", context={})
