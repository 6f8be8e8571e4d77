"""Celery interfaces of reports: load by id, call a service. Schedules live in CELERY_BEAT_SCHEDULE."""

import datetime
import logging

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from reports.models import Report
from reports.services import (
    daily_new_users_report_request,
    report_fail,
    report_fail_stale,
    report_files_purge,
    report_generate,
)

logger = logging.getLogger(__name__)

# Between the soft time limit (the task records why it stops) and the hard one (the pool kills it).
HARD_LIMIT_GRACE = 30
# A restarted or failed-over database: worth another try, unlike a bug.
TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)


def readable_error(exc: BaseException) -> str:
    if isinstance(exc, SoftTimeLimitExceeded):
        return "The report took too long and was stopped; try a shorter period."
    if isinstance(exc, TRANSIENT_DB_ERRORS):
        return "The database was unavailable; the report was retried and gave up."
    return f"The report could not be generated ({type(exc).__name__}: {exc})."


class ReportTask(Task):
    """Base of tasks whose first argument is a report id: a task that gives up records why on the row."""

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        logger.error("report %s failed: %r", args[0], exc)
        report_fail(report_id=args[0], error=readable_error(exc))


@shared_task(
    base=ReportTask,
    autoretry_for=TRANSIENT_DB_ERRORS,
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=3,
    soft_time_limit=settings.REPORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.REPORT_TASK_SOFT_TIME_LIMIT + HARD_LIMIT_GRACE,
)
def generate_report(report_id: int) -> str:
    try:
        return report_generate(report_id=report_id).status
    except Report.DoesNotExist:
        # Deleted (in the admin, say) while its task waited in the queue: nothing to build or to fail.
        logger.warning("report %s no longer exists; its task does nothing", report_id)
        return "DELETED"
    except SoftTimeLimitExceeded:
        _drop_interrupted_connection()
        raise


def _drop_interrupted_connection() -> None:
    # The soft time limit lands mid-query as often as not: psycopg then still waits for that
    # query's result and refuses every other command ("another command is already in progress"),
    # so storing the result and recording the failure would fail too. Stop the query on the server
    # and hand the connection back (the pool discards it); the next query gets a fresh one.
    raw = connection.connection
    if raw is not None and not raw.closed:
        try:
            raw.cancel_safe(timeout=5)
        except Exception:  # best effort: closing below is what matters
            logger.warning("could not cancel the interrupted query", exc_info=True)
    connection.close()


@shared_task
def daily_new_users_report() -> int:
    return daily_new_users_report_request(today=timezone.localdate()).pk


@shared_task
def purge_old_report_files() -> int:
    retention = datetime.timedelta(days=settings.REPORT_FILE_RETENTION_DAYS)
    return report_files_purge(older_than=timezone.now() - retention)


@shared_task
def fail_stale_reports() -> int:
    now = timezone.now()
    hard_limit = datetime.timedelta(seconds=settings.REPORT_TASK_SOFT_TIME_LIMIT + HARD_LIMIT_GRACE)
    return report_fail_stale(
        started_before=now - hard_limit - datetime.timedelta(minutes=5),
        requested_before=now - datetime.timedelta(hours=settings.REPORT_PENDING_TIMEOUT_HOURS),
    )
