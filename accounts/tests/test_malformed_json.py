"""Telegram's signed data carrying JSON the server will not process: refused like any bad sign-in, not a 500."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.signing import now, sign_init_data

pytestmark = pytest.mark.django_db

TELEGRAM_ID = 555000111


@pytest.fixture
def linked_user(client_user):
    client_user.telegram_id = TELEGRAM_ID
    client_user.save(update_fields=["telegram_id"])
    return client_user


@pytest.mark.parametrize(
    "user_json",
    [
        '{"id": 555000111, "first_name": "\\ud800"}',
        '{"id": 555000111, "\\udc00": "x"}',
        '{"id": 555000111, "first_name": ' + "[" * 1000 + "]" * 1000 + "}",  # 6 KB URL-encoded
    ],
    ids=["surrogate-value", "surrogate-key", "nested-1000"],
)
def test_signed_init_data_whose_user_is_unsafe_json_is_refused(telegram_bot, linked_user, user_json):
    # Signed with the bot token: only Telegram (or whoever holds the token) could send this.
    init_data = sign_init_data({"user": user_json, "auth_date": str(now())})

    response = APIClient(raise_request_exception=False).post(
        reverse("telegram-webapp"), {"init_data": init_data}, format="json"
    )

    assert response.status_code == 401
    assert response.json() == {"detail": "init_data carries no Telegram user."}
