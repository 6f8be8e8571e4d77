"""The trainers' report pages: request a report, watch its progress (htmx polling), download it, see past ones.

Thin views over reports.services (the one write path, which queues the Celery task) and reports.selectors.
"""

import os

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import staff_page
from club.selectors import client_list
from core.dashboard import add_service_errors, paginate
from reports import selectors, services
from reports.forms import ReportRequestForm
from reports.labels import summary_lines
from reports.models import Report, ReportStatus
from reports.permissions import MONEY_REPORTS_ARE_ADMINS, can_view_report
from reports.renderers import CONTENT_TYPES

UNFINISHED = (ReportStatus.PENDING, ReportStatus.STARTED)
# htmx stops polling an element when the answer has this status (and still swaps the answer in).
STOP_POLLING = 286


def _report_or_404(request: HttpRequest, pk: int) -> Report:
    report = get_object_or_404(selectors.report_lookup(user=request.user), pk=pk)
    if not can_view_report(request.user, report):  # a trainer and a money report: the 403 page
        raise PermissionDenied(MONEY_REPORTS_ARE_ADMINS)
    return report


@staff_page
@require_http_methods(["GET", "POST"])
def report_list(request: HttpRequest) -> HttpResponse:
    form = ReportRequestForm(request.POST or None, clients=client_list(user=request.user), user=request.user)
    over_quota = None
    refused = False
    if request.method == "POST" and not form.is_valid():
        refused = form.refused_kind
    elif request.method == "POST":
        try:
            report = services.report_request(requested_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied as error:
            form.add_error("kind", str(error))
            refused = True
        except services.ReportQuotaExceeded as error:
            # Said above the form, which keeps what was typed; 429 and Retry-After as the API answers.
            form.add_error(None, error.message)
            over_quota = error
        else:
            if report.status == ReportStatus.FAILURE:
                messages.error(
                    request,
                    _("%(report)s could not be started: %(error)s")
                    % {"report": report.get_kind_display(), "error": report.error},
                )
            else:
                messages.success(
                    request,
                    _("%(report)s requested: it is being generated now.") % {"report": report.get_kind_display()},
                )
            return redirect("reports:report-detail", report.pk)
    page = paginate(request, selectors.report_list(user=request.user))
    if refused:  # a money report asked for by a trainer: the form says why, the status says forbidden
        return render(request, "reports/report_list.html", {"form": form, "page": page}, status=403)
    if over_quota is None:
        return render(request, "reports/report_list.html", {"form": form, "page": page})
    response = render(request, "reports/report_list.html", {"form": form, "page": page}, status=429)
    response["Retry-After"] = str(over_quota.retry_after)
    return response


@staff_page
@require_GET
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report_or_404(request, pk)
    context = {"report": report, "running": report.status in UNFINISHED, "facts": summary_lines(report.summary)}
    return render(request, "reports/report_detail.html", context)


@staff_page
@require_GET
def report_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress block of one report, polled by htmx every second until the report is finished."""
    report = _report_or_404(request, pk)
    running = report.status in UNFINISHED
    context = {"report": report, "running": running, "facts": summary_lines(report.summary)}
    return render(request, "reports/_report_progress.html", context, status=200 if running else STOP_POLLING)


@staff_page
@require_GET
def report_row(request: HttpRequest, pk: int) -> HttpResponse:
    """One row of the past reports, polled by htmx while that report runs (a finished row polls no more)."""
    return render(request, "reports/_report_row.html", {"report": _report_or_404(request, pk)})


@staff_page
@require_GET
def report_download(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report_or_404(request, pk)
    if report.status != ReportStatus.SUCCESS:
        messages.error(
            request,
            _("The report is %(status)s: there is no file to download.")
            % {"status": report.get_status_display().lower()},
        )
        return redirect("reports:report-detail", report.pk)
    if not report.file or not report.file.storage.exists(report.file.name):
        messages.error(request, _("The file of this report was deleted after its retention period; request it again."))
        return redirect("reports:report-detail", report.pk)
    return FileResponse(
        report.file.open("rb"),
        as_attachment=True,
        filename=os.path.basename(report.file.name),
        content_type=CONTENT_TYPES[report.format],
    )
