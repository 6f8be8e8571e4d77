import datetime

import pytest
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone

from classes.models import Booking, BookingStatus, ClassSession, TimetableRule

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_a_booked_timetable_with_waitlists_and_runs_again_safely():
    call_command("seed_demo", clients=40, trainings_per_client=1)

    assert TimetableRule.objects.count() == 30
    today = timezone.localdate()
    ahead = ClassSession.objects.filter(
        starts_at__date__gt=today, starts_at__date__lte=today + datetime.timedelta(weeks=4)
    )
    assert 110 <= ahead.count() <= 120  # 30 a week, minus what already started today
    assert Booking.objects.filter(status=BookingStatus.BOOKED).exists()
    waitlisted = ClassSession.objects.annotate(
        waiting=Count("bookings", filter=Q(bookings__status=BookingStatus.WAITLISTED))
    ).filter(waiting__gt=0)
    assert waitlisted.exists()
    for session in waitlisted:
        assert session.bookings.filter(status=BookingStatus.BOOKED).count() == session.capacity

    before = ClassSession.objects.count(), Booking.objects.count()
    call_command("seed_demo", clients=40, trainings_per_client=1)
    assert (ClassSession.objects.count(), Booking.objects.count()) == before
