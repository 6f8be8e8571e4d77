import datetime

import pytest
from django.utils import timezone

from classes import services
from classes.models import Booking, BookingStatus, ClassSession
from classes.tests.factories import ClassSessionFactory
from club.models import AccessLevel, MembershipHold
from club.tests.factories import ClientFactory
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def book(api_client_for, user, session, **body):
    return api_client_for(user).post(f"/api/class-sessions/{session.pk}/bookings/", body, format="json")


def test_member_books_itself_until_full_then_is_waitlisted_in_order(api_client_for, session, members):
    first, second, third, fourth = members(4)
    statuses = [book(api_client_for, client.user, session).json() for client in (first, second, third, fourth)]
    assert [(s["status"], s["waitlist_position"]) for s in statuses] == [
        ("BOOKED", None),
        ("BOOKED", None),
        ("WAITLISTED", 1),
        ("WAITLISTED", 2),
    ]
    assert statuses[2]["client_id"] == third.pk


def test_booking_answers_201_with_the_contracts_fields(api_client_for, session, member):
    response = book(api_client_for, member.user, session)
    assert response.status_code == 201
    booking = Booking.objects.get()
    assert response.json() | {"created_at": None} == {
        "id": booking.pk,
        "session_id": session.pk,
        "client_id": member.pk,
        "class_type_name": session.class_type.name,
        "starts_at": session.starts_at.isoformat().replace("+00:00", "Z"),
        "status": "BOOKED",
        "waitlist_position": None,
        "created_at": None,
        "promoted_at": None,
        "cancelled_at": None,
        "attended_at": None,
    }


def test_the_same_member_twice_is_a_409(api_client_for, session, member):
    assert book(api_client_for, member.user, session).status_code == 201
    response = book(api_client_for, member.user, session)
    assert response.status_code == 409
    assert response.json()["extra"]["reason"] == "ALREADY_BOOKED"
    assert Booking.objects.count() == 1


def test_a_lapsed_member_is_refused_with_the_reason(api_client_for, session):
    lapsed = ClientFactory(expiration_date=timezone.localdate() - datetime.timedelta(days=1))
    response = book(api_client_for, lapsed.user, session)
    assert response.status_code == 409
    assert response.json()["extra"] == {"reason": "LAPSED"}


def test_a_member_on_hold_on_the_day_of_the_class_is_refused(api_client_for, session, member):
    day = timezone.localtime(session.starts_at).date()
    MembershipHold.objects.create(client=member, starts_on=day, ends_on=day + datetime.timedelta(days=3))
    response = book(api_client_for, member.user, session)
    assert (response.status_code, response.json()["extra"]["reason"]) == (409, "ON_HOLD")


def test_a_class_refuses_a_membership_level_it_does_not_admit(api_client_for, session, member):
    session.class_type.access_levels = [AccessLevel.VIP]
    session.class_type.save()
    response = book(api_client_for, member.user, session)
    assert response.status_code == 409
    assert response.json()["extra"]["reason"] == "ACCESS_LEVEL"
    assert response.json()["extra"]["admitted"] == ["VIP"]


def test_a_started_or_cancelled_session_cannot_be_booked(api_client_for, trainer, member):
    started = ClassSessionFactory(trainer=trainer, starts_at=timezone.now() - datetime.timedelta(minutes=5))
    cancelled = ClassSessionFactory(trainer=trainer, status="CANCELLED")
    assert book(api_client_for, member.user, started).json()["extra"]["reason"] == "SESSION_STARTED"
    assert book(api_client_for, member.user, cancelled).json()["extra"]["reason"] == "SESSION_CANCELLED"
    assert not Booking.objects.exists()


def test_staff_book_a_member_by_client_id(api_client_for, admin_user, trainer, session, member):
    assert book(api_client_for, trainer, session, client_id=member.pk).status_code == 201
    assert book(api_client_for, trainer, session).status_code == 400
    other = ClientFactory(expiration_date=member.expiration_date)
    assert book(api_client_for, admin_user, session, client_id=other.pk).json()["status"] == "BOOKED"
    assert Booking.objects.get(client=member).booked_by == trainer


