import copy
import datetime

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.utils import timezone
from django_celery_results.models import TaskResult

from accounts.models import Role
from accounts.tests.factories import UserFactory
from config.celery import app as celery_app
from reports.models import Report, ReportStatus
from reports.tasks import daily_new_users_report


def test_beat_runs_every_periodic_job_on_its_utc_schedule(db):  # start-up runs the system checks
    celery_app.loader.import_default_modules()  # what beat and the worker do at start
    schedule = settings.CELERY_BEAT_SCHEDULE

    assert celery_app.conf.timezone == "UTC"
    assert {name: (entry["task"], entry["schedule"]) for name, entry in schedule.items()} == {
        "deactivate-expired-memberships": ("club.tasks.deactivate_expired_memberships", crontab(hour=0, minute=5)),
        "flush-expired-tokens": ("accounts.tasks.flush_expired_tokens", crontab(hour=3, minute=15)),
        "daily-new-users-report": ("reports.tasks.daily_new_users_report", crontab(hour=8, minute=0)),
        "celery.backend_cleanup": ("celery.backend_cleanup", crontab(hour=4, minute=0)),
        "purge-old-report-files": ("reports.tasks.purge_old_report_files", crontab(hour=4, minute=30)),
        "fail-stale-reports": ("reports.tasks.fail_stale_reports", crontab(minute="*/15")),
        "fail-stale-notification-claims": (
            "notifications.tasks.fail_stale_notification_claims",
            crontab(minute="*/5"),
        ),
        "generate-timetable": ("classes.tasks.generate_timetable", crontab(hour=1, minute=10)),
        "mark-class-no-shows": ("classes.tasks.mark_no_shows", crontab(minute="*/15")),
        "notify-memberships-ending": ("club.tasks.notify_memberships_ending", crontab(hour=9, minute=0)),
        "remind-booked-classes": ("classes.tasks.remind_booked_classes", crontab(minute="*/5")),
    }
    assert all(entry["task"] in celery_app.tasks for entry in schedule.values())


def test_the_new_users_schedule_is_due_at_eight_utc_only():
    schedule = copy.copy(settings.CELERY_BEAT_SCHEDULE["daily-new-users-report"]["schedule"])
    last_run = datetime.datetime(2026, 3, 1, 8, 0, tzinfo=datetime.UTC)

    schedule.nowfun = lambda: datetime.datetime(2026, 3, 2, 7, 59, tzinfo=datetime.UTC)
    assert not schedule.is_due(last_run).is_due
    schedule.nowfun = lambda: datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)
    assert schedule.is_due(last_run).is_due


@pytest.mark.postgres
@pytest.mark.usefixtures("eager_tasks")
def test_the_daily_task_reports_yesterdays_new_users(db, django_capture_on_commit_callbacks):
    yesterday_noon = timezone.now().replace(hour=12, minute=0) - datetime.timedelta(days=1)
    UserFactory(role=Role.TRAINER, created_at=yesterday_noon)
    UserFactory(role=Role.USER, created_at=yesterday_noon)
    UserFactory(role=Role.USER)  # today's: tomorrow's report

    with django_capture_on_commit_callbacks(execute=True):
        report_id = daily_new_users_report.apply().get()

    report = Report.objects.get(pk=report_id)
    yesterday = yesterday_noon.date().isoformat()
    assert (report.kind, report.format, report.requested_by, report.status) == (
        "new_users",
        "xlsx",
        None,
        ReportStatus.SUCCESS,
    )
    assert report.parameters == {"date_from": yesterday, "date_to": yesterday}
    assert report.summary == {
        "new_users_total": 1,
        "staff_accounts_total": 1,
        "by_role": {"ADMIN": 0, "TRAINER": 1, "USER": 1},
    }


@pytest.mark.postgres
def test_the_daily_cleanup_deletes_task_results_older_than_their_expiry(db):
    old = TaskResult.objects.create(task_id="old", status="SUCCESS")
    TaskResult.objects.filter(pk=old.pk).update(date_done=timezone.now() - settings.CELERY_RESULT_EXPIRES)
    TaskResult.objects.create(task_id="recent", status="SUCCESS")

    celery_app.tasks["celery.backend_cleanup"].apply()

    assert list(TaskResult.objects.values_list("task_id", flat=True)) == ["recent"]
