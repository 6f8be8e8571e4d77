import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from club.models import Client, MembershipHold
from club.tasks import deactivate_expired_memberships
from club.tests.factories import ClientFactory
from config.celery import app

pytestmark = pytest.mark.django_db


def test_the_nightly_task_brings_the_stored_status_in_line_with_dates_and_holds():
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    expired = ClientFactory(status="ACTIVE", expiration_date=yesterday)
    last_day_today = ClientFactory(status="ACTIVE", expiration_date=today)
    never_paid = ClientFactory(status="ACTIVE", expiration_date=None)
    # ON_HOLD comes from dated holds now: a stored ON_HOLD without one is a lapsed member like any other.
    on_hold_without_a_hold = ClientFactory(status="ON_HOLD", expiration_date=yesterday)
    on_a_hold_today = ClientFactory(status="ACTIVE", expiration_date=today + datetime.timedelta(days=20))
    MembershipHold.objects.create(client=on_a_hold_today, starts_on=yesterday, ends_on=today)
    back_from_a_hold = ClientFactory(status="ON_HOLD", expiration_date=today + datetime.timedelta(days=20))
    MembershipHold.objects.create(
        client=back_from_a_hold, starts_on=yesterday - datetime.timedelta(days=5), ends_on=yesterday
    )
    inactive = ClientFactory(status="INACTIVE", expiration_date=today + datetime.timedelta(days=10))

    assert deactivate_expired_memberships.apply().get() == 4

    statuses = dict(Client.objects.values_list("pk", "status"))
    assert statuses == {
        expired.pk: "INACTIVE",
        last_day_today.pk: "ACTIVE",
        never_paid.pk: "ACTIVE",
        on_hold_without_a_hold.pk: "INACTIVE",
        on_a_hold_today.pk: "ON_HOLD",
        back_from_a_hold.pk: "ACTIVE",
        inactive.pk: "INACTIVE",
    }


def test_expiry_runs_daily_from_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["deactivate-expired-memberships"]

    assert entry["task"] == deactivate_expired_memberships.name
    assert entry["task"] in app.tasks
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({0}, {5})
