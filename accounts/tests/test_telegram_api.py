from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import TelegramChallenge
from accounts.services import user_soft_delete
from accounts.tests.factories import UserFactory
from accounts.tests.signing import BOT_TOKEN, WEBHOOK_SECRET, init_data, now, widget_fields

pytestmark = pytest.mark.django_db

TELEGRAM_ID = 555000111
OTHER_TELEGRAM_ID = 555000222
PASSWORD = "correct-horse-battery"


@pytest.fixture
def linked_user(client_user):
    client_user.telegram_id = TELEGRAM_ID
    client_user.save(update_fields=["telegram_id"])
    return client_user


def post(url_name: str, data=None, **extra):
    return APIClient().post(reverse(url_name), data, format="json", **extra)


def webhook(text: str, *, sender: int = TELEGRAM_ID, secret: str | None = WEBHOOK_SECRET):
    update = {
        "update_id": 1,
        "message": {
            "message_id": 7,
            "from": {"id": sender, "is_bot": False, "first_name": "Anna"},
            "chat": {"id": sender, "type": "private"},
            "date": now(),
            "text": text,
        },
    }
    headers = {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret} if secret is not None else {}
    return post("telegram-webhook", update, **headers)


def start_parameter(telegram_link: str) -> str:
    return parse_qs(urlsplit(telegram_link).query)["start"][0]


def deliver(update: dict):
    return post("telegram-webhook", update, HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=WEBHOOK_SECRET)


@pytest.fixture
def answer_in_bot(telegram_bot, django_capture_on_commit_callbacks):
    """The user opens the link (`/start <nonce>`), gets the bot's question and presses a button."""

    def answer(telegram_link: str, button: str = "Confirm", *, sender: int = TELEGRAM_ID) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            webhook(f"/start {start_parameter(telegram_link)}", sender=sender)
        with django_capture_on_commit_callbacks(execute=True):
            deliver(telegram_bot.press(button, chat_id=sender))

    return answer


# --- Login Widget and Mini App sign-in ----------------------------------------------------------


def test_login_widget_gives_tokens_to_the_linked_user_and_updates_last_login(telegram_bot, linked_user):
    response = post("telegram-login", widget_fields(TELEGRAM_ID))

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    me = APIClient().get(reverse("me"), HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert me.json()["username"] == "anna"
    linked_user.refresh_from_db()
    assert linked_user.last_login is not None


def test_login_widget_accepts_the_fields_as_strings_too(telegram_bot, linked_user):
    fields = {name: str(value) for name, value in widget_fields(TELEGRAM_ID, last_name="P").items()}

    assert post("telegram-login", fields).status_code == 200


def test_login_widget_for_an_unknown_telegram_id_says_to_link_first(telegram_bot, linked_user):
    response = post("telegram-login", widget_fields(OTHER_TELEGRAM_ID))

    assert response.status_code == 401
    assert "not linked" in response.json()["detail"]
    assert "link Telegram first" in response.json()["detail"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({**widget_fields(TELEGRAM_ID), "id": OTHER_TELEGRAM_ID}, "signature is invalid", id="tampered"),
        pytest.param(
            {k: v for k, v in widget_fields(TELEGRAM_ID).items() if k != "hash"}, "missing: hash", id="no-hash"
        ),
        pytest.param(widget_fields(TELEGRAM_ID, bot_token="1:other"), "signature is invalid", id="other-bot"),
        pytest.param(widget_fields(TELEGRAM_ID, auth_date=now() - 86400 - 60), "has expired", id="stale"),
        pytest.param(widget_fields(TELEGRAM_ID, auth_date=now() + 3600), "in the future", id="future"),
        pytest.param({}, "missing: hash, auth_date", id="empty"),
    ],
)
def test_login_widget_with_bad_data_is_a_401_without_tokens(telegram_bot, linked_user, fields, message):
    response = post("telegram-login", fields)

    assert response.status_code == 401
    assert message in response.json()["detail"]
    assert "access" not in response.json()


def test_login_widget_with_non_scalar_values_is_a_400(telegram_bot, linked_user):
    response = post("telegram-login", {**widget_fields(TELEGRAM_ID), "photo_url": {"nested": True}})

    assert response.status_code == 400
    assert "photo_url" in response.json()


def test_login_widget_refuses_a_soft_deleted_user(telegram_bot, linked_user):
    user_soft_delete(user=linked_user)

    assert post("telegram-login", widget_fields(TELEGRAM_ID)).status_code == 401


