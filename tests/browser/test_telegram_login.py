"""The login page's "Log in with Telegram" button in a real Chromium, under the site's strict CSP.

telegram.org is not reachable from the suite, so its script is served by a stub that plays the one
part the page uses — `Telegram.Login.auth` answering with user data signed like Telegram signs it.
The page's own code, its CSP and the server's signature check all run for real: a CSP violation
(inline script, eval, a blocked origin) shows up as a console error and fails the test.
"""

import json

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import TrainerFactory
from accounts.tests.signing import BOT_TOKEN, BOT_USERNAME, widget_fields

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TELEGRAM_ID = 424242
BOT_ID = BOT_TOKEN.partition(":")[0]


@pytest.fixture
def telegram_bot(settings):
    settings.TELEGRAM_BOT_TOKEN = BOT_TOKEN
    settings.TELEGRAM_BOT_USERNAME = BOT_USERNAME


def serve_telegram_script(page, user: dict) -> None:
    # The popup answers only when asked for our bot: the page must pass the configured bot id.
    script = (
        "window.Telegram = {Login: {auth: function (options, callback) {"
        f"  var user = String(options.bot_id) === {json.dumps(BOT_ID)} ? {json.dumps(user)} : false;"
        "  window.setTimeout(function () { callback(user); }, 0);"
        "}}};"
    )
    page.route(
        "https://telegram.org/js/telegram-widget.js*",
        lambda route: route.fulfill(status=200, content_type="application/javascript", body=script),
    )


def test_a_linked_trainer_logs_in_with_the_telegram_button(live_server, page, telegram_bot):
    TrainerFactory(username="coach", telegram_id=TELEGRAM_ID)
    serve_telegram_script(page, widget_fields(TELEGRAM_ID))

    page.goto(f"{live_server.url}/login/?next=/dashboard/")
    page.get_by_role("button", name="Log in with Telegram").click()

    page.wait_for_url(f"{live_server.url}/dashboard/")
    expect(page.get_by_role("heading", name="Today at a glance")).to_be_visible()


def test_an_unlinked_telegram_account_is_told_to_link_first(live_server, page, telegram_bot):
    TrainerFactory(username="coach", telegram_id=TELEGRAM_ID)
    serve_telegram_script(page, widget_fields(999))

    page.goto(f"{live_server.url}/login/")
    page.get_by_role("button", name="Log in with Telegram").click()

    expect(page.get_by_text("not linked to any club account")).to_be_visible()
    assert page.url.rstrip("/").endswith("/login")
