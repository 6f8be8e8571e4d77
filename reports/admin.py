import datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from club import admin as club_admin
from club.models import Client
from core.admin import ClubAdmin, change_link, pill
from reports.labels import summary_lines
from reports.models import Report, ReportFormat, ReportKind, ReportStatus
from reports.services import ReportQuotaExceeded, report_request

STATUS_TONES = {ReportStatus.SUCCESS: "ok", ReportStatus.FAILURE: "lapsed"}


@admin.register(Report)
class ReportAdmin(ClubAdmin):
    list_display = ("report", "period", "state", "requested_by_link", "client_link", "requested", "download_link")
    list_display_links = ("report",)
    list_filter = ("kind", "format", "status", "created_at")
    list_select_related = ("requested_by", "client")
    search_fields = ("id", "requested_by__username", "client__first_name", "client__last_name", "task_id")
    search_help_text = _("Search by report number, who requested it, the client's name, or the Celery task id.")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    fields = (
        ("kind", "format"),
        "state",
        "period",
        ("requested_by_link", "client_link"),
        "summary_table",
        "file_download",
        "error",
        "task_id",
        ("created_at", "started_at", "finished_at"),
    )
    readonly_fields = tuple(name for row in fields for name in (row if isinstance(row, tuple) else (row,)))
    actions = ["request_again"]
    empty_message = _(
        "Trainers and staff request reports on the dashboard's Reports page, or for clients with the client "
        "list's “Request a progress report”; the daily schedule adds its own."
    )

    @admin.display(description=_("report"), ordering="kind")
    def report(self, report: Report) -> str:
        return f"{report.get_kind_display()} #{report.pk}"

    @admin.display(description=_("requested"), ordering="created_at")
    def requested(self, report: Report) -> str:
        return formats.date_format(timezone.localtime(report.created_at))

    @admin.display(description=_("period"))
    def period(self, report: Report) -> str:
        return report.period or "—"

    @admin.display(description=_("status"), ordering="status")
    def state(self, report: Report) -> str:
        # One column for both, so the list fits beside the admin's sidebar and filters.
        text = report.get_status_display()
        if report.status in (ReportStatus.PENDING, ReportStatus.STARTED):
            text = f"{text} · {report.progress}%"
        return pill(text, STATUS_TONES.get(report.status, "soon"))

    @admin.display(description=_("summary"))
    def summary_table(self, report: Report) -> str:
        if not report.summary:
            return "—"
        return format_html_join("", '<div><span class="muted">{}:</span> {}</div>', summary_lines(report.summary))

    @admin.display(description=_("requested by"), ordering="requested_by__username")
    def requested_by_link(self, report: Report) -> str:
        if report.requested_by_id is None:
            return format_html('<span class="muted">{}</span>', _("daily schedule"))
        return change_link(report.requested_by)

    @admin.display(description=_("client"), ordering="client__last_name")
    def client_link(self, report: Report) -> str:
        return change_link(report.client)

    @admin.display(description=_("file"))
    def download_link(self, report: Report) -> str:
        # The link is named by the format: the list has no room for a format column beside the filters.
        label = report.format.upper()
        if report.status != ReportStatus.SUCCESS or not report.file:
            return format_html('<span class="muted" title="{}">{}</span>', _("Not available"), label)
        url = reverse("reports:report-download", args=[report.pk])
        return format_html(
            '<a href="{}" title="{}">{}</a>',
            url,
            _("Download the %(format)s") % {"format": report.get_format_display()},
            label,
        )

    @admin.display(description=_("file"))
    def file_download(self, report: Report) -> str:
        # Through the dashboard's download view (it checks who may read it), not the storage's own URL.
        if report.status != ReportStatus.SUCCESS or not report.file:
            return _("Not available: the report has not succeeded, or its file was purged.")
        url = reverse("reports:report-download", args=[report.pk])
        name = report.file.name.rsplit("/", 1)[-1]
        return format_html(
            '<a href="{}">{}</a> <span class="muted">{}</span>',
            url,
            _("Download the %(format)s") % {"format": report.get_format_display()},
            name,
        )

    def get_view_on_site_url(self, obj=None):
        # The trainers' report page: its progress bar, summary and download.
        return reverse("reports:report-detail", args=[obj.pk]) if obj is not None else None

    # Reports are made by their Celery task through the API; the admin watches and re-runs them.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Request the selected reports again"))
    def request_again(self, request, queryset) -> None:
        for report in queryset:
            try:
                again = report_request(
                    requested_by=request.user,
                    kind=report.kind,
                    format=report.format,
                    date_from=datetime.date.fromisoformat(report.date_from),
                    date_to=datetime.date.fromisoformat(report.date_to),
                    client=report.client,
                )
            except ValidationError as error:
                self.message_user(
                    request,
                    _("Report #%(id)s: %(errors)s") % {"id": report.pk, "errors": " ".join(error.messages)},
                    messages.ERROR,
                )
            except ReportQuotaExceeded as error:
                # The next reports would be refused the same way: say it once.
                self.message_user(
                    request,
                    _("Report #%(id)s and the rest not requested: %(reason)s")
                    % {"id": report.pk, "reason": error.message},
                    messages.ERROR,
                )
                break
            else:
                url = reverse("reports:report-detail", args=[again.pk])
                self.message_user(
                    request,
                    format_html(
                        '{} <a href="{}">{}</a>.',
                        _("Report #%(id)s requested again as #%(new_id)s:") % {"id": report.pk, "new_id": again.pk},
                        url,
                        _("follow it"),
                    ),
                    messages.SUCCESS,
                )


# The period of the progress report the client admin's action asks for.
PROGRESS_REPORT_DAYS = 30

# The client admin is club's; asking for a report is this app's. reports sits above club (club never
# imports it), so it extends club's ClientAdmin with one action and registers it in its place.
admin.site.unregister(Client)


@admin.register(Client)
class ClientAdmin(club_admin.ClientAdmin):
    actions = [*club_admin.ClientAdmin.actions, "request_progress_reports"]

    @admin.action(description=format_lazy(_("Request a progress report ({days} days, PDF)"), days=PROGRESS_REPORT_DAYS))
    def request_progress_reports(self, request: HttpRequest, queryset: QuerySet[Client]) -> None:
        today = timezone.localdate()
        for client in queryset:
            try:
                report = report_request(
                    requested_by=request.user,
                    kind=ReportKind.CLIENT_PROGRESS,
                    format=ReportFormat.PDF,
                    date_from=today - datetime.timedelta(days=PROGRESS_REPORT_DAYS - 1),
                    date_to=today,
                    client=client,
                )
            except (ValidationError, PermissionDenied) as error:
                reasons = " ".join(getattr(error, "messages", [str(error)]))
                self.message_user(request, f"{client}: {reasons}", messages.ERROR)
            except ReportQuotaExceeded as error:
                # The next clients would be refused the same way: say it once.
                refusal = gettext("%(client)s and the rest not requested: %(reason)s")
                self.message_user(request, refusal % {"client": client, "reason": error.message}, messages.ERROR)
                break
            else:
                url = reverse("reports:report-detail", args=[report.pk])
                self.message_user(
                    request,
                    format_html(gettext('Progress report of {} requested: <a href="{}">follow it</a>.'), client, url),
                    messages.SUCCESS,
                )
