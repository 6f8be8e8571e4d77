"""The interactive API docs in a real Chromium, under the site's strict Content-Security-Policy."""

import pytest
from playwright.sync_api import expect
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import TrainerFactory
from club.tests.factories import MembershipFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_render_and_call_the_api_with_a_bearer_token(live_server, page):
    MembershipFactory(access_level="VIP")
    token = str(RefreshToken.for_user(TrainerFactory()).access_token)

    # Any blocked script (CDN, inline) is a CSP violation on the console: the `page` fixture fails on it.
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.get_by_role("heading", name="Fitness club platform API")).to_be_visible()

    page.locator(".auth-wrapper").get_by_role("button", name="Authorize").click()
    jwt = page.locator(".dialog-ux form").filter(has=page.locator("#auth-bearer-value"))
    jwt.locator("#auth-bearer-value").fill(token)
    jwt.locator("button.authorize").click()
    page.locator(".dialog-ux .close-modal").click()

    operation = page.locator(".opblock-get").filter(has=page.locator('[data-path="/api/memberships/"]'))
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    live = operation.locator(".live-responses-table tbody")
    expect(live.locator(".response-col_status").first).to_have_text("200")
    expect(live.locator(".microlight").first).to_contain_text('"access_level": "VIP"')
