"""The schedule in a real Chromium at 1280 px and on a 390 px phone: the trainer's week, the desk booking a member
into a full class, and a member's cancel promoting the first in line."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from rest_framework_simplejwt.tokens import AccessToken

from accounts.tests.factories import AdminFactory, TrainerFactory
from classes import services
from classes.tests.factories import ClassSessionFactory, ClassTypeFactory
from club.tests.factories import ClientFactory
from tests.browser.support import sign_in
from training.tests.factories import TrainingFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
WIDE = {"width": 1280, "height": 900}
PHONE_390 = {"width": 390, "height": 844}
SIZES = pytest.mark.parametrize("size", [WIDE, PHONE_390], ids=["1280px", "390px"])
NOTHING_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"


def at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def tomorrow_at(hour: int) -> datetime.datetime:
    return at(timezone.localdate() + datetime.timedelta(days=1), hour)


def member(first_name: str):
    return ClientFactory(first_name=first_name, expiration_date=timezone.localdate() + datetime.timedelta(days=60))


@SIZES
def test_a_trainer_reads_the_week_and_walks_to_the_next(server, page: Page, size):
    page.set_viewport_size(size)
    coach = TrainerFactory(username="coach")
    today = timezone.localdate()
    yoga = ClassTypeFactory(name="Morning yoga", capacity=12)
    # A day of this week that is not today (the week ends on Sunday), and the Tuesday of next week.
    other_day = today + datetime.timedelta(days=1 if today.weekday() < 6 else -1)
    next_tuesday = today + datetime.timedelta(days=8 - today.weekday())
    services.session_create(class_type=yoga, trainer=coach, starts_at=at(other_day, 7), room="Studio 1")
    services.session_create(class_type=ClassTypeFactory(name="Spinning"), trainer=coach, starts_at=at(next_tuesday, 9))
    TrainingFactory(client=ClientFactory(trainer=coach), title="Leg day", date=today, start_time=datetime.time(16))

    sign_in(page, server.url, "coach", PASSWORD)
    if size == WIDE:
        page.get_by_role("link", name="Schedule").first.click()  # from the main navigation
    else:
        page.goto(f"{server.url}/dashboard/schedule/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Schedule")
    today_column = page.locator('[aria-current="date"]')
    expect(today_column).to_contain_text("Today")
    expect(today_column).to_contain_text("16:00")
    expect(today_column).to_contain_text("Leg day")
    expect(page.locator(".slot-class", has_text="Morning yoga")).to_contain_text("0/12")
    grid = page.locator(".week-grid").evaluate("grid => getComputedStyle(grid).display")
    assert grid == ("grid" if size == WIDE else "block")  # a phone reads the week as a list of days
    assert page.evaluate(NOTHING_SIDEWAYS)

    page.get_by_role("link", name="Next week →").click()
    expect(page.locator(".slot-class", has_text="Spinning")).to_be_visible()
    expect(page.locator('[aria-current="date"]')).to_have_count(0)
    assert "?week=" in page.url  # htmx pushed the week into the address, so reload and back work
    page.get_by_role("link", name="This week").click()
    expect(page.locator('[aria-current="date"]')).to_have_count(1)


@SIZES
def test_the_desk_books_a_member_into_a_full_class_and_sees_the_waitlist_position(server, page: Page, size):
    page.set_viewport_size(size)
    AdminFactory(username="desk")
    session = ClassSessionFactory(class_type__name="Boxing", capacity=1, starts_at=tomorrow_at(18))
    services.booking_create(session=session, client=member("Ivan"))
    olga = member("Olga")

    sign_in(page, server.url, "desk", PASSWORD)
    page.goto(f"{server.url}/dashboard/schedule/sessions/{session.pk}/")
    expect(page.locator("#booked-count")).to_have_text("1/1")
    page.get_by_label("Find a member").fill("Olga")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name="Book Olga").click()
    expect(page.get_by_role("status")).to_contain_text(f"{olga} is on the waitlist at position 1.")
    expect(page.locator("#waitlist tbody tr").first).to_contain_text("1")
    expect(page.locator("#waitlist tbody tr").first).to_contain_text(str(olga))
    assert page.evaluate(NOTHING_SIDEWAYS)


@SIZES
def test_a_member_cancels_and_the_first_in_line_is_promoted(server, page: Page, size):
    page.set_viewport_size(size)
    TrainerFactory(username="coach")
    session = ClassSessionFactory(class_type__name="Pilates", capacity=1, starts_at=tomorrow_at(10))
    ivan, olga, petr = member("Ivan"), member("Olga"), member("Petr")
    booking = services.booking_create(session=session, client=ivan)
    for client in (olga, petr):
        services.booking_create(session=session, client=client)

    sign_in(page, server.url, "coach", PASSWORD)
    page.goto(f"{server.url}/dashboard/schedule/sessions/{session.pk}/")
    expect(page.locator("#booked tbody")).to_contain_text(str(ivan))
    expect(page.locator("#waitlist tbody tr")).to_have_count(2)

    # Ivan cancels from his phone's app (the API), as a member does.
    token = str(AccessToken.for_user(ivan.user))
    response = page.request.delete(
        f"{server.url}/api/bookings/{booking.pk}/", headers={"Authorization": f"Bearer {token}"}
    )
    assert (response.status, response.json()["status"]) == (200, "CANCELLED")

    page.reload()
    expect(page.locator("#booked tbody")).to_contain_text(str(olga))
    expect(page.locator("#booked tbody")).not_to_contain_text(str(ivan))
    expect(page.locator("#waitlist tbody tr")).to_have_count(1)
    expect(page.locator("#waitlist tbody tr").first).to_contain_text(str(petr))
    expect(page.locator("#waitlist tbody tr td").first).to_have_text("1")
    page.get_by_text("Cancelled (1)").click()
    expect(page.get_by_text(f"{ivan} · Cancelled")).to_be_visible()
