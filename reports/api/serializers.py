from django.urls import reverse
from rest_framework import serializers

from club.models import Client
from club.selectors import client_list
from reports.models import Report, ReportFormat, ReportKind, ReportStatus


class ScopedClientField(serializers.PrimaryKeyRelatedField):
    # Only clients the caller may see: another's client_id reads as unknown, so existence never leaks.
    def get_queryset(self):
        return client_list(user=self.context["request"].user)


class ReportRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=ReportKind.choices,
        error_messages={"invalid_choice": f'Unknown kind "{{input}}"; one of: {", ".join(ReportKind.values)}.'},
    )
    format = serializers.ChoiceField(
        choices=ReportFormat.choices,
        error_messages={"invalid_choice": f'Unknown format "{{input}}"; one of: {", ".join(ReportFormat.values)}.'},
    )
    date_from = serializers.DateField(help_text="First day of the period (inclusive).")
    date_to = serializers.DateField(help_text="Last day of the period (inclusive).")
    client_id = ScopedClientField(
        source="client",
        queryset=Client.objects.none(),
        required=False,
        allow_null=True,
        help_text="Required for client_progress; a USER may name only its own client profile.",
    )


class ReportSerializer(serializers.ModelSerializer):
    date_from = serializers.CharField(read_only=True)
    date_to = serializers.CharField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "kind",
            "format",
            "status",
            "progress",
            "summary",
            "download_url",
            "error",
            "date_from",
            "date_to",
            "client_id",
            "requested_by_id",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_download_url(self, report: Report) -> str | None:
        if report.status != ReportStatus.SUCCESS or not report.file:
            return None
        url = reverse("report-download", args=[report.pk])
        # Not DRF's reverse(): it copies `?format=`, here a filter of the list, into the link.
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url
