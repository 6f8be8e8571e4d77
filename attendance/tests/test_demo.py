"""The demo club's visits make the charts and the at-risk list show something real under `make run`."""

import io

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from attendance.models import Visit, VisitResult
from attendance.selectors import with_attendance_risk
from club.models import Client

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_morning_and_evening_visits_and_members_drifting_away():
    call_command("seed_demo", clients=40, trainings_per_client=1, stdout=io.StringIO())

    admitted = Visit.objects.filter(result=VisitResult.ADMITTED)
    hours = {timezone.localtime(at).hour for at in admitted.values_list("checked_in_at", flat=True)}
    assert admitted.count() > 200
    assert hours & {6, 7, 8}
    assert hours & {18, 19, 20}
    assert not admitted.filter(checked_in_at__date__gt=F("client__expiration_date")).exists()
    assert not Visit.objects.filter(checked_in_at__gt=timezone.now()).exists()
    assert with_attendance_risk(Client.objects.with_effective_status()).exists()
