import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.signing import WEBHOOK_SECRET
from club.tests.factories import ClientFactory

TELEGRAM_ID = 777000111
GROUP_CHAT_ID = -1001234567890


def update(text: str, *, sender: int = TELEGRAM_ID, chat: dict | None = None, language_code: str | None = "en") -> dict:
    """The update Telegram POSTs when `sender` writes `text` (in its private chat with the bot unless `chat`)."""
    author = {"id": sender, "is_bot": False, "first_name": "Anna"}
    if language_code is not None:
        author["language_code"] = language_code
    return {
        "update_id": 40001,
        "message": {
            "message_id": 12,
            "from": author,
            "chat": chat or {"id": sender, "type": "private", "first_name": "Anna"},
            "date": int(timezone.now().timestamp()),
            "text": text,
        },
    }


@pytest.fixture
def member(db):
    """Anna: a paying member whose Telegram account is linked."""
    client = ClientFactory(
        first_name="Anna",
        user__username="anna",
        user__telegram_id=TELEGRAM_ID,
        expiration_date=timezone.localdate() + datetime.timedelta(days=10),
    )
    return client


@pytest.fixture
def write(telegram_bot, django_capture_on_commit_callbacks):
    """Deliver one update to the webhook as Telegram does, and run what it queued on commit (the answers)."""

    def deliver(text: str, secret: str = WEBHOOK_SECRET, **options):
        with django_capture_on_commit_callbacks(execute=True):
            response = APIClient().post(
                reverse("telegram-webhook"),
                update(text, **options),
                format="json",
                HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=secret,
            )
        return response

    return deliver


@pytest.fixture
def answer(write, telegram_bot):
    """What the bot said back to the sender after one message (exactly one text message)."""

    def ask(text: str, **options) -> str:
        assert write(text, **options).status_code == 200
        [reply] = telegram_bot.messages_to(options.get("sender", TELEGRAM_ID))
        return reply

    return ask
