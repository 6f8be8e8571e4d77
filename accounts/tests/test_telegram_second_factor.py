"""Issue 11, finding 6: a stolen access token must not remove or replace the second factor.

Unlinking or replacing the linked Telegram account needs a fresh proof (the password, or the
Confirm button of the Telegram account linked now); Telegram sign-in payloads are single-use and
live minutes; the bot answers the user, never a group, and its question names who asked.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import TelegramAuthUse
from accounts.origin import short_device
from accounts.services import tokens_flush_expired
from accounts.tests.signing import init_data, now, widget_fields
from accounts.tests.test_telegram_api import (
    OTHER_TELEGRAM_ID,
    PASSWORD,
    TELEGRAM_ID,
    deliver,
    post,
    start_parameter,
    webhook,
)

pytestmark = pytest.mark.django_db

LINK = reverse("telegram-link")
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
ATTACKER = {"HTTP_USER_AGENT": FIREFOX, "REMOTE_ADDR": "203.0.113.7"}


@pytest.fixture
def linked_user(client_user):
    client_user.telegram_id = TELEGRAM_ID
    client_user.save(update_fields=["telegram_id"])
    return client_user


@pytest.fixture
def thief(api_client_for, linked_user):
    """Whoever holds the linked user's access token, and nothing else."""
    return api_client_for(linked_user)


@pytest.fixture
def rates(settings):
    def set_rates(**overrides: str) -> None:
        current = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**current, **overrides}}

    return set_rates


@pytest.fixture
def bot_answer(telegram_bot, django_capture_on_commit_callbacks):
    """Telegram's side: `sender` opens the link (the bot asks), then presses `button` (or not)."""

    def answer(telegram_link: str, button: str | None = "Confirm", *, sender: int = TELEGRAM_ID) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            webhook(f"/start {start_parameter(telegram_link)}", sender=sender)
        if button is not None:
            with django_capture_on_commit_callbacks(execute=True):
                deliver(telegram_bot.press(button, chat_id=sender))

    return answer


def telegram_id_of(user) -> int | None:
    user.refresh_from_db()
    return user.telegram_id


# --- Unlinking ------------------------------------------------------------------------------------


def test_unlinking_with_only_an_access_token_is_refused_naming_the_password(telegram_bot, thief, linked_user):
    response = thief.delete(LINK)

    assert response.status_code == 400
    assert "needs your password" in response.json()["password"][0]
    assert telegram_id_of(linked_user) == TELEGRAM_ID


