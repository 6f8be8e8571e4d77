"""Writes of reports: request one (within its requester's quota; its task queued after commit), generate it,
record its failure."""

import dataclasses
import datetime
import json
import logging
import math
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from kombu.exceptions import OperationalError as BrokerError

from accounts.models import User
from accounts.permissions import is_staff_member
from club.models import Client
from core.exceptions import QuotaExceeded
from core.services import model_full_clean
from reports.models import MONEY_REPORT_KINDS, Report, ReportKind, ReportStatus
from reports.permissions import MONEY_REPORTS_ARE_ADMINS, can_request_report
from reports.renderers import RENDERERS
from reports.selectors import ReportData, report_data

logger = logging.getLogger(__name__)

ERROR_MAX_LENGTH = 2000
ACTIVE = (ReportStatus.PENDING, ReportStatus.STARTED)
QUOTA_WINDOW = datetime.timedelta(hours=1)
# A report takes seconds: when all of a requester's slots are taken, asking again this soon is reasonable.
ACTIVE_RETRY_AFTER_SECONDS = 5


class ReportError(Exception):
    """The report cannot be produced for a reason its requester should read (stored in `error`)."""


class ReportQuotaExceeded(QuotaExceeded):
    """The requester has too many reports running, or asked for too many in the last hour (answered 429)."""


@dataclasses.dataclass(frozen=True)
class ReportQuota:
    max_active: int
    max_per_hour: int


def report_quota(user: User) -> ReportQuota:
    if is_staff_member(user):
        return ReportQuota(settings.REPORT_MAX_ACTIVE_PER_STAFF, settings.REPORT_MAX_PER_HOUR_PER_STAFF)
    return ReportQuota(settings.REPORT_MAX_ACTIVE_PER_USER, settings.REPORT_MAX_PER_HOUR_PER_USER)


def report_queue(requested_by: User | None) -> str:
    """Staff's reports (and beat's) have a queue of their own, so clients' reports can never delay them."""
    if requested_by is None or is_staff_member(requested_by):
        return settings.REPORT_STAFF_QUEUE
    return settings.REPORT_QUEUE


def _check_quota(user: User) -> None:
    """Refuse a report beyond the requester's quota. Call inside the transaction that saves the report.

    The requester's user row is locked first, so concurrent requests of one user count one after
    the other (each sees the rows the previous one committed) and exactly the quota is accepted.
    FOR NO KEY UPDATE: rows that merely reference the user (sessions, tokens, this report) still go through.
    """
    User.objects.select_for_update(no_key=True).filter(pk=user.pk).values_list("pk", flat=True).get()
    quota = report_quota(user)
    mine = Report.objects.filter(requested_by=user)
    now = timezone.now()
    recent = list(
        mine.filter(created_at__gt=now - QUOTA_WINDOW).order_by("created_at").values_list("created_at", flat=True)
    )
    if len(recent) >= quota.max_per_hour:
        # A slot frees when enough of the hour's requests have aged out of the window (a cap of 0: an hour).
        frees_with = recent[len(recent) - quota.max_per_hour] if quota.max_per_hour > 0 else now
        wait = (frees_with + QUOTA_WINDOW - now).total_seconds()
        raise ReportQuotaExceeded(
            gettext("Too many reports this hour: you may request %(max)s an hour; try again in %(minutes)s min.")
            % {"max": quota.max_per_hour, "minutes": math.ceil(wait / 60)},
            retry_after=wait,
            extra={"limit": "per_hour", "max": quota.max_per_hour},
        )
    if mine.filter(status__in=ACTIVE).count() >= quota.max_active:
        raise ReportQuotaExceeded(
            gettext("Too many reports at a time: you may have %(max)s being generated at once; wait for one to finish.")
            % {"max": quota.max_active},
            retry_after=ACTIVE_RETRY_AFTER_SECONDS,
            extra={"limit": "active", "max": quota.max_active},
        )


def _validate_period(*, date_from: datetime.date, date_to: datetime.date) -> None:
    if date_to < date_from:
        raise ValidationError({"date_to": gettext("date_to must be on or after date_from.")})
    if date_from > timezone.localdate():
        raise ValidationError({"date_from": gettext("date_from is in the future: there is nothing to report yet.")})
    if (date_to - date_from).days + 1 > settings.REPORT_MAX_PERIOD_DAYS:
        raise ValidationError(
            {
                "date_to": gettext("A report covers at most %(days)s days; shorten the period.")
                % {"days": settings.REPORT_MAX_PERIOD_DAYS}
            }
        )


def _validate_client(*, kind: str, client: Client | None) -> None:
    if kind == ReportKind.CLIENT_PROGRESS and client is None:
        raise ValidationError({"client_id": gettext("A client_progress report needs client_id.")})
    if kind != ReportKind.CLIENT_PROGRESS and client is not None:
        raise ValidationError({"client_id": gettext("client_id applies to client_progress reports only.")})


@transaction.atomic
def report_request(
    *,
    requested_by: User | None,
    kind: str,
    format: str,
    date_from: datetime.date,
    date_to: datetime.date,
    client: Client | None = None,
) -> Report:
    """Save a PENDING report and queue its generation once the row is committed.

    `requested_by=None` is Celery beat's daily report. A person's request beyond its quota raises
    ReportQuotaExceeded. If the broker cannot take the task, the report ends FAILURE with the reason
    instead of staying PENDING forever.
    """
    if requested_by is not None and not can_request_report(requested_by, kind, client):
        if kind in MONEY_REPORT_KINDS:
            raise PermissionDenied(MONEY_REPORTS_ARE_ADMINS)
        raise PermissionDenied(gettext("Club clients may request only the client_progress report about themselves."))
    _validate_client(kind=kind, client=client)
    _validate_period(date_from=date_from, date_to=date_to)
    if requested_by is not None:
        _check_quota(requested_by)
    report = Report(
        kind=kind,
        format=format,
        parameters={"date_from": date_from.isoformat(), "date_to": date_to.isoformat()},
        requested_by=requested_by,
        client=client,
        task_id=str(uuid.uuid4()),
    )
    model_full_clean(report)
    report.save()
    # A worker must find the row: publish only after the transaction that created it commits.
    transaction.on_commit(lambda: _enqueue(report))
    return report


