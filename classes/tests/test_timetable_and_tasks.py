import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.tests.factories import TrainerFactory
from classes import services, tasks
from classes.models import Booking, BookingStatus, ClassSession, TimetableRule
from classes.tests.factories import ClassSessionFactory, ClassTypeFactory

pytestmark = pytest.mark.django_db


def at(days: int, hour: int) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.mark.postgres
def test_a_trainer_booked_twice_at_once_is_a_409_naming_the_clash(api_client_for, trainer):
    yoga = ClassTypeFactory(name="Yoga flow")
    first = services.session_create(class_type=yoga, trainer=trainer, starts_at=at(2, 18), room="Studio 1")
    body = {"class_type_id": yoga.pk, "trainer_id": trainer.pk, "starts_at": at(2, 18).replace(minute=30).isoformat()}
    response = api_client_for(trainer).post("/api/class-sessions/", {**body, "room": "Studio 2"}, format="json")
    assert response.status_code == 409
    start = timezone.localtime(first.starts_at)
    assert response.json() == {
        "detail": f"Trainer coach is already booked: Yoga flow on {start:%Y-%m-%d} 18:00–19:00.",
        "extra": {"reason": "TRAINER_BUSY", "clash_session_id": first.pk},
    }


@pytest.mark.postgres
def test_a_room_booked_twice_is_a_409_and_back_to_back_sessions_are_fine(api_client_for, trainer):
    yoga = ClassTypeFactory()
    first = services.session_create(class_type=yoga, trainer=trainer, starts_at=at(2, 18), room="Studio 1")
    other = TrainerFactory()
    body = {"class_type_id": yoga.pk, "trainer_id": other.pk, "starts_at": at(2, 18).isoformat(), "room": "Studio 1"}
    response = api_client_for(trainer).post("/api/class-sessions/", body, format="json")
    assert response.json()["extra"] == {"reason": "ROOM_BUSY", "clash_session_id": first.pk}
    next_hour = {**body, "starts_at": at(2, 19).isoformat()}
    assert api_client_for(trainer).post("/api/class-sessions/", next_hour, format="json").status_code == 201
    no_room = {**body, "room": ""}
    assert api_client_for(trainer).post("/api/class-sessions/", no_room, format="json").status_code == 201


@pytest.mark.postgres
def test_the_database_itself_refuses_an_overlap_that_skips_the_service(trainer):
    # Plain ORM writes (another service, a script) meet the exclusion constraint, not a Python check.
    ClassSessionFactory(trainer=trainer, starts_at=at(3, 10), ends_at=at(3, 11))
    with pytest.raises(IntegrityError, match="class_sessions_no_trainer_overlap"), transaction.atomic():
        ClassSessionFactory(trainer=trainer, starts_at=at(3, 10).replace(minute=30), ends_at=at(3, 12))
    # A cancelled session frees its time.
    ClassSessionFactory(trainer=trainer, starts_at=at(3, 10), ends_at=at(3, 11), status="CANCELLED")
    assert connection.vendor == "postgresql"


def test_a_rule_creates_its_sessions_weeks_ahead_and_running_again_creates_nothing(trainer, settings):
    settings.TIMETABLE_WEEKS_AHEAD = 4
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    rule = services.timetable_rule_create(
        weekday=tomorrow.weekday(), start_time=datetime.time(9), class_type=ClassTypeFactory(), trainer=trainer
    )
    starts = list(rule.sessions.values_list("starts_at", flat=True))
    assert [timezone.localtime(s).date() for s in starts] == [tomorrow + datetime.timedelta(weeks=n) for n in range(4)]
    assert tasks.generate_timetable() == {"created": 0, "skipped": 0}
    assert tasks.generate_timetable() == {"created": 0, "skipped": 0}
    assert ClassSession.objects.count() == 4


def test_editing_a_rule_moves_future_unbooked_sessions_only(api_client_for, trainer, member):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    rule = services.timetable_rule_create(
        weekday=tomorrow.weekday(), start_time=datetime.time(9), class_type=ClassTypeFactory(), trainer=trainer
    )
    booked_session = rule.sessions.order_by("starts_at").first()
    services.booking_create(session=booked_session, client=member)
    response = api_client_for(trainer).patch(f"/api/timetable/{rule.pk}/", {"start_time": "11:00"}, format="json")
    assert response.status_code == 200
    hours = sorted(timezone.localtime(s.starts_at).hour for s in rule.sessions.all())
    assert hours == [9, 11, 11, 11, 11]  # the booked one stays at 9, this week's 11:00 joins it
    assert ClassSession.objects.get(pk=booked_session.pk).bookings.count() == 1


def test_a_rule_clashing_with_a_session_skips_that_start(trainer):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    start = timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time(9)))
    services.session_create(class_type=ClassTypeFactory(), trainer=trainer, starts_at=start)
    rule = TimetableRule.objects.create(
        weekday=tomorrow.weekday(), start_time=datetime.time(9), class_type=ClassTypeFactory(), trainer=trainer
    )
    assert services.timetable_generate(weeks=2) == {"created": 1, "skipped": 1}
    assert rule.sessions.count() == 1


def test_bookings_still_booked_after_the_end_become_no_shows_once(trainer, members):
    session = ClassSessionFactory(trainer=trainer, capacity=3)
    booked, attended = members(2)
    services.booking_create(session=session, client=booked)
    services.booking_create(session=session, client=attended)
    Booking.objects.filter(client=attended).update(status=BookingStatus.ATTENDED)
    ClassSession.objects.filter(pk=session.pk).update(
        starts_at=timezone.now() - datetime.timedelta(hours=2), ends_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert tasks.mark_no_shows() == 1
    assert tasks.mark_no_shows() == 0
    assert dict(Booking.objects.values_list("client_id", "status")) == {
        booked.pk: "NO_SHOW",
        attended.pk: "ATTENDED",
    }


def test_an_admission_within_the_hour_before_a_class_marks_it_attended(trainer, member):
    now = timezone.now()
    soon = ClassSessionFactory(trainer=trainer, starts_at=now + datetime.timedelta(minutes=40))
    later = ClassSessionFactory(
        trainer=trainer, starts_at=now + datetime.timedelta(hours=3), ends_at=now + datetime.timedelta(hours=4)
    )
    services.booking_create(session=soon, client=member)
    services.booking_create(session=later, client=member)
    marked = services.bookings_mark_attended(client=member, at=now)
    assert [b.session_id for b in marked] == [soon.pk]
    assert Booking.objects.get(session=soon).status == "ATTENDED"
    assert Booking.objects.get(session=later).status == "BOOKED"
    assert services.bookings_mark_attended(client=member, at=now) == []


def test_the_periodic_tasks_are_in_beats_schedule(settings):
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"classes.tasks.generate_timetable", "classes.tasks.mark_no_shows"} <= tasks_scheduled


def test_raising_the_capacity_in_the_admin_serves_the_waitlist(trainer, members):
    session = ClassSessionFactory(trainer=trainer, capacity=1)
    first, second, third = members(3)
    for client in (first, second, third):
        services.booking_create(session=session, client=client)
    session.capacity = 2
    services.session_save(session=session)
    assert dict(Booking.objects.values_list("client_id", "waitlist_position")) == {
        first.pk: None,
        second.pk: None,
        third.pk: 1,
    }