def test_telegram_sign_in_without_a_bot_is_a_clear_503(settings, linked_user):
    settings.TELEGRAM_BOT_TOKEN = ""

    widget = post("telegram-login", widget_fields(TELEGRAM_ID))
    webapp = post("telegram-webapp", {"init_data": init_data(TELEGRAM_ID)})

    assert (widget.status_code, webapp.status_code) == (503, 503)
    assert "TELEGRAM_BOT_TOKEN" in widget.json()["detail"]


def test_mini_app_init_data_gives_tokens_to_the_linked_user_and_updates_last_login(telegram_bot, linked_user):
    response = post("telegram-webapp", {"init_data": init_data(TELEGRAM_ID)})

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    me = APIClient().get(reverse("me"), HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert me.json()["username"] == "anna"
    linked_user.refresh_from_db()
    assert linked_user.last_login is not None


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        pytest.param({"init_data": init_data(OTHER_TELEGRAM_ID)}, 401, "link Telegram first", id="unknown-id"),
        pytest.param(
            {"init_data": init_data(TELEGRAM_ID).replace("Anna", "Eve")}, 401, "signature is invalid", id="tampered"
        ),
        pytest.param(
            {"init_data": init_data(TELEGRAM_ID, bot_token="1:other")}, 401, "signature is invalid", id="other-bot"
        ),
        pytest.param({"init_data": init_data(TELEGRAM_ID, auth_date=now() - 90000)}, 401, "has expired", id="stale"),
        pytest.param({"init_data": init_data(TELEGRAM_ID, auth_date=now() + 3600)}, 401, "in the future", id="future"),
        pytest.param({"init_data": "user=%7B%7D"}, 401, "missing: hash, auth_date", id="unsigned"),
        pytest.param({}, 400, "init_data", id="missing"),
    ],
)
def test_mini_app_bad_init_data_is_refused(telegram_bot, linked_user, body, status, message):
    response = post("telegram-webapp", body)

    assert response.status_code == status
    assert message in str(response.json())
    assert "access" not in response.json()


# --- Linking --------------------------------------------------------------------------------------


def test_a_signed_in_user_links_telegram_with_widget_data(telegram_bot, api_client_for, client_user):
    signed_at = now()
    link_fields = widget_fields(TELEGRAM_ID, auth_date=signed_at)
    response = api_client_for(client_user).post(reverse("telegram-link"), link_fields, format="json")

    assert response.status_code == 200
    assert response.json() == {"telegram_id": TELEGRAM_ID}
    client_user.refresh_from_db()
    assert client_user.telegram_id == TELEGRAM_ID
    # Another payload (the one sent to link is used up): a second apart, as Telegram would sign it.
    assert post("telegram-login", widget_fields(TELEGRAM_ID, auth_date=signed_at - 1)).status_code == 200


def test_linking_a_telegram_account_of_another_user_is_a_409(telegram_bot, api_client_for, linked_user):
    other = UserFactory()

    response = api_client_for(other).post(reverse("telegram-link"), widget_fields(TELEGRAM_ID), format="json")

    assert response.status_code == 409
    other.refresh_from_db()
    assert other.telegram_id is None


def test_linking_with_forged_widget_data_is_a_401(telegram_bot, api_client_for, client_user):
    forged = {**widget_fields(TELEGRAM_ID), "id": OTHER_TELEGRAM_ID}

    response = api_client_for(client_user).post(reverse("telegram-link"), forged, format="json")

    assert response.status_code == 401
    client_user.refresh_from_db()
    assert client_user.telegram_id is None


def test_linking_needs_a_signed_in_user(telegram_bot):
    assert post("telegram-link", widget_fields(TELEGRAM_ID)).status_code == 401
    assert post("telegram-link").status_code == 401


def test_the_bot_links_the_account_that_sends_the_link_nonce(
    telegram_bot, api_client_for, client_user, django_capture_on_commit_callbacks
):
    invitation = api_client_for(client_user).post(reverse("telegram-link"))
    assert invitation.status_code == 201
    link = invitation.json()["telegram_link"]
    assert link.startswith("https://t.me/club_test_bot?start=link-")
    payload = start_parameter(link)
    assert len(payload) <= 64

    with django_capture_on_commit_callbacks(execute=True):
        assert webhook(f"/start {payload}").status_code == 200

    client_user.refresh_from_db()
    assert client_user.telegram_id == TELEGRAM_ID
    [(path, body)] = telegram_bot.calls
    assert path == f"/bot{BOT_TOKEN}/sendMessage"
    assert body == {"chat_id": TELEGRAM_ID, "text": "Your Telegram account is now linked to anna."}


