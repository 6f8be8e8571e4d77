"""Who may ask for which report (SPEC "Reports", "Roles"), as plain predicates."""

from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.permissions import is_admin, is_staff_member
from club.models import Client
from reports.models import MONEY_REPORT_KINDS, Report, ReportKind

MONEY_REPORTS_ARE_ADMINS = _("Membership revenue and daily takings reports are for admins only: money is ADMIN's.")


def can_read_money_reports(user: User) -> bool:
    return is_admin(user)


def can_request_report(user: User, kind: str, client: Client | None) -> bool:
    # Staff run every report but the money ones (ADMIN's); a club client only the progress report about itself.
    if kind in MONEY_REPORT_KINDS:
        return can_read_money_reports(user)
    if is_staff_member(user):
        return True
    return kind == ReportKind.CLIENT_PROGRESS and client is not None and client.user_id == user.pk


def can_view_report(user: User, report: Report) -> bool:
    if report.kind in MONEY_REPORT_KINDS and not can_read_money_reports(user):
        return False
    return is_staff_member(user) or report.requested_by_id == user.pk
