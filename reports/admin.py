import datetime

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from reports.models import Report, ReportStatus
from reports.services import report_request


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "format",
        "state",
        "requested_by_link",
        "client_link",
        "created_at",
        "download_link",
    )
    list_filter = ("kind", "format", "status", "created_at")
    list_select_related = ("requested_by", "client")
    search_fields = ("id", "requested_by__username", "client__first_name", "client__last_name", "task_id")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    fields = (
        ("kind", "format", "status", "progress"),
        "parameters",
        ("requested_by", "client"),
        "summary",
        ("file", "download_link"),
        "error",
        "task_id",
        ("created_at", "started_at", "finished_at"),
    )
    readonly_fields = tuple(name for row in fields for name in (row if isinstance(row, tuple) else (row,)))
    actions = ["request_again"]

    @admin.display(description="status", ordering="status")
    def state(self, report: Report) -> str:
        # One column for both, so the list fits beside the admin's sidebar and filters.
        if report.status in (ReportStatus.PENDING, ReportStatus.STARTED):
            return f"{report.get_status_display()} · {report.progress}%"
        return report.get_status_display()

    @admin.display(description="requested by", ordering="requested_by__username")
    def requested_by_link(self, report: Report) -> str:
        if report.requested_by_id is None:
            return "the daily schedule"
        url = reverse("admin:accounts_user_change", args=[report.requested_by_id])
        return format_html('<a href="{}">{}</a>', url, report.requested_by)

    @admin.display(description="client", ordering="client__last_name")
    def client_link(self, report: Report) -> str:
        if report.client_id is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:club_client_change", args=[report.client_id]), report.client
        )

    @admin.display(description="file")
    def download_link(self, report: Report) -> str:
        if report.status != ReportStatus.SUCCESS or not report.file:
            return "—"
        return format_html('<a href="{}">Download</a>', reverse("reports:report-download", args=[report.pk]))

    def get_view_on_site_url(self, obj=None):
        # The trainers' report page: its progress bar, summary and download.
        return reverse("reports:report-detail", args=[obj.pk]) if obj is not None else None

    # Reports are made by their Celery task through the API; the admin watches and re-runs them.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Request the selected reports again")
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
                self.message_user(request, f"Report #{report.pk}: {' '.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(request, f"Report #{report.pk} requested again as #{again.pk}.", messages.SUCCESS)
