"""The embedded default (SQLite, `make run`): the bulk outbox statement and its JSON context work there too."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import datetime, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.db import connection
from django.utils import timezone
from accounts.models import User
from classes import services
from classes.models import ClassType
from club.models import Client, Membership
from club.services import client_create, memberships_notify
from notifications.messages import render
from notifications.models import Notification
assert connection.vendor == "sqlite"
coach = User.objects.create_user(username="coach", email="c@example.com", password="x", role="TRAINER")
anna = User.objects.create_user(username="anna", email="a@example.com", password="x", telegram_id=42)
today = timezone.localdate()
client = client_create(user=anna, first_name="Anna", last_name="P", phone_number="+7 900 0000001",
    date_of_birth=datetime.date(1990, 1, 1), expiration_date=today + datetime.timedelta(days=3), reason="opening")
session = services.session_create(class_type=ClassType.objects.create(name="Yoga"), trainer=coach,
    starts_at=timezone.now() + datetime.timedelta(hours=1), room="A")
services.booking_create(session=session, client=client)
print(memberships_notify(today=today)["MEMBERSHIP_EXPIRING"]["queued"], services.bookings_remind().queued,
      services.bookings_remind().written)
expiring = Notification.objects.get(kind="MEMBERSHIP_EXPIRING")
print(expiring.dedupe_key == f"MEMBERSHIP_EXPIRING:{client.pk}:{client.expiration_date.isoformat()}")
for notification in Notification.objects.order_by("id"):
    print(notification.dedupe_key.split(":")[0], notification.status, render(notification).split(" ")[0])
"""


def test_on_sqlite_the_periodic_notices_are_written_once_and_render(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", DJANGO_SETTINGS_MODULE="config.settings.test")
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines() == [
        "1 1 0",
        "True",
        "MEMBERSHIP_EXPIRING QUEUED Hi",
        "CLASS_REMINDER QUEUED Reminder:",
    ]