def test_a_member_cannot_book_someone_else_and_anonymous_is_401(api_client_for, session, member, other_client_user):
    assert book(api_client_for, other_client_user, session, client_id=member.pk).status_code == 403
    assert book(api_client_for, None, session).status_code == 401
    assert not Booking.objects.exists()


def test_cancel_early_frees_the_spot_for_the_first_waitlisted_and_moves_the_line_up(api_client_for, session, members):
    clients = members(5)
    bookings = [services.booking_create(session=session, client=client) for client in clients]
    response = api_client_for(clients[0].user).delete(f"/api/bookings/{bookings[0].pk}/")
    assert (response.status_code, response.json()["status"]) == (200, "CANCELLED")
    rows = {b.client_id: (b.status, b.waitlist_position) for b in Booking.objects.all()}
    assert rows == {
        clients[0].pk: ("CANCELLED", None),
        clients[1].pk: ("BOOKED", None),
        clients[2].pk: ("BOOKED", None),
        clients[3].pk: ("WAITLISTED", 1),
        clients[4].pk: ("WAITLISTED", 2),
    }


def test_cancelling_within_the_cutoff_is_a_late_cancel(api_client_for, trainer, member, settings):
    settings.BOOKING_CANCEL_CUTOFF_HOURS = 2
    soon = ClassSessionFactory(trainer=trainer, starts_at=timezone.now() + datetime.timedelta(minutes=90))
    booking = services.booking_create(session=soon, client=member)
    response = api_client_for(member.user).delete(f"/api/bookings/{booking.pk}/")
    assert response.json()["status"] == "LATE_CANCELLED"
    assert api_client_for(member.user).delete(f"/api/bookings/{booking.pk}/").status_code == 409


def test_leaving_the_waitlist_closes_the_gap(api_client_for, session, members):
    clients = members(5)
    bookings = [services.booking_create(session=session, client=client) for client in clients]
    api_client_for(clients[2].user).delete(f"/api/bookings/{bookings[2].pk}/")
    assert Booking.objects.get(pk=bookings[3].pk).waitlist_position == 1
    assert Booking.objects.get(pk=bookings[4].pk).waitlist_position == 2


def test_a_member_sees_and_cancels_only_its_own_bookings(api_client_for, session, member, other_client_user, trainer):
    booking = services.booking_create(session=session, client=member)
    assert api_client_for(other_client_user).delete(f"/api/bookings/{booking.pk}/").status_code == 404
    assert api_client_for(other_client_user).get("/api/bookings/").json()["count"] == 0
    assert [b["id"] for b in api_client_for(member.user).get("/api/bookings/").json()["results"]] == [booking.pk]
    assert api_client_for(trainer).get(f"/api/bookings/?session_id={session.pk}").json()["count"] == 1
    assert api_client_for(trainer).delete(f"/api/bookings/{booking.pk}/").json()["status"] == "CANCELLED"


def test_session_list_shows_counts_spots_left_and_the_callers_own_booking(
    api_client_for, session, members, django_assert_num_queries
):
    clients = members(3)
    for client in clients:
        services.booking_create(session=session, client=client)
    ClassSessionFactory(trainer=session.trainer, starts_at=session.starts_at + datetime.timedelta(hours=3))
    api = api_client_for(clients[2].user)
    with django_assert_num_queries(4):  # the user, the count, the page, the caller's own bookings
        response = api.get("/api/class-sessions/")
    first = response.json()["results"][0]
    assert (first["booked"], first["waitlisted"], first["spots_left"]) == (2, 1, 0)
    assert first["my_booking"]["status"] == "WAITLISTED"
    assert first["my_booking"]["waitlist_position"] == 1
    assert response.json()["results"][1]["my_booking"] is None


