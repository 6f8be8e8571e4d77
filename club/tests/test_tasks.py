import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from club.models import Client
from club.tasks import deactivate_expired_memberships
from club.tests.factories import ClientFactory
from config.celery import app

pytestmark = pytest.mark.django_db


def test_expiry_deactivates_only_active_clients_past_their_last_paid_day():
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    expired = ClientFactory(status="ACTIVE", expiration_date=yesterday)
    last_day_today = ClientFactory(status="ACTIVE", expiration_date=today)
    never_paid = ClientFactory(status="ACTIVE", expiration_date=None)
    on_hold = ClientFactory(status="ON_HOLD", expiration_date=yesterday)
    inactive = ClientFactory(status="INACTIVE", expiration_date=today + datetime.timedelta(days=10))

    assert deactivate_expired_memberships.apply().get() == 1

    statuses = dict(Client.objects.values_list("pk", "status"))
    assert statuses == {
        expired.pk: "INACTIVE",
        last_day_today.pk: "ACTIVE",
        never_paid.pk: "ACTIVE",
        on_hold.pk: "ON_HOLD",
        inactive.pk: "INACTIVE",
    }


def test_expiry_runs_daily_from_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["deactivate-expired-memberships"]

    assert entry["task"] == deactivate_expired_memberships.name
    assert entry["task"] in app.tasks
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({0}, {5})
