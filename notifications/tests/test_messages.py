import pytest
from django.utils import translation

from notifications.messages import render
from notifications.models import Notification, NotificationKind

CLASS = {
    "booking_id": 7,
    "session_id": 3,
    "class_name": "Yoga",
    "starts_at": "2026-12-08T07:00:00+00:00",
    "room": "Studio A",
    "trainer": "coach",
    "reason": "",
}
CONTEXTS = {
    NotificationKind.MEMBERSHIP_EXPIRING: {"client_id": 1, "first_name": "Anna", "expiration_date": "2026-12-08"},
    NotificationKind.MEMBERSHIP_LAPSED: {"client_id": 1, "first_name": "Anna", "expiration_date": "2026-12-08"},
    NotificationKind.CLASS_REMINDER: CLASS,
    NotificationKind.WAITLIST_PROMOTED: CLASS,
    NotificationKind.CLASS_CANCELLED: {**CLASS, "reason": "the trainer is ill"},
    NotificationKind.RECEIPT: {
        "payment_id": 9,
        "receipt_number": "2026-000042",
        "amount": "1497.00",
        "currency": "RUB",
        "membership": "Premium",
        "period_from": "2026-12-09",
        "period_to": "2027-03-08",
    },
    NotificationKind.WORKOUT_SUMMARY: {
        "workout_id": 5,
        "exercise_type": "push_up",
        "reps": 40,
        "previous_best": 35,
        "personal_best": True,
        "today": {"push_up": 40, "squat": 60},
    },
}


def text(kind: NotificationKind, **context) -> str:
    return render(Notification(kind=kind, context={**CONTEXTS[kind], **context}))


@pytest.fixture(autouse=True)
def club_time(settings):
    settings.TIME_ZONE = "Europe/Moscow"  # UTC+3: 07:00 UTC is 10:00 at the club


def test_membership_expiring_names_the_last_day_and_how_to_renew():
    assert text(NotificationKind.MEMBERSHIP_EXPIRING) == (
        "Hi Anna! Your membership ends on 8 Dec 2026. Renew it at the front desk before then to keep training "
        "without a break."
    )


def test_membership_lapsed_names_the_day_it_ended():
    assert text(NotificationKind.MEMBERSHIP_LAPSED) == (
        "Hi Anna, your membership ended on 8 Dec 2026. We miss you: the front desk renews it in a minute."
    )


def test_class_reminder_gives_the_class_the_club_time_the_room_and_the_trainer():
    assert text(NotificationKind.CLASS_REMINDER) == (
        "Reminder: your class starts soon. Yoga, 8 Dec 2026, 10:00, room Studio A, with coach. See you there!"
    )


def test_a_class_without_a_room_leaves_the_room_out():
    assert text(NotificationKind.CLASS_REMINDER, room="") == (
        "Reminder: your class starts soon. Yoga, 8 Dec 2026, 10:00, with coach. See you there!"
    )


def test_sqlites_offsetless_utc_instant_is_read_as_utc():
    assert "10:00" in text(NotificationKind.CLASS_REMINDER, starts_at="2026-12-08 07:00:00")


def test_waitlist_promoted_says_the_member_is_booked():
    assert text(NotificationKind.WAITLIST_PROMOTED) == (
        "Good news: a spot opened up and you are booked. Yoga, 8 Dec 2026, 10:00, room Studio A, with coach."
    )


def test_class_cancelled_gives_the_reason():
    assert text(NotificationKind.CLASS_CANCELLED) == (
        "Sorry, this class is cancelled: Yoga, 8 Dec 2026, 10:00, room Studio A, with coach. "
        "Reason: the trainer is ill. Your booking is cancelled too; /schedule shows other classes."
    )


def test_receipt_gives_its_number_the_amount_with_currency_and_the_period():
    assert text(NotificationKind.RECEIPT) == (
        "Thank you! Receipt 2026-000042: 1497.00 RUB for Premium, from 9 Dec 2026 to 8 Mar 2027."
    )


def test_an_online_payment_has_no_receipt_number():
    assert text(NotificationKind.RECEIPT, receipt_number=None, amount="49.90") == (
        "Thank you! Your payment of 49.90 RUB for Premium arrived: from 9 Dec 2026 to 8 Mar 2027."
    )


def test_workout_summary_gives_the_reps_the_personal_best_and_todays_totals():
    assert text(NotificationKind.WORKOUT_SUMMARY) == (
        "Workout saved: push up, 40 reps.\nPersonal best! Your previous best was 35.\n"
        "Today so far: push up 40, squat 60."
    )


def test_a_workout_that_is_no_best_and_the_only_one_today_is_one_line():
    summary = text(
        NotificationKind.WORKOUT_SUMMARY, reps=1, previous_best=None, personal_best=False, today={"push_up": 1}
    )
    assert summary == "Workout saved: push up, 1 rep."


@pytest.mark.parametrize("kind", list(NotificationKind))
def test_every_kind_renders_in_russian_with_russian_dates(kind):
    with translation.override("ru"):
        message = text(kind)
    assert message.strip()
    if kind != NotificationKind.WORKOUT_SUMMARY:
        assert "2026 г." in message  # Django's Russian date format: "8 декабря 2026 г."