def _enqueue(report: Report) -> None:
    from reports.tasks import generate_report  # tasks import this module

    try:
        generate_report.apply_async(
            (report.pk,),
            task_id=report.task_id,
            queue=report_queue(report.requested_by),
            retry_policy=settings.CELERY_TASK_PUBLISH_RETRY_POLICY,
        )
    except (BrokerError, OSError) as error:
        logger.warning("report %s not queued: %s", report.pk, error)
        report_fail(
            report_id=report.pk, error=f"The report could not be queued: the task broker is unavailable ({error})."
        )
        report.refresh_from_db()


def _set_progress(report: Report, progress: int, **fields: object) -> None:
    # A plain UPDATE outside any transaction, so API readers see the progress while the task runs.
    Report.objects.filter(pk=report.pk).update(progress=progress, **fields)


def _report_data_in_one_snapshot(report: Report) -> ReportData:
    """The report's numbers as of one instant, read out before the rendering starts.

    A report is several aggregate queries; under READ COMMITTED a training saved between two of
    them would be in one table and not in another. One REPEATABLE READ, READ ONLY transaction
    gives every query the same snapshot, so the summary and every table of the file agree.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":  # SQLite's transaction is a snapshot already
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        data = report_data(report=report)
        # Lazy rows (the new-users list streams from a server-side cursor) are read inside the snapshot too.
        return dataclasses.replace(data, tables=[dataclasses.replace(t, rows=list(t.rows)) for t in data.tables])


def report_generate(*, report_id: int) -> Report:
    """Compute, render and store a report; a reason the requester can act on ends it FAILURE.

    Safe to run twice (a redelivered task after a killed worker): a finished report is left as it is.
    """
    report = Report.objects.select_related("client").get(pk=report_id)
    if report.status in (ReportStatus.SUCCESS, ReportStatus.FAILURE):
        return report
    if report.attempts >= settings.REPORT_MAX_ATTEMPTS:
        # A report that takes its worker down with it (out of memory, say) would otherwise be
        # delivered again and again: RabbitMQ requeues the task of every killed worker.
        return report_fail(
            report_id=report.pk,
            error=f"The report stopped its worker {report.attempts} times without finishing; try a shorter period.",
        )
    _set_progress(report, 5, status=ReportStatus.STARTED, started_at=timezone.now(), attempts=F("attempts") + 1)
    try:
        if report.kind == ReportKind.CLIENT_PROGRESS and report.client is None:
            raise ReportError("The client of this report has been deleted.")
        data = _report_data_in_one_snapshot(report)
        _set_progress(report, 40)
        content = RENDERERS[report.format](data)
        _set_progress(report, 90)
    except ReportError as error:
        return report_fail(report_id=report.pk, error=str(error))
    filename = f"{report.kind}_{report.date_from}_{report.date_to}.{report.format}"
    with transaction.atomic():
        report.file.save(filename, ContentFile(content), save=False)
        # JSON as the API shows it: money as "123.40" strings, exactly the digits the file prints.
        report.summary = json.loads(json.dumps(data.summary, cls=DjangoJSONEncoder))
        report.status = ReportStatus.SUCCESS
        report.progress = 100
        report.error = ""
        report.finished_at = timezone.now()
        report.save(update_fields=["file", "summary", "status", "progress", "error", "finished_at"])
    return report


def report_fail(*, report_id: int, error: str) -> Report:
    # A report that already succeeded keeps its file: a late failure of a duplicate run changes nothing.
    Report.objects.filter(pk=report_id).exclude(status=ReportStatus.SUCCESS).update(
        status=ReportStatus.FAILURE, error=error[:ERROR_MAX_LENGTH], finished_at=timezone.now()
    )
    return Report.objects.get(pk=report_id)


def report_fail_stale(*, started_before: datetime.datetime, requested_before: datetime.datetime) -> int:
    """End the reports no task will finish any more: STARTED before `started_before` (the worker hit
    its hard time limit, which skips the task's failure handler) or still PENDING since before
    `requested_before` (the task never reached a worker). Returns how many it failed."""
    return Report.objects.filter(
        Q(status=ReportStatus.STARTED, started_at__lt=started_before)
        | Q(status=ReportStatus.PENDING, created_at__lt=requested_before)
    ).update(
        status=ReportStatus.FAILURE,
        error="The report's task stopped without finishing (its worker was stopped or timed out); request it again.",
        finished_at=timezone.now(),
    )


def daily_new_users_report_request(*, today: datetime.date) -> Report:
    """Celery beat's morning report: the users created yesterday."""
    yesterday = today - datetime.timedelta(days=1)
    return report_request(
        requested_by=None,
        kind=ReportKind.NEW_USERS,
        format=settings.REPORT_DAILY_NEW_USERS_FORMAT,
        date_from=yesterday,
        date_to=yesterday,
    )


def report_files_purge(*, older_than: datetime.datetime) -> int:
    """Delete the files of reports finished before `older_than`; the rows (and summaries) stay."""
    purged = 0
    for report in Report.objects.filter(finished_at__lt=older_than).exclude(file="").only("pk", "file"):
        report.file.delete(save=False)
        Report.objects.filter(pk=report.pk).update(file="")
        purged += 1
    return purged
