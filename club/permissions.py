"""Who may do what with memberships, clients and payments (SPEC "Roles"), as plain predicates."""

from accounts.models import User
from accounts.permissions import AnyUser, is_admin, is_staff_member
from club.models import Client, Payment


def can_manage_memberships(user: User) -> bool:
    return is_admin(user)


def can_manage_clients(user: User) -> bool:
    return is_staff_member(user)


def can_manage_payments(user: User) -> bool:
    return is_staff_member(user)


def can_manage_membership_ledger(user: AnyUser) -> bool:
    """Sell, refund, hold and correct a paid-until date: money is ADMIN's (trainers only read it)."""
    return is_admin(user)


def can_view_client(user: User, client: Client) -> bool:
    return is_staff_member(user) or client.user_id == user.pk


def can_view_payment(user: User, payment: Payment) -> bool:
    return is_staff_member(user) or payment.client.user_id == user.pk
