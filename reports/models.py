import datetime

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import dateformat, timezone
from django.utils.translation import gettext_lazy as _

from club.models import Client
from core.models import choices_check, range_check


class ReportKind(models.TextChoices):
    CLUB_ACTIVITY = "club_activity", _("Club activity")
    CLIENT_PROGRESS = "client_progress", _("Client progress")
    MEMBERSHIP_REVENUE = "membership_revenue", _("Membership revenue")
    NEW_USERS = "new_users", _("New users")
    DAILY_TAKINGS = "daily_takings", _("Daily takings")


# Money is ADMIN's (SPEC "Roles"): only admins request and read these.
MONEY_REPORT_KINDS = frozenset({ReportKind.MEMBERSHIP_REVENUE, ReportKind.DAILY_TAKINGS})


class ReportFormat(models.TextChoices):
    CSV = "csv", _("CSV")
    XLSX = "xlsx", _("Excel workbook")
    PDF = "pdf", _("PDF")


class ReportStatus(models.TextChoices):
    PENDING = "PENDING", _("Pending")
    STARTED = "STARTED", _("Started")
    SUCCESS = "SUCCESS", _("Success")
    FAILURE = "FAILURE", _("Failure")


def period_text(date_from: str, date_to: str) -> str:
    """An inclusive period of ISO dates as people write it: "1–30 Nov 2026", "25 Oct – 23 Nov 2026"."""
    try:
        start, end = datetime.date.fromisoformat(date_from), datetime.date.fromisoformat(date_to)
    except (TypeError, ValueError):
        return " – ".join(str(value) for value in (date_from, date_to) if value)
    if start == end:
        return dateformat.format(end, "j M Y")
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{dateformat.format(end, 'j M Y')}"
    if start.year == end.year:
        return f"{dateformat.format(start, 'j M')} – {dateformat.format(end, 'j M Y')}"
    return f"{dateformat.format(start, 'j M Y')} – {dateformat.format(end, 'j M Y')}"


def report_upload_to(report: "Report", filename: str) -> str:
    return f"reports/{report.created_at:%Y/%m}/{report.pk}/{filename}"


class Report(models.Model):
    """A report job: what was asked for, how far its Celery task got, and the file it produced."""

    kind = models.CharField(_("kind"), max_length=18, choices=ReportKind.choices)
    format = models.CharField(_("format"), max_length=4, choices=ReportFormat.choices)
    # {"date_from": "YYYY-MM-DD", "date_to": "YYYY-MM-DD"}, as requested; the period is inclusive.
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    # NO ACTION: a user with reports is soft-deleted, like everywhere else. Empty for Celery beat's reports.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="reports",
    )
    # The report outlives a deleted client; a still-pending one then fails with a clear error.
    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.DB_SET_NULL, null=True, blank=True, related_name="reports"
    )
    status = models.CharField(
        _("status"),
        max_length=7,
        choices=ReportStatus.choices,
        default=ReportStatus.PENDING,
        db_default=ReportStatus.PENDING,
    )
    progress = models.PositiveSmallIntegerField(
        _("progress"), default=0, db_default=0, help_text=_("Percent done, 0 to 100.")
    )
    attempts = models.PositiveSmallIntegerField(
        _("attempts"),
        default=0,
        db_default=0,
        help_text=_("Times a worker started it (a killed worker's task is delivered again)."),
    )
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    file = models.FileField(_("file"), upload_to=report_upload_to, max_length=255, blank=True)
    error = models.TextField(_("error"), blank=True)
    task_id = models.CharField(
        _("task id"), max_length=255, blank=True, help_text=_("Id of the Celery task that generates it.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now(), editable=False)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        db_table = "reports"
        ordering = ["-created_at", "-id"]
        constraints = [
            choices_check("kind", ReportKind, model="reports"),
            choices_check("format", ReportFormat, model="reports"),
            choices_check("status", ReportStatus, model="reports"),
            range_check("progress", model="reports", low=0, high=100),
        ]
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="reports_requester_idx"),
            models.Index(fields=["status", "finished_at"], name="reports_status_finished_idx"),
        ]

    def __str__(self) -> str:
        # "Client progress #12 of Anna Berg · 25 Oct – 23 Nov 2026": the number is the one the
        # trainers' report pages show. A client progress report reads its client.
        name = f"{self.get_kind_display()} #{self.pk}" if self.pk else self.get_kind_display()
        if self.client_id:
            name = f"{name} of {self.client}"
        return f"{name} · {self.period}" if self.date_from else name

    @property
    def date_from(self) -> str:
        return self.parameters.get("date_from", "")

    @property
    def date_to(self) -> str:
        return self.parameters.get("date_to", "")

    @property
    def period(self) -> str:
        return period_text(self.date_from, self.date_to)
