import os

from django.http import FileResponse
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from reports import selectors, services
from reports.api.serializers import ReportRequestSerializer, ReportSerializer
from reports.models import Report, ReportStatus
from reports.permissions import MONEY_REPORTS_ARE_ADMINS, can_view_report
from reports.renderers import CONTENT_TYPES


class ReportNotReady(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The report has no file yet.")
    default_code = "report_not_ready"


class ReportFileGone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_detail = gettext_lazy(
        "The file of this report has been deleted after its retention period; request it again."
    )
    default_code = "report_file_gone"


class _NoFormatOverride:
    URL_FORMAT_OVERRIDE = None


class FormatIsAFilter(DefaultContentNegotiation):
    """`?format=` filters reports by file format (`csv`, `xlsx`, `pdf`) here.

    DRF reads `?format=` as "render the answer in this format" and answers 404 for any it cannot
    render, so the filter could never be used. The `Accept` header still picks the renderer.
    """

    settings = _NoFormatOverride


@extend_schema_view(
    list=extend_schema(summary="List reports (staff: all; USER: its own)"),
    retrieve=extend_schema(summary="Status, progress, summary and download URL of a report"),
)
class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ReportSerializer
    content_negotiation_class = FormatIsAFilter
    filterset_fields = ["kind", "format", "status"]
    ordering_fields = ["created_at", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular builds the schema with no user
            return Report.objects.none()
        if self.action == "list":
            return selectors.report_list(user=self.request.user)
        return selectors.report_lookup(user=self.request.user)

    def get_object(self):
        report = super().get_object()
        if not can_view_report(self.request.user, report):  # a trainer and a money report: 403, not 404
            self.permission_denied(self.request, message=MONEY_REPORTS_ARE_ADMINS)
        return report

    @extend_schema(
        summary="Request a report; generated in the background",
        request=ReportRequestSerializer,
        responses={
            202: ReportSerializer,
            503: OpenApiResponse(ReportSerializer, description="The task broker is down: the report is FAILURE."),
        },
    )
    def create(self, request, *args, **kwargs):
        serializer = ReportRequestSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        report = services.report_request(requested_by=request.user, **serializer.validated_data)
        # The broker refused the task after commit: the row says why, the status code says "try later".
        unavailable = report.status == ReportStatus.FAILURE and not report.started_at
        return Response(
            ReportSerializer(report, context=self.get_serializer_context()).data,
            status=status.HTTP_503_SERVICE_UNAVAILABLE if unavailable else status.HTTP_202_ACCEPTED,
        )

    @extend_schema(
        summary="Download the report's file",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        report = self.get_object()
        if report.status != ReportStatus.SUCCESS:
            raise ReportNotReady(
                gettext("The report is %(status)s; download it once it is SUCCESS.") % {"status": report.status}
            )
        if not report.file or not report.file.storage.exists(report.file.name):
            raise ReportFileGone()
        return FileResponse(
            report.file.open("rb"),
            as_attachment=True,
            filename=os.path.basename(report.file.name),
            content_type=CONTENT_TYPES[report.format],
        )
