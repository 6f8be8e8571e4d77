"""The auth flows over real HTTP against a running server, as an app and another service see them.

Requests travel through a live server (its own thread and database transactions, so the bot's reply
goes out on a real commit) to the fake Bot API; the issued token is then verified the way another
service would: PyJWT fetching the server's JWKS over HTTP.
"""

import logging
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from accounts.tests.factories import UserFactory
from accounts.tests.signing import BOT_TOKEN, WEBHOOK_SECRET, now

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TELEGRAM_ID = 555000111
PASSWORD = "correct-horse-battery"


def start_update(text: str) -> dict:
    """What Telegram POSTs to the webhook when the user presses Start on a deep link."""
    return {
        "update_id": 10001,
        "message": {
            "message_id": 1,
            "from": {"id": TELEGRAM_ID, "is_bot": False, "first_name": "Anna"},
            "chat": {"id": TELEGRAM_ID, "type": "private"},
            "date": now(),
            "text": text,
        },
    }


def test_a_bot_confirmed_login_over_http_yields_a_token_other_services_verify_with_the_jwks(
    live_server, telegram_bot, caplog
):
    caplog.set_level(logging.DEBUG)
    user = UserFactory(username="anna", telegram_id=TELEGRAM_ID)

    with httpx.Client(base_url=live_server.url, timeout=10) as http:
        started = http.post("/api/auth/token/", json={"username": "anna", "password": PASSWORD})
        assert started.status_code == 202
        pending = started.json()
        nonce = parse_qs(urlsplit(pending["telegram_link"]).query)["start"][0]
        confirm = {"verification_id": pending["verification_id"]}
        assert http.post("/api/auth/telegram/confirm/", json=confirm).status_code == 409

        forged = http.post("/api/telegram/webhook/", json=start_update(f"/start {nonce}"))
        assert forged.status_code == 403
        assert http.post("/api/auth/telegram/confirm/", json=confirm).status_code == 409

        delivered = http.post(
            "/api/telegram/webhook/",
            json=start_update(f"/start {nonce}"),
            headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
        )
        assert delivered.status_code == 200
        [question] = telegram_bot.messages_to(TELEGRAM_ID)
        assert question.startswith("Log in to the club account anna?")
        assert "python-httpx, 127.0.0.1" in question
        assert telegram_bot.calls[0][0] == "/bot123456789:AAtest-bot-token-of-the-club/sendMessage"
        assert http.post("/api/auth/telegram/confirm/", json=confirm).status_code == 409

        pressed = http.post(
            "/api/telegram/webhook/",
            json=telegram_bot.press("Confirm", chat_id=TELEGRAM_ID),
            headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
        )
        assert pressed.status_code == 200
        assert telegram_bot.callback_answers()[0]["text"] == "Login of anna confirmed. Return to the app."

        tokens = http.post("/api/auth/telegram/confirm/", json=confirm)
        assert tokens.status_code == 200
        assert tokens.headers["Cache-Control"] == "no-store"
        access = tokens.json()["access"]
        assert http.post("/api/auth/telegram/confirm/", json=confirm).status_code == 410
        refresh = tokens.json()["refresh"]

        me = http.get("/api/me/", headers={"Authorization": f"Bearer {access}"})
        assert me.status_code == 200
        assert me.json()["username"] == "anna"

    signing_key = jwt.PyJWKClient(f"{live_server.url}/.well-known/jwks.json").get_signing_key_from_jwt(access)
    claims = jwt.decode(
        access, signing_key.key, algorithms=["RS256"], audience="fitness-club-api", issuer="fitness-club"
    )
    assert (claims["token_type"], claims["user_id"]) == ("access", str(user.pk))

    # Nothing secret of the whole flow reached a log line (forged and refused requests included).
    secrets = [access, refresh, nonce, pending["verification_id"], PASSWORD, BOT_TOKEN, WEBHOOK_SECRET]
    assert caplog.records
    assert [secret for secret in secrets if secret in caplog.text] == []
