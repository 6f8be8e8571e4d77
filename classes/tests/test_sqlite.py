"""The embedded default (SQLite, `make run`): the migrations apply without ranges or GiST, and the service checks
clashes in Python instead of the exclusion constraint."""

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
from core.exceptions import ApplicationError
assert connection.vendor == "sqlite"
coach = User.objects.create_user(username="c", email="c@example.com", password="x", role="TRAINER")
yoga = ClassType.objects.create(name="Yoga")
start = timezone.now() + datetime.timedelta(days=1)
services.session_create(class_type=yoga, trainer=coach, starts_at=start, room="A")
try:
    services.session_create(class_type=yoga, trainer=coach, starts_at=start + datetime.timedelta(minutes=30))
except ApplicationError as error:
    print(error.extra["reason"])
other = User.objects.create_user(username="d", email="d@example.com", password="x", role="TRAINER")
try:
    services.session_create(class_type=yoga, trainer=other, starts_at=start, room="A")
except ApplicationError as error:
    print(error.extra["reason"])
print(services.session_create(class_type=yoga, trainer=other, starts_at=start, room="B").pk)
"""


def test_on_sqlite_the_migrations_apply_and_clashes_are_refused_by_the_service(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", DJANGO_SETTINGS_MODULE="config.settings.test")
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["TRAINER_BUSY", "ROOM_BUSY", "2"]
