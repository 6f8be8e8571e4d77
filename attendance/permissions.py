"""Who may do what with attendance (SPEC part 2, "Attendance"), as plain predicates."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.permissions import AnyUser, is_staff_member


def can_check_in(user: AnyUser) -> bool:
    """ADMIN and TRAINER admit members at the desk; a member never checks anyone in, itself included."""
    return is_staff_member(user)


def can_issue_member_cards(user: AnyUser) -> bool:
    return is_staff_member(user)


def has_member_card(user: AnyUser) -> bool:
    """A signed-in member with a client profile has a card to show."""
    return bool(user.is_authenticated and getattr(user, "client", None) is not None)


class CanCheckIn(BasePermission):
    message = _("Only club staff (ADMIN or TRAINER) may check members in.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return can_check_in(request.user)


class CanIssueMemberCards(BasePermission):
    message = _("Only club staff (ADMIN or TRAINER) may issue printed member cards.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return can_issue_member_cards(request.user)
