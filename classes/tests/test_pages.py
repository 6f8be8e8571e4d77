import datetime

import pytest
from django.utils import timezone

from classes import services
from classes.models import Booking
from classes.tests.factories import ClassSessionFactory
from club.tests.factories import ClientFactory
from training.tests.factories import TrainingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def test_the_week_shows_classes_with_counts_and_the_trainers_own_trainings(signed_in, trainer, member):
    today = timezone.localdate()
    noon = timezone.make_aware(datetime.datetime.combine(today, datetime.time(23, 0)))
    session = ClassSessionFactory(trainer=trainer, starts_at=noon, class_type__name="Boxing", capacity=8)
    services.booking_create(session=session, client=member)
    mine = ClientFactory(trainer=trainer)
    TrainingFactory(client=mine, title="Leg day", date=today, start_time=datetime.time(7, 30))
    TrainingFactory(client=ClientFactory(), title="Someone else's", date=today)

    page = signed_in(trainer).get("/dashboard/schedule/").content.decode()
    assert "Boxing" in page
    assert "1/8" in page
    assert "07:30" in page
    assert "Leg day" in page
    assert "Someone else" not in page
    assert page.count('aria-current="date"') == 1


def test_prev_and_next_week_answer_the_grid_alone_to_htmx(signed_in, trainer):
    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
    next_monday = monday + datetime.timedelta(days=7)
    response = signed_in(trainer).get(f"/dashboard/schedule/?week={next_monday}", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert f"?week={monday}" in html  # "Previous week" and "This week" lead back
    assert 'aria-current="date"' not in html


def test_members_may_not_open_the_schedule_pages(signed_in, client_user, session):
    assert signed_in(client_user).get("/dashboard/schedule/").status_code == 403
    assert signed_in(client_user).get(f"/dashboard/schedule/sessions/{session.pk}/").status_code == 403


def test_the_desk_books_a_member_into_a_full_class_and_sees_the_waitlist_position(signed_in, admin_user, members):
    session = ClassSessionFactory(capacity=1)
    first, second = members(2)
    services.booking_create(session=session, client=first)
    desk = signed_in(admin_user)
    found = desk.get(f"/dashboard/schedule/sessions/{session.pk}/?q={second.first_name}").content.decode()
    assert f"Book {second.first_name}" in found
    response = desk.post(f"/dashboard/schedule/sessions/{session.pk}/book/", {"client_id": second.pk}, follow=True)
    assert f"{second} is on the waitlist at position 1." in response.content.decode()
    again = desk.post(f"/dashboard/schedule/sessions/{session.pk}/book/", {"client_id": second.pk}, follow=True)
    assert "already has a place" in again.content.decode()


def test_staff_cancel_a_session_with_a_reason_from_its_page(signed_in, trainer, session, member):
    services.booking_create(session=session, client=member)
    page = signed_in(trainer)
    page.post(f"/dashboard/schedule/sessions/{session.pk}/cancel/", {"reason": "Flooded studio"})
    html = page.get(f"/dashboard/schedule/sessions/{session.pk}/").content.decode()
    assert "Cancelled: Flooded studio" in html
    assert Booking.objects.get().status == "CANCELLED"


def test_staff_mark_attendance_from_an_hour_before_the_start(signed_in, trainer, member):
    session = ClassSessionFactory(trainer=trainer, starts_at=timezone.now() + datetime.timedelta(minutes=30))
    booking = services.booking_create(session=session, client=member)
    page = signed_in(trainer)
    page.post(f"/dashboard/schedule/bookings/{booking.pk}/attendance/", {"attended": "1"})
    assert Booking.objects.get().status == "ATTENDED"
    page.post(f"/dashboard/schedule/bookings/{booking.pk}/attendance/", {"attended": "0"})
    assert Booking.objects.get().status == "NO_SHOW"
