"""The member's Notifications page in a real Chromium at 1280 px and on a 390 px phone."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from club.tests.factories import ClientFactory
from notifications.models import NotificationKind, NotificationOptOut

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
WIDE = {"width": 1280, "height": 900}
PHONE_390 = {"width": 390, "height": 844}
SIZES = pytest.mark.parametrize("size", [WIDE, PHONE_390], ids=["1280px", "390px"])
NOTHING_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"


@SIZES
def test_a_member_switches_class_reminders_off_on_its_notifications_page(server, page: Page, size):
    page.set_viewport_size(size)
    member = ClientFactory(
        user__username="anna",
        user__telegram_id=777000111,
        expiration_date=timezone.localdate() + datetime.timedelta(days=30),
    )
    page.goto(f"{server.url}/login/?next=/dashboard/card/")
    page.get_by_label("Username").fill("anna")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.url}/dashboard/card/")

    if size == WIDE:
        page.get_by_role("link", name="Notifications").click()  # from the member's navigation
    else:
        page.goto(f"{server.url}/dashboard/notifications/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    boxes = page.get_by_role("checkbox")
    expect(boxes).to_have_count(len(NotificationKind.values))
    reminder = page.get_by_label("Class reminder")
    expect(reminder).to_be_checked()
    assert page.evaluate(NOTHING_SIDEWAYS)

    reminder.uncheck()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Your notification settings are saved.")).to_be_visible()
    expect(page.get_by_label("Class reminder")).not_to_be_checked()
    expect(page.get_by_label("Receipt")).to_be_checked()
    assert list(NotificationOptOut.objects.filter(user=member.user).values_list("kind", flat=True)) == [
        NotificationKind.CLASS_REMINDER
    ]
    assert page.evaluate(NOTHING_SIDEWAYS)
