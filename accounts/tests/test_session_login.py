import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from accounts.services import user_soft_delete
from accounts.tests.signing import BOT_TOKEN, WEBHOOK_SECRET, now, widget_fields

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("login")
PASSWORD = "correct-horse-battery"
TELEGRAM_ID = 424242


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_dashboard_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get(reverse("dashboard:home"))

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next=/dashboard/"


def test_the_login_page_offers_telegram_only_when_a_bot_is_configured(client, settings, telegram_bot):
    with_bot = client.get(LOGIN_URL).content.decode()
    settings.TELEGRAM_BOT_TOKEN = ""
    without_bot = client.get(LOGIN_URL).content.decode()

    assert "Log in with Telegram" in with_bot
    assert f'data-bot-id="{BOT_TOKEN.partition(":")[0]}"' in with_bot
    assert "Log in with Telegram" not in without_bot
    assert "telegram-widget.js" not in without_bot
    assert 'name="password"' in without_bot


def csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


def test_the_login_page_allows_telegrams_script_only_when_a_bot_is_configured(client, settings, telegram_bot):
    with_bot = csp(client.get(LOGIN_URL))
    elsewhere = csp(client.get(reverse("admin:login")))
    settings.TELEGRAM_BOT_TOKEN = ""
    without_bot = csp(client.get(LOGIN_URL))

    assert with_bot["script-src"] == ["'self'", "https://telegram.org"]
    assert with_bot["connect-src"] == ["'self'", "https://oauth.telegram.org"]
    assert without_bot["script-src"] == elsewhere["script-src"] == ["'self'"]
    assert without_bot["connect-src"] == ["'self'"]
    # The rest of the policy is the site's: no eval, no inline code, no framing.
    assert with_bot["default-src"] == ["'self'"]
    assert with_bot["frame-ancestors"] == ["'none'"]


def test_the_login_page_has_no_inline_script(client, telegram_bot):
    page = client.get(LOGIN_URL).content.decode()

    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts
    assert all("src=" in tag for tag in scripts)
    assert "onauth" not in page


def test_a_password_sign_in_opens_the_dashboard_and_updates_last_login(client, trainer):
    response = client.post(LOGIN_URL, {"username": "coach", "password": PASSWORD, "next": "/dashboard/"})

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert signed_in(client)
    trainer.refresh_from_db()
    assert trainer.last_login is not None


def test_a_wrong_password_shows_the_form_again(client, trainer):
    response = client.post(LOGIN_URL, {"username": "coach", "password": "nope"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert not signed_in(client)


def test_a_soft_deleted_user_cannot_sign_in(client, trainer):
    user_soft_delete(user=trainer)

    client.post(LOGIN_URL, {"username": "coach", "password": PASSWORD})

    assert not signed_in(client)


def test_the_login_form_is_throttled(client, settings, trainer):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth_username": "2/min"},
    }
    client.post(LOGIN_URL, {"username": "coach", "password": "nope"})
    client.post(LOGIN_URL, {"username": "coach", "password": "nope"})

    response = client.post(LOGIN_URL, {"username": "coach", "password": PASSWORD})

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert not signed_in(client)


def test_a_telegram_linked_account_signs_in_only_after_the_bot_confirmation(
    client, telegram_bot, trainer, django_capture_on_commit_callbacks
):
    trainer.telegram_id = TELEGRAM_ID
    trainer.save(update_fields=["telegram_id"])

    started = client.post(LOGIN_URL, {"username": "coach", "password": PASSWORD, "next": "/dashboard/"})

    assert started["Location"] == reverse("login-confirm")
    assert not signed_in(client)
    page = client.get(reverse("login-confirm")).content.decode()
    link = page.split('href="https://t.me/')[1].split('"')[0]
    nonce = parse_qs(urlsplit(f"https://t.me/{link}").query)["start"][0]
    assert client.post(reverse("login-confirm")).status_code == 409
    assert not signed_in(client)

    update = {
        "message": {"from": {"id": TELEGRAM_ID}, "chat": {"id": TELEGRAM_ID}, "date": now(), "text": f"/start {nonce}"}
    }

    def deliver(update: dict) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("telegram-webhook"),
                update,
                content_type="application/json",
                HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=WEBHOOK_SECRET,
            )

    deliver(update)  # Start: the bot asks
    assert client.post(reverse("login-confirm")).status_code == 409
    deliver(telegram_bot.press("Confirm", chat_id=TELEGRAM_ID))
    finished = client.post(reverse("login-confirm"))

    assert finished["Location"] == "/dashboard/"
    assert signed_in(client)


