import datetime

import pytest
from django.utils import timezone

from classes import services, tasks
from classes.models import Booking, BookingStatus, ClassSession
from classes.tests.factories import ClassSessionFactory
from notifications.models import Notification, NotificationKind
from notifications.tests.helpers import in_failed_transaction, link_telegram, rows

pytestmark = pytest.mark.django_db

PROMOTED, CANCELLED, REMINDER = (
    NotificationKind.WAITLIST_PROMOTED,
    NotificationKind.CLASS_CANCELLED,
    NotificationKind.CLASS_REMINDER,
)


@pytest.fixture
def linked_members(members):
    def make(count: int):
        clients = members(count)
        for client in clients:
            link_telegram(client.user)
        return clients

    return make


def book(session, *clients) -> list[Booking]:
    return [services.booking_create(session=session, client=client) for client in clients]


# ---------------------------------------------------------------------------
# WAITLIST_PROMOTED
# ---------------------------------------------------------------------------
def test_a_cancel_that_frees_a_spot_tells_the_promoted_member_on_commit(
    session, linked_members, django_capture_on_commit_callbacks
):
    first, second, waiting = linked_members(3)
    spot, _, waitlisted = book(session, first, second, waiting)
    with django_capture_on_commit_callbacks() as callbacks:
        services.booking_cancel(booking=spot)
    notification = Notification.objects.get()
    assert (notification.user, notification.kind, notification.dedupe_key, notification.status) == (
        waiting.user,
        PROMOTED,
        f"WAITLIST_PROMOTED:{waitlisted.pk}",
        "QUEUED",
    )
    assert notification.context == {
        "booking_id": waitlisted.pk,
        "session_id": session.pk,
        "class_name": session.class_type.name,
        "starts_at": session.starts_at.isoformat(),
        "room": "",
        "trainer": "coach",
        "reason": "",
    }
    assert len(callbacks) == 1


def test_a_cancel_that_rolls_back_promotes_and_tells_nobody(session, linked_members):
    spot, _, _ = book(session, *linked_members(3))
    in_failed_transaction(lambda: services.booking_cancel(booking=spot))
    assert Notification.objects.count() == 0
    assert Booking.objects.filter(status=BookingStatus.WAITLISTED).count() == 1


def test_cancelling_a_waitlisted_booking_promotes_and_tells_nobody(session, linked_members):
    _, _, waitlisted = book(session, *linked_members(3))
    services.booking_cancel(booking=waitlisted)
    assert Notification.objects.count() == 0


def test_raising_the_capacity_tells_each_promoted_member(session, linked_members):
    *_, third, fourth = book(session, *linked_members(4))
    session.capacity = 4
    services.session_save(session=session)
    assert sorted(rows()) == [
        (PROMOTED, f"WAITLIST_PROMOTED:{third.pk}", "QUEUED"),
        (PROMOTED, f"WAITLIST_PROMOTED:{fourth.pk}", "QUEUED"),
    ]


# ---------------------------------------------------------------------------
# CLASS_CANCELLED
# ---------------------------------------------------------------------------
def test_cancelling_a_session_tells_every_booked_and_waitlisted_member_the_reason(
    session, linked_members, members, django_capture_on_commit_callbacks
):
    booked, left_earlier, waiting = linked_members(3)
    [unlinked] = members(1)
    first, second, third = book(session, booked, left_earlier, waiting)
    services.booking_cancel(booking=second)  # promotes `waiting`: one WAITLIST_PROMOTED row
    [fourth] = book(session, unlinked)

    with django_capture_on_commit_callbacks() as callbacks:
        services.session_cancel(session=session, reason="The trainer is ill")

    assert sorted(rows(kind=CANCELLED)) == sorted([
        (CANCELLED, f"CLASS_CANCELLED:{first.pk}", "QUEUED"),
        (CANCELLED, f"CLASS_CANCELLED:{third.pk}", "QUEUED"),
        (CANCELLED, f"CLASS_CANCELLED:{fourth.pk}", "SKIPPED"),
    ])  # fmt: skip
    assert {n.context["reason"] for n in Notification.objects.filter(kind=CANCELLED)} == {"The trainer is ill"}
    assert len(callbacks) == 1  # one callback queues both sends


