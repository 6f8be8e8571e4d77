"""Who may ask for which report (SPEC "Reports"), as plain predicates."""

from accounts.models import User
from accounts.permissions import is_staff_member
from club.models import Client
from reports.models import Report, ReportKind


def can_request_report(user: User, kind: str, client: Client | None) -> bool:
    # Staff run every report; a club client only the progress report about itself.
    if is_staff_member(user):
        return True
    return kind == ReportKind.CLIENT_PROGRESS and client is not None and client.user_id == user.pk


def can_view_report(user: User, report: Report) -> bool:
    return is_staff_member(user) or report.requested_by_id == user.pk