def test_a_link_nonce_works_once(telegram_bot, api_client_for, client_user, django_capture_on_commit_callbacks):
    payload = start_parameter(api_client_for(client_user).post(reverse("telegram-link")).json()["telegram_link"])
    webhook(f"/start {payload}")

    with django_capture_on_commit_callbacks(execute=True):
        webhook(f"/start {payload}", sender=OTHER_TELEGRAM_ID)

    client_user.refresh_from_db()
    assert client_user.telegram_id == TELEGRAM_ID
    assert telegram_bot.messages_to(OTHER_TELEGRAM_ID) == [
        "This link request is unknown or has expired. Ask the app for a new link."
    ]


def test_the_bot_refuses_to_link_a_telegram_account_linked_elsewhere(
    telegram_bot, api_client_for, linked_user, django_capture_on_commit_callbacks
):
    other = UserFactory()
    payload = start_parameter(api_client_for(other).post(reverse("telegram-link")).json()["telegram_link"])

    with django_capture_on_commit_callbacks(execute=True):
        webhook(f"/start {payload}")

    other.refresh_from_db()
    assert other.telegram_id is None
    assert telegram_bot.messages_to(TELEGRAM_ID) == ["This Telegram account is already linked to another club account."]


def test_a_bot_link_without_a_bot_is_a_503(settings, api_client_for, client_user):
    settings.TELEGRAM_BOT_TOKEN = ""

    assert api_client_for(client_user).post(reverse("telegram-link")).status_code == 503


def test_unlinking_with_the_password_removes_the_telegram_id(telegram_bot, api_client_for, linked_user):
    response = api_client_for(linked_user).delete(reverse("telegram-link"), {"password": PASSWORD}, format="json")

    assert response.status_code == 204
    linked_user.refresh_from_db()
    assert linked_user.telegram_id is None


# --- Webhook --------------------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", WEBHOOK_SECRET + "x"])
def test_the_webhook_refuses_a_missing_or_wrong_secret(telegram_bot, secret):
    assert webhook("/start anything", secret=secret).status_code == 403


def test_the_webhook_is_closed_when_no_secret_is_configured(telegram_bot, settings):
    settings.TELEGRAM_WEBHOOK_SECRET = ""

    assert webhook("/start anything", secret="").status_code == 403


@pytest.mark.parametrize(
    "update",
    [{"update_id": 1}, {"update_id": 1, "edited_message": {}}, {"message": {"text": 5}}, {"message": "x"}, []],
)
def test_the_webhook_acknowledges_updates_it_does_not_act_on(telegram_bot, update):
    response = post("telegram-webhook", update, HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=WEBHOOK_SECRET)

    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert telegram_bot.calls == []