def test_a_second_cancel_is_refused_and_tells_nobody_again(session, linked_members):
    book(session, *linked_members(2))
    services.session_cancel(session=session, reason="Flood")
    with pytest.raises(Exception, match="already cancelled"):
        services.session_cancel(session=session, reason="Flood again")
    assert Notification.objects.filter(kind=CANCELLED).count() == 2


# ---------------------------------------------------------------------------
# CLASS_REMINDER
# ---------------------------------------------------------------------------
def starting_in(trainer, minutes: int) -> ClassSession:
    starts_at = timezone.now().replace(microsecond=0) + datetime.timedelta(minutes=minutes)
    ends_at = starts_at + datetime.timedelta(minutes=20)  # short: one trainer's sessions never overlap here
    return ClassSessionFactory(trainer=trainer, starts_at=starts_at, ends_at=ends_at, capacity=5)


def test_reminders_go_to_booked_members_of_sessions_starting_within_two_hours(trainer, linked_members):
    anna, boris, vera, gleb = linked_members(4)
    soon, edge, later = starting_in(trainer, 30), starting_in(trainer, 90), starting_in(trainer, 180)
    [booked] = book(soon, anna)
    [at_the_edge] = book(edge, boris)
    book(later, vera)
    [cancelled] = book(soon, gleb)
    services.booking_cancel(booking=cancelled)

    services.bookings_remind(now=edge.starts_at - services.REMINDER_AHEAD)  # `edge` starts in exactly 2 h

    assert sorted(rows()) == sorted([
        (REMINDER, f"CLASS_REMINDER:{booked.pk}", "QUEUED"),
        (REMINDER, f"CLASS_REMINDER:{at_the_edge.pk}", "QUEUED"),
    ])  # fmt: skip


def test_a_session_two_hours_and_a_minute_away_is_not_reminded_yet(trainer, linked_members):
    session = starting_in(trainer, 121)
    book(session, *linked_members(1))
    services.bookings_remind(now=session.starts_at - services.REMINDER_AHEAD - datetime.timedelta(minutes=1))
    assert rows() == []
    services.bookings_remind(now=session.starts_at - services.REMINDER_AHEAD)
    assert len(rows()) == 1


def test_started_and_cancelled_sessions_are_not_reminded(trainer, linked_members):
    started = starting_in(trainer, 10)
    cancelled = starting_in(trainer, 60)
    first, second = linked_members(2)
    book(started, first)
    book(cancelled, second)
    services.session_cancel(session=cancelled, reason="Flood")
    Notification.objects.all().delete()
    services.bookings_remind(now=started.starts_at)
    assert rows() == []


def test_reminding_twice_queues_nothing_new(trainer, linked_members, django_capture_on_commit_callbacks):
    session = starting_in(trainer, 60)
    book(session, *linked_members(2))
    assert tasks.remind_booked_classes() == {"written": 2, "queued": 2}
    with django_capture_on_commit_callbacks() as callbacks:
        assert tasks.remind_booked_classes() == {"written": 0, "queued": 0}
    assert (Notification.objects.count(), callbacks) == (2, [])


def test_the_reminder_context_holds_the_class_time_room_and_trainer(trainer, linked_members):
    session = starting_in(trainer, 60)
    ClassSession.objects.filter(pk=session.pk).update(room="Studio A")
    [booking] = book(session, *linked_members(1))
    services.bookings_remind()
    assert Notification.objects.get().context == {
        "booking_id": booking.pk,
        "session_id": session.pk,
        "class_name": session.class_type.name,
        "starts_at": session.starts_at.isoformat(),
        "room": "Studio A",
        "trainer": "coach",
        "reason": "",
    }


def test_the_reminder_task_runs_a_fixed_number_of_queries_whatever_the_number_of_bookings(
    trainer, linked_members, django_assert_num_queries
):
    book(starting_in(trainer, 60), *linked_members(2))
    with django_assert_num_queries(3):  # savepoint, one INSERT … SELECT, release
        tasks.remind_booked_classes()
    book(starting_in(trainer, 100), *linked_members(5))
    with django_assert_num_queries(3):
        tasks.remind_booked_classes()
    assert Notification.objects.count() == 7


def test_the_reminder_task_is_on_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["remind-booked-classes"]
    assert entry["task"] == "classes.tasks.remind_booked_classes"
