from collections.abc import Callable

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import User
from club.permissions import can_manage_membership_ledger


def read_or_write_if[M](
    can_write: Callable[[User], bool], can_view: Callable[[User, M], bool] | None = None
) -> type[BasePermission]:
    """Any signed-in user may read (selectors already scope what it sees); writes need `can_write`.

    `can_view(user, obj)` re-checks single objects as a second line behind the selectors.
    """

    class Permission(BasePermission):
        message = _("Your role may not change this.")

        def has_permission(self, request: Request, view: APIView) -> bool:
            user = request.user
            return user.is_authenticated and (request.method in SAFE_METHODS or can_write(user))

        def has_object_permission(self, request: Request, view: APIView, obj: M) -> bool:
            # Only asked once has_permission let a signed-in user in.
            user = request.user
            return user.is_authenticated and (can_view is None or can_view(user, obj))

    Permission.__name__ = f"ReadOrWriteIf_{can_write.__name__}"
    return Permission


class CanManageMembershipLedger(BasePermission):
    """ADMIN only: sales, refunds, holds, corrections and the cash-up (403 for TRAINER and USER)."""

    message = _("Only an administrator may sell, refund, hold or correct a membership.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return can_manage_membership_ledger(request.user)