def test_unlinking_with_a_wrong_password_is_a_403(telegram_bot, thief, linked_user):
    response = thief.delete(LINK, {"password": "guess"}, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": "The password is incorrect."}
    assert telegram_id_of(linked_user) == TELEGRAM_ID


def test_wrong_unlink_passwords_count_against_the_login_limit_of_the_account(rates, telegram_bot, thief):
    rates(auth_username="3/min")

    assert [thief.delete(LINK, {"password": f"guess-{n}"}, format="json").status_code for n in range(3)] == [403] * 3
    throttled = thief.delete(LINK, {"password": PASSWORD}, format="json")
    login = post("token-obtain", {"username": "anna", "password": PASSWORD})

    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert login.status_code == 429  # one budget of guesses per account, wherever they are made


def test_an_account_without_telegram_unlinks_without_a_proof(telegram_bot, api_client_for, client_user):
    assert api_client_for(client_user).delete(LINK).status_code == 204


def test_unlinking_confirmed_in_telegram_names_the_device_and_asks_with_two_buttons(
    telegram_bot, thief, linked_user, bot_answer
):
    started = thief.delete(LINK, {"confirm_with": "telegram"}, format="json", **ATTACKER)
    assert started.status_code == 202
    pending = started.json()
    assert pending["verification_required"] is True
    finish = {"verification_id": pending["verification_id"]}

    bot_answer(pending["telegram_link"], button=None)
    [question] = telegram_bot.messages_to(TELEGRAM_ID)
    assert "Unlink this Telegram account from the club account anna?" in question
    assert "Firefox on Windows, 203.0.113.7" in question
    assert [[button["text"] for button in row] for row in telegram_bot.keyboard_to(TELEGRAM_ID)] == [
        ["Confirm", "Deny"]
    ]
    assert thief.delete(LINK, finish, format="json").status_code == 409
    assert telegram_id_of(linked_user) == TELEGRAM_ID

    with_confirm = telegram_bot.press("Confirm", chat_id=TELEGRAM_ID)
    deliver(with_confirm)
    assert thief.delete(LINK, finish, format="json").status_code == 204
    assert telegram_id_of(linked_user) is None
    assert thief.delete(LINK, finish, format="json").status_code == 410


def test_unlinking_denied_in_telegram_is_a_403_for_good(telegram_bot, thief, linked_user, bot_answer):
    pending = thief.delete(LINK, {"confirm_with": "telegram"}, format="json").json()

    bot_answer(pending["telegram_link"], "Deny")
    first = thief.delete(LINK, {"verification_id": pending["verification_id"]}, format="json")
    second = thief.delete(LINK, {"verification_id": pending["verification_id"]}, format="json")

    assert (first.status_code, second.status_code) == (403, 403)
    assert first.json() == {"detail": "This request was denied in Telegram."}
    assert telegram_id_of(linked_user) == TELEGRAM_ID
    assert telegram_bot.callback_answers()[-1]["text"].startswith("Denied: nothing changes.")


def test_only_the_linked_telegram_account_can_confirm_an_unlink(telegram_bot, thief, linked_user, bot_answer):
    pending = thief.delete(LINK, {"confirm_with": "telegram"}, format="json").json()

    bot_answer(pending["telegram_link"], sender=OTHER_TELEGRAM_ID, button=None)
    assert telegram_bot.keyboard_to(OTHER_TELEGRAM_ID) == []  # no question for a stranger
    bot_answer(pending["telegram_link"], button=None)
    # The thief's Telegram account presses the linked account's button (it cannot, but say it could).
    deliver(telegram_bot.press("Confirm", chat_id=TELEGRAM_ID, presser=OTHER_TELEGRAM_ID))

    assert thief.delete(LINK, {"verification_id": pending["verification_id"]}, format="json").status_code == 409
    assert telegram_id_of(linked_user) == TELEGRAM_ID


def test_another_users_verification_id_does_not_unlink(telegram_bot, thief, linked_user, bot_answer, api_client_for):
    pending = thief.delete(LINK, {"confirm_with": "telegram"}, format="json").json()
    bot_answer(pending["telegram_link"])
    other = api_client_for(type(linked_user).objects.create_user("boris", "b@example.com", PASSWORD))

    assert other.delete(LINK, {"verification_id": pending["verification_id"]}, format="json").status_code == 404


# --- Replacing the linked account -------------------------------------------------------------------


def test_replacing_the_linked_telegram_with_only_an_access_token_is_refused(telegram_bot, thief, linked_user):
    response = thief.post(LINK, widget_fields(OTHER_TELEGRAM_ID), format="json")

    assert response.status_code == 400
    assert "password" in response.json()
    assert telegram_id_of(linked_user) == TELEGRAM_ID


def test_replacing_the_linked_telegram_with_the_password(telegram_bot, thief, linked_user):
    wrong = thief.post(LINK, {**widget_fields(OTHER_TELEGRAM_ID), "password": "guess"}, format="json")
    assert wrong.status_code == 403
    assert telegram_id_of(linked_user) == TELEGRAM_ID

    # The refused attempt did not use the widget data up: the same payload works with the password.
    response = thief.post(LINK, {**widget_fields(OTHER_TELEGRAM_ID), "password": PASSWORD}, format="json")

    assert response.status_code == 200
    assert response.json() == {"telegram_id": OTHER_TELEGRAM_ID}
    assert telegram_id_of(linked_user) == OTHER_TELEGRAM_ID


def test_a_verification_id_is_sent_alone(telegram_bot, thief, linked_user):
    response = thief.post(LINK, {**widget_fields(OTHER_TELEGRAM_ID), "verification_id": "x" * 32}, format="json")

    assert response.status_code == 400
    assert "verification_id" in response.json()
    assert telegram_id_of(linked_user) == TELEGRAM_ID


def test_linking_the_same_telegram_again_needs_no_proof(telegram_bot, thief, linked_user):
    assert thief.post(LINK, widget_fields(TELEGRAM_ID), format="json").status_code == 200


def test_replacing_the_linked_telegram_confirmed_by_the_old_account(telegram_bot, thief, linked_user, bot_answer):
    started = thief.post(LINK, {**widget_fields(OTHER_TELEGRAM_ID), "confirm_with": "telegram"}, format="json")
    assert started.status_code == 202
    finish = {"verification_id": started.json()["verification_id"]}
    assert thief.post(LINK, finish, format="json").status_code == 409

    bot_answer(started.json()["telegram_link"])
    assert f"by Telegram id {OTHER_TELEGRAM_ID}" in telegram_bot.messages_to(TELEGRAM_ID)[0]
    response = thief.post(LINK, finish, format="json")

    assert response.status_code == 200
    assert response.json() == {"telegram_id": OTHER_TELEGRAM_ID}
    assert telegram_id_of(linked_user) == OTHER_TELEGRAM_ID
    assert thief.post(LINK, finish, format="json").status_code == 410


def test_a_bot_link_cannot_replace_a_linked_telegram(telegram_bot, thief, linked_user):
    response = thief.post(LINK)

    assert response.status_code == 409
    assert "unlink it first" in response.json()["detail"]


def test_a_pending_bot_link_does_not_replace_a_telegram_linked_meanwhile(
    telegram_bot, api_client_for, client_user, django_capture_on_commit_callbacks
):
    invitation = api_client_for(client_user).post(LINK).json()
    client_user.telegram_id = TELEGRAM_ID
    client_user.save(update_fields=["telegram_id"])

    with django_capture_on_commit_callbacks(execute=True):
        webhook(f"/start {start_parameter(invitation['telegram_link'])}", sender=OTHER_TELEGRAM_ID)

    assert telegram_id_of(client_user) == TELEGRAM_ID
    assert "unlink it first" in telegram_bot.messages_to(OTHER_TELEGRAM_ID)[0]


# --- Password login confirmed with the buttons -------------------------------------------------------


def test_the_login_question_names_the_device_and_address_that_asked(telegram_bot, linked_user, bot_answer):
    body = post("token-obtain", {"username": "anna", "password": PASSWORD}, **ATTACKER).json()

    bot_answer(body["telegram_link"], button=None)

    [question] = telegram_bot.messages_to(TELEGRAM_ID)
    assert question.splitlines() == [
        "Log in to the club account anna?",
        "Asked from Firefox on Windows, 203.0.113.7.",
        "Press Confirm only if it was you.",
    ]
    buttons = [button for row in telegram_bot.keyboard_to(TELEGRAM_ID) for button in row]
    assert [button["text"] for button in buttons] == ["Confirm", "Deny"]
    assert all(len(button["callback_data"].encode()) <= 64 for button in buttons)  # Telegram's limit


def test_a_login_denied_in_telegram_answers_403_and_never_gives_tokens(telegram_bot, linked_user, bot_answer):
    body = post("token-obtain", {"username": "anna", "password": PASSWORD}).json()

    bot_answer(body["telegram_link"], "Deny")
    # Pressing Confirm afterwards changes nothing.
    deliver(telegram_bot.press("Confirm", chat_id=TELEGRAM_ID))
    refused = post("telegram-confirm", {"verification_id": body["verification_id"]})

    assert refused.status_code == 403
    assert refused.json() == {"detail": "This request was denied in Telegram."}
    assert linked_user.outstandingtoken_set.count() == 0


def test_a_browser_login_denied_in_telegram_goes_back_to_the_form(client, telegram_bot, linked_user, bot_answer):
    client.post(reverse("login"), {"username": "anna", "password": PASSWORD})
    page = client.get(reverse("login-confirm")).content.decode()
    link = "https://t.me/" + page.split('href="https://t.me/')[1].split('"')[0].replace("&amp;", "&")

    bot_answer(link, "Deny")
    response = client.post(reverse("login-confirm"))

    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


# --- The bot answers the user, never a group --------------------------------------------------------


def group_update(text: str, *, sender: int = TELEGRAM_ID) -> dict:
    return {
        "update_id": 3,
        "message": {
            "message_id": 9,
            "from": {"id": sender, "is_bot": False, "first_name": "Anna"},
            "chat": {"id": -1001234567890, "type": "supergroup", "title": "Gym friends"},
            "date": now(),
            "text": text,
        },
    }


def test_a_start_sent_in_a_group_is_answered_in_private_only(
    telegram_bot, linked_user, django_capture_on_commit_callbacks
):
    body = post("token-obtain", {"username": "anna", "password": PASSWORD}).json()

    with django_capture_on_commit_callbacks(execute=True):
        deliver(group_update(f"/start@club_test_bot {start_parameter(body['telegram_link'])}"))
    with django_capture_on_commit_callbacks(execute=True):
        deliver(group_update("/start"))

    assert {body["chat_id"] for _, body in telegram_bot.calls} == {TELEGRAM_ID}
    assert telegram_bot.messages_to(TELEGRAM_ID)[0].startswith("Log in to the club account anna?")


def test_a_button_pressed_on_a_message_in_a_group_edits_nothing_there(
    telegram_bot, linked_user, bot_answer, django_capture_on_commit_callbacks
):
    body = post("token-obtain", {"username": "anna", "password": PASSWORD}).json()
    bot_answer(body["telegram_link"], button=None)
    update = telegram_bot.press("Confirm", chat_id=TELEGRAM_ID)
    update["callback_query"]["message"]["chat"] = {"id": -1001234567890, "type": "supergroup"}

    with django_capture_on_commit_callbacks(execute=True):
        deliver(update)

    assert telegram_bot.edits_to(-1001234567890) == []
    assert [path.rsplit("/", 1)[1] for path, _ in telegram_bot.calls] == ["sendMessage", "answerCallbackQuery"]


# --- Sign-in payloads: single-use, minutes ----------------------------------------------------------


def test_login_widget_data_works_once(telegram_bot, linked_user):
    fields = widget_fields(TELEGRAM_ID)

    first, replay = post("telegram-login", fields), post("telegram-login", fields)

    assert first.status_code == 200
    assert replay.status_code == 401
    assert replay.json()["detail"] == "This Telegram sign-in data was already used; sign in with Telegram again."


def test_mini_app_init_data_works_once(telegram_bot, linked_user):
    body = {"init_data": init_data(TELEGRAM_ID)}

    assert [post("telegram-webapp", body).status_code for _ in range(2)] == [200, 401]


def test_widget_data_used_to_sign_in_does_not_link(telegram_bot, api_client_for, client_user):
    fields = widget_fields(OTHER_TELEGRAM_ID)
    post("telegram-login", fields)  # 401, not linked: but the payload was presented once

    assert api_client_for(client_user).post(LINK, fields, format="json").status_code == 401


def test_sign_in_data_older_than_five_minutes_is_refused_by_default(telegram_bot, linked_user):
    widget = post("telegram-login", widget_fields(TELEGRAM_ID, auth_date=now() - 301 - 30))
    webapp = post("telegram-webapp", {"init_data": init_data(TELEGRAM_ID, auth_date=now() - 331)})

    assert (widget.status_code, webapp.status_code) == (401, 401)
    assert "has expired" in widget.json()["detail"]
    assert post("telegram-login", widget_fields(TELEGRAM_ID, auth_date=now() - 240)).status_code == 200


def test_linking_keeps_its_own_age_limit(telegram_bot, api_client_for, client_user, settings):
    settings.TELEGRAM_LINK_MAX_AGE = 3600
    client = api_client_for(client_user)

    assert client.post(LINK, widget_fields(TELEGRAM_ID, auth_date=now() - 3700), format="json").status_code == 401
    assert client.post(LINK, widget_fields(TELEGRAM_ID, auth_date=now() - 1800), format="json").status_code == 200


def test_used_payloads_are_forgotten_once_they_expired(telegram_bot, linked_user):
    signed_at = now()
    post("telegram-login", widget_fields(TELEGRAM_ID, auth_date=signed_at))
    post("telegram-login", widget_fields(TELEGRAM_ID, auth_date=signed_at - 1))
    TelegramAuthUse.objects.filter(pk=TelegramAuthUse.objects.order_by("pk").first().pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    tokens_flush_expired()

    assert TelegramAuthUse.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sign_ins_with_one_payload_give_tokens_once(telegram_bot, linked_user):
    fields = widget_fields(TELEGRAM_ID)
    start = threading.Barrier(2)
    statuses: list[int] = []

    def sign_in() -> None:
        try:
            start.wait()
            statuses.append(APIClient().post(reverse("telegram-login"), fields, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_in) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 401]
    assert linked_user.outstandingtoken_set.count() == 1


# --- The device named in the question ------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (FIREFOX, "Firefox on Windows"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/18.1 Mobile/15E148 Safari/604.1",
            "Safari on iPhone",
        ),
        ("curl/8.5.0", "curl"),
        ("", ""),
        ("Evil\nLog in confirmed.\x00" + "x" * 200, "Evil Log in confirmed. " + "x" * 56 + "…"),
    ],
)
def test_the_device_is_a_short_single_line(user_agent, device):
    assert short_device(user_agent) == device