def test_session_list_filters_by_dates_trainer_and_class_type(api_client_for, trainer, client_user):
    today = timezone.localdate()
    noon = timezone.make_aware(datetime.datetime.combine(today + datetime.timedelta(days=2), datetime.time(12)))
    a = ClassSessionFactory(trainer=trainer, starts_at=noon)
    b = ClassSessionFactory(starts_at=noon + datetime.timedelta(days=7))
    api = api_client_for(client_user)

    def ids(query):
        return [s["id"] for s in api.get(f"/api/class-sessions/?{query}").json()["results"]]

    day = noon.date()
    assert ids(f"date_from={day}&date_to={day}") == [a.pk]
    assert ids(f"date_from={day + datetime.timedelta(days=1)}") == [b.pk]
    assert ids(f"trainer_id={trainer.pk}") == [a.pk]
    assert ids(f"class_type_id={b.class_type_id}") == [b.pk]
    assert api.get("/api/class-sessions/?date_from=tomorrow").status_code == 400


def test_class_types_are_written_by_staff_only(api_client_for, trainer, client_user):
    body = {"name": "Pilates", "capacity": 8, "duration_min": 45, "access_levels": ["PREMIUM", "VIP"]}
    assert api_client_for(client_user).post("/api/class-types/", body, format="json").status_code == 403
    response = api_client_for(trainer).post("/api/class-types/", body, format="json")
    assert response.status_code == 201
    assert response.json()["access_levels"] == ["PREMIUM", "VIP"]
    bad_body = {**body, "name": "X", "access_levels": ["GOLD"]}
    bad = api_client_for(trainer).post("/api/class-types/", bad_body, format="json")
    assert bad.status_code == 400
    assert api_client_for(client_user).get("/api/class-types/").json()["count"] == 1


def test_staff_cancel_a_session_with_a_reason_and_its_members_are_told(
    api_client_for, trainer, session, members, client_user
):
    clients = members(3)
    bookings = [services.booking_create(session=session, client=client) for client in clients]
    url = f"/api/class-sessions/{session.pk}/cancel/"
    assert api_client_for(client_user).post(url, {"reason": "x"}, format="json").status_code == 403
    assert api_client_for(trainer).post(url, {"reason": ""}, format="json").status_code == 400
    response = api_client_for(trainer).post(url, {"reason": "The trainer is ill"}, format="json")
    assert (response.status_code, response.json()["status"], response.json()["cancel_reason"]) == (
        200,
        "CANCELLED",
        "The trainer is ill",
    )
    assert set(Booking.objects.values_list("status", flat=True)) == {BookingStatus.CANCELLED}
    told = Notification.objects.filter(kind="CLASS_CANCELLED").order_by("dedupe_key")
    assert sorted(told.values_list("dedupe_key", "context__reason")) == sorted(
        (f"CLASS_CANCELLED:{booking.pk}", "The trainer is ill") for booking in bookings
    )
    assert api_client_for(trainer).post(url, {"reason": "again"}, format="json").status_code == 409


def test_staff_list_a_sessions_bookings_members_may_not(api_client_for, trainer, session, member):
    services.booking_create(session=session, client=member)
    assert api_client_for(trainer).get(f"/api/class-sessions/{session.pk}/bookings/").json()["count"] == 1
    assert api_client_for(member.user).get(f"/api/class-sessions/{session.pk}/bookings/").status_code == 403


def test_staff_schedule_a_session_with_defaults_from_its_class_type(api_client_for, trainer, session):
    starts = (session.starts_at + datetime.timedelta(days=1)).isoformat()
    body = {"class_type_id": session.class_type_id, "trainer_id": trainer.pk, "starts_at": starts, "room": "Hall"}
    response = api_client_for(trainer).post("/api/class-sessions/", body, format="json")
    assert response.status_code == 201
    created = ClassSession.objects.get(pk=response.json()["id"])
    assert (created.capacity, created.ends_at - created.starts_at) == (2, datetime.timedelta(minutes=60))
    assert response.json()["spots_left"] == 2
