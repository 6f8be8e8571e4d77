"""The club bot speaks the sender's language: Telegram's `from.language_code` picks Russian or English."""

import pytest

from accounts.tests.signing import now
from accounts.tests.test_telegram_api import PASSWORD, TELEGRAM_ID, deliver, post, start_parameter
from accounts.tests.test_telegram_second_factor import FIREFOX

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked_user(client_user):
    client_user.telegram_id = TELEGRAM_ID
    client_user.save(update_fields=["telegram_id"])
    return client_user


def start(telegram_link: str, *, language_code: str | None) -> dict:
    sender = {"id": TELEGRAM_ID, "is_bot": False, "first_name": "Anna"}
    if language_code is not None:
        sender["language_code"] = language_code
    return {
        "update_id": 1,
        "message": {
            "message_id": 7,
            "from": sender,
            "chat": {"id": TELEGRAM_ID, "type": "private"},
            "date": now(),
            "text": f"/start {start_parameter(telegram_link)}",
        },
    }


def test_a_russian_telegram_gets_the_login_question_buttons_and_answer_in_russian(
    telegram_bot, linked_user, django_capture_on_commit_callbacks
):
    body = post(
        "token-obtain",
        {"username": linked_user.username, "password": PASSWORD},
        HTTP_USER_AGENT=FIREFOX,
        REMOTE_ADDR="203.0.113.7",
    ).json()

    with django_capture_on_commit_callbacks(execute=True):
        deliver(start(body["telegram_link"], language_code="ru"))
    [question] = telegram_bot.messages_to(TELEGRAM_ID)
    buttons = [button["text"] for row in telegram_bot.keyboard_to(TELEGRAM_ID) for button in row]
    press = telegram_bot.press("Подтвердить", chat_id=TELEGRAM_ID)
    press["callback_query"]["from"]["language_code"] = "ru"
    with django_capture_on_commit_callbacks(execute=True):
        deliver(press)

    assert question.splitlines() == [
        f"Войти в учётную запись клуба {linked_user.username}?",
        "Запрос с устройства: Firefox on Windows, 203.0.113.7.",
        "Нажимайте «Подтвердить», только если это были вы.",
    ]
    assert buttons == ["Подтвердить", "Отклонить"]
    assert telegram_bot.callback_answers()[-1]["text"] == (
        f"Вход {linked_user.username} подтверждён. Вернитесь в приложение."
    )
    assert post("telegram-confirm", {"verification_id": body["verification_id"]}).status_code == 200


@pytest.mark.parametrize("language_code", [None, "en", "de"])
def test_english_or_an_unknown_language_gets_english(
    telegram_bot, linked_user, django_capture_on_commit_callbacks, language_code
):
    body = post("token-obtain", {"username": linked_user.username, "password": PASSWORD}).json()

    with django_capture_on_commit_callbacks(execute=True):
        deliver(start(body["telegram_link"], language_code=language_code))

    [question] = telegram_bot.messages_to(TELEGRAM_ID)
    assert question.startswith(f"Log in to the club account {linked_user.username}?")
    assert [button["text"] for row in telegram_bot.keyboard_to(TELEGRAM_ID) for button in row] == ["Confirm", "Deny"]


def test_a_russian_message_without_a_request_gets_the_help_in_russian(
    telegram_bot, linked_user, django_capture_on_commit_callbacks
):
    update = start("https://t.me/club_test_bot?start=x", language_code="ru-RU")
    update["message"]["text"] = "hello"

    with django_capture_on_commit_callbacks(execute=True):
        deliver(update)

    [reply] = telegram_bot.messages_to(TELEGRAM_ID)
    assert reply.startswith("Что я умею:\n/card — ")