def test_the_confirm_page_without_a_pending_login_goes_back_to_the_form(client):
    assert client.get(reverse("login-confirm"))["Location"] == LOGIN_URL
    assert client.post(reverse("login-confirm"))["Location"] == LOGIN_URL


def test_the_telegram_widget_signs_a_linked_user_in(client, telegram_bot, trainer):
    trainer.telegram_id = TELEGRAM_ID
    trainer.save(update_fields=["telegram_id"])

    response = client.post(reverse("login-telegram"), widget_fields(TELEGRAM_ID))

    assert response["Location"] == reverse("dashboard:home")
    assert signed_in(client)


@pytest.mark.parametrize(
    ("next_url", "target"),
    [("/dashboard/clients/", "/dashboard/clients/"), ("https://evil.example/", "/dashboard/"), ("", "/dashboard/")],
)
def test_the_telegram_widget_returns_to_a_safe_next_page_only(client, telegram_bot, trainer, next_url, target):
    trainer.telegram_id = TELEGRAM_ID
    trainer.save(update_fields=["telegram_id"])

    response = client.post(reverse("login-telegram"), {**widget_fields(TELEGRAM_ID), "next": next_url})

    assert response["Location"] == target
    assert signed_in(client)


@pytest.mark.parametrize("telegram_id", [TELEGRAM_ID, 999])
def test_the_telegram_widget_refuses_forged_or_unlinked_data(client, telegram_bot, trainer, telegram_id):
    trainer.telegram_id = TELEGRAM_ID
    trainer.save(update_fields=["telegram_id"])
    fields = (
        {**widget_fields(telegram_id), "first_name": "Mallory"}
        if telegram_id == TELEGRAM_ID
        else widget_fields(telegram_id)
    )

    response = client.post(reverse("login-telegram"), fields, follow=True)

    assert response.redirect_chain[-1][0] == LOGIN_URL
    assert not signed_in(client)
    assert "Telegram" in response.content.decode()


def test_the_telegram_widget_endpoint_takes_no_get(client, telegram_bot):
    assert client.get(reverse("login-telegram"), widget_fields(TELEGRAM_ID)).status_code == 405


def test_logout_ends_the_session(client, trainer):
    client.force_login(trainer)

    response = client.post(reverse("logout"))

    assert response["Location"] == LOGIN_URL
    assert not signed_in(client)


def test_the_admin_login_form_refuses_a_telegram_linked_account(client, telegram_bot, admin_user):
    admin_user.telegram_id = TELEGRAM_ID
    admin_user.save(update_fields=["telegram_id"])

    response = client.post(reverse("admin:login"), {"username": "boss", "password": PASSWORD})

    assert response.status_code == 200
    assert "confirms its logins in Telegram" in response.content.decode()
    assert not signed_in(client)


def test_the_admin_login_form_still_works_for_other_accounts(client, telegram_bot, admin_user):
    response = client.post(reverse("admin:login"), {"username": "boss", "password": PASSWORD})

    assert response.status_code == 302
    assert signed_in(client)


def test_a_soft_deleted_users_open_session_ends_at_once(client, trainer):
    client.force_login(trainer)
    assert client.get(reverse("dashboard:home")).status_code == 200

    user_soft_delete(user=trainer)

    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_the_admin_login_form_is_throttled_per_username(client, settings, admin_user):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**rates, "auth_username": "2/min"}}
    for _ in range(2):
        assert client.post(reverse("admin:login"), {"username": "boss", "password": "nope"}).status_code == 200

    response = client.post(reverse("admin:login"), {"username": "boss", "password": PASSWORD})

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert not signed_in(client)


def test_the_browser_confirmation_is_throttled_like_the_api(client, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**rates, "auth_confirm": "1/min"}}
    client.post(reverse("login-confirm"))

    response = client.post(reverse("login-confirm"))

    assert response.status_code == 429
    assert "Retry-After" in response
