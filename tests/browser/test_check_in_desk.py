"""The front desk's check-in page in a real Chromium: a USB scanner types a member card's payload and Enter.

A keyboard-wedge scanner is a keyboard: it types what the QR code holds into whatever has the focus, then
presses Enter. The page must keep its input focused and answer each scan with a big green or red state.
"""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.tests.factories import TrainerFactory
from attendance import cards
from attendance.models import Visit
from club.tests.factories import ClientFactory
from tests.browser.support import sign_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
TABLET = {"width": 768, "height": 1024}


def scan(page: Page, payload: str) -> None:
    # Keystroke by keystroke into whatever has the focus, then Enter: what a keyboard-wedge scanner does.
    page.keyboard.type(payload, delay=2)
    page.keyboard.press("Enter")


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, TABLET], ids=["desktop-1280", "tablet-768"])
def test_the_desk_admits_a_scanned_member_and_turns_a_lapsed_one_away(server, page, viewport):
    page.set_viewport_size(viewport)
    trainer = TrainerFactory(username="desk")
    trainer.set_password(PASSWORD)
    trainer.save()
    today = timezone.localdate()
    olga = ClientFactory(first_name="Olga", last_name="Sidorova", expiration_date=today + datetime.timedelta(days=40))
    ivan = ClientFactory(first_name="Ivan", last_name="Lapin", expiration_date=today - datetime.timedelta(days=3))

    sign_in(page, server.url, "desk", PASSWORD)
    page.goto(f"{server.url}/dashboard/check-in/")
    field = page.get_by_label("Card or name")
    expect(field).to_be_focused()

    # A click elsewhere on the page does not steal the scanner's keystrokes.
    page.get_by_role("heading", name="Check-in").click()
    expect(field).to_be_focused()
    scan(page, cards.phone_card_payload(olga.pk))

    state = page.locator(".desk-state")
    expect(state).to_have_attribute("data-result", "ADMITTED")
    expect(state).to_contain_text("Admitted")
    expect(state).to_contain_text("Olga Sidorova")
    expect(state.locator(".avatar")).to_have_text("OS")
    expect(state).to_contain_text("Paid until")
    expect(state).to_have_css("background-color", "rgb(21, 128, 61)")
    expect(page.locator("#desk-today")).to_contain_text("Olga Sidorova")
    expect(field).to_have_value("")
    expect(field).to_be_focused()

    scan(page, cards.phone_card_payload(ivan.pk))

    expect(state).to_have_attribute("data-result", "DENIED")
    expect(state).to_contain_text("Membership lapsed")
    expect(state).to_have_css("background-color", "rgb(185, 28, 28)")
    expect(field).to_be_focused()

    # A member without a phone: staff type the name and pick the member from the list.
    page.keyboard.type("Sidor")
    page.get_by_role("button", name="Check in").nth(1).click()
    expect(state).to_contain_text("Already in")
    expect(field).to_be_focused()

    assert list(Visit.objects.order_by("id").values_list("client_id", "result", "method")) == [
        (olga.pk, "ADMITTED", "QR"),
        (ivan.pk, "DENIED", "QR"),
    ]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"]  # nothing overflows sideways at this width