def test_the_bot_answers_a_plain_start_with_help(telegram_bot, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        webhook("/start")

    [reply] = telegram_bot.messages_to(TELEGRAM_ID)
    assert "fitness club" in reply


def test_the_webhook_survives_a_bot_api_that_is_down(telegram_bot, settings, django_capture_on_commit_callbacks):
    settings.TELEGRAM_API_BASE = "http://127.0.0.1:9"  # nothing listens on the discard port

    with django_capture_on_commit_callbacks(execute=True):
        assert webhook("/start").status_code == 200


# --- Telegram-confirmed password login ------------------------------------------------------------


def test_the_bot_confirmed_login_end_to_end(telegram_bot, linked_user, django_capture_on_commit_callbacks):
    started = post("token-obtain", {"username": "anna", "password": PASSWORD})

    assert started.status_code == 202
    body = started.json()
    assert set(body) == {"verification_required", "verification_id", "telegram_link", "expires_at"}
    assert body["verification_required"] is True
    assert body["telegram_link"].startswith("https://t.me/club_test_bot?start=")
    nonce = start_parameter(body["telegram_link"])
    # 128 bits at least: 22+ URL-safe base64 characters; the id the app holds differs from the nonce.
    assert len(nonce) >= 22
    assert len(body["verification_id"]) >= 22
    assert nonce != body["verification_id"]
    assert linked_user.outstandingtoken_set.count() == 0

    waiting = post("telegram-confirm", {"verification_id": body["verification_id"]})
    assert waiting.status_code == 409
    assert "Not confirmed yet" in waiting.json()["detail"]

    with django_capture_on_commit_callbacks(execute=True):
        assert webhook(f"/start {nonce}").status_code == 200
    # Opening the link only asks: the login waits for the Confirm button.
    [question] = telegram_bot.messages_to(TELEGRAM_ID)
    assert question.startswith("Log in to the club account anna?")
    assert post("telegram-confirm", {"verification_id": body["verification_id"]}).status_code == 409

    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(telegram_bot.press("Confirm", chat_id=TELEGRAM_ID)).status_code == 200
    [answered] = telegram_bot.callback_answers()
    assert answered["text"] == "Login of anna confirmed. Return to the app."
    [edited] = telegram_bot.edits_to(TELEGRAM_ID)
    assert edited["text"] == "Login of anna confirmed. Return to the app."
    assert "reply_markup" not in edited

    confirmed = post("telegram-confirm", {"verification_id": body["verification_id"]})
    assert confirmed.status_code == 200
    assert set(confirmed.json()) == {"access", "refresh"}
    me = APIClient().get(reverse("me"), HTTP_AUTHORIZATION=f"Bearer {confirmed.json()['access']}")
    assert me.json()["id"] == linked_user.pk
    linked_user.refresh_from_db()
    assert linked_user.last_login is not None

    again = post("telegram-confirm", {"verification_id": body["verification_id"]})
    assert again.status_code == 410


def test_only_the_linked_telegram_account_can_confirm_a_login(
    telegram_bot, linked_user, django_capture_on_commit_callbacks
):
    body = post("token-obtain", {"username": "anna", "password": PASSWORD}).json()

    with django_capture_on_commit_callbacks(execute=True):
        webhook(f"/start {start_parameter(body['telegram_link'])}", sender=OTHER_TELEGRAM_ID)

    assert post("telegram-confirm", {"verification_id": body["verification_id"]}).status_code == 409
    assert telegram_bot.messages_to(OTHER_TELEGRAM_ID) == [
        "This request is not for your Telegram account; nothing was confirmed."
    ]


def test_the_verification_id_itself_does_not_confirm_a_login(telegram_bot, linked_user):
    body = post("token-obtain", {"username": "anna", "password": PASSWORD}).json()

    webhook(f"/start {body['verification_id']}")

    assert post("telegram-confirm", {"verification_id": body["verification_id"]}).status_code == 409


def test_an_expired_login_request_can_be_neither_confirmed_nor_redeemed(
    telegram_bot, linked_user, django_capture_on_commit_callbacks
):
    body = post("token-obtain", {"username": "anna", "password": PASSWORD}).json()
    TelegramChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    with django_capture_on_commit_callbacks(execute=True):
        webhook(f"/start {start_parameter(body['telegram_link'])}")

    assert TelegramChallenge.objects.get().confirmed_at is None
    assert telegram_bot.messages_to(TELEGRAM_ID) == ["This request is unknown or has expired. Start again in the app."]
    response = post("telegram-confirm", {"verification_id": body["verification_id"]})
    assert response.status_code == 410
    assert "expired" in response.json()["detail"]


def test_a_login_request_expires_after_five_minutes(telegram_bot, linked_user):
    post("token-obtain", {"username": "anna", "password": PASSWORD})

    challenge = TelegramChallenge.objects.get()

    assert challenge.expires_at - challenge.created_at == timedelta(minutes=5)


def test_secrets_are_stored_only_as_digests(telegram_bot, linked_user):
    body = post("token-obtain", {"username": "anna", "password": PASSWORD}).json()
    challenge = TelegramChallenge.objects.get()

    stored = {challenge.nonce_digest, challenge.verification_digest}
    assert body["verification_id"] not in stored
    assert start_parameter(body["telegram_link"]) not in stored


@pytest.mark.parametrize(("body", "status"), [({"verification_id": "made-up"}, 404), ({}, 400)])
def test_confirm_with_an_unknown_or_missing_id(db, body, status):
    assert post("telegram-confirm", body).status_code == status


def test_password_login_of_a_linked_user_without_a_bot_gives_tokens_directly(settings, linked_user):
    settings.TELEGRAM_BOT_TOKEN = ""

    response = post("token-obtain", {"username": "anna", "password": PASSWORD})

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_a_user_deleted_while_confirming_gets_no_tokens(telegram_bot, linked_user, answer_in_bot):
    body = post("token-obtain", {"username": "anna", "password": PASSWORD}).json()
    answer_in_bot(body["telegram_link"])

    user_soft_delete(user=linked_user)

    assert post("telegram-confirm", {"verification_id": body["verification_id"]}).status_code == 401
