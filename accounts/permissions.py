"""Role rules of SPEC "Roles" as plain predicates, shared by DRF permissions, views and consumers."""

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import Role, User

# Whoever sent a request: the predicates that take one answer False for the anonymous.
type AnyUser = User | AnonymousUser


def is_admin(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.role == Role.ADMIN or user.is_superuser))


def is_staff_member(user: AnyUser) -> bool:
    """ADMINs and TRAINERs: the people who run the club."""
    return bool(user.is_authenticated and user.is_active and user.role in (Role.ADMIN, Role.TRAINER))


def can_create_user_with_role(actor: User, role: str) -> bool:
    # A trainer signs up club clients; only an admin hands out staff roles.
    return is_admin(actor) or (is_staff_member(actor) and role == Role.USER)


def can_change_role(actor: User, target: User) -> bool:
    # Nobody promotes or demotes themselves, not even an admin (another admin must do it).
    return is_admin(actor) and actor.pk != target.pk


def can_delete_user(actor: User, target: User) -> bool:
    return is_admin(actor) and actor.pk != target.pk


class IsStaffMember(BasePermission):
    message = _("Only club staff (ADMIN or TRAINER) may do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_staff_member(request.user)


class IsAdmin(BasePermission):
    message = _("Only an ADMIN may do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_admin(request.user)


class UserAccountPermission(BasePermission):
    """`/api/users/`: staff list, read and create (trainers: USERs only); only an ADMIN edits or deletes."""

    message = _("Only an ADMIN may change or delete users; trainers may list and create club clients.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in SAFE_METHODS or request.method == "POST":
            return is_staff_member(request.user)
        return is_admin(request.user)
