"""Reads of memberships, clients and payments, scoped to what the acting user may see."""

from django.db.models import Q, QuerySet

from accounts.models import User
from accounts.permissions import is_staff_member
from club.models import Client, Membership, Payment


def membership_list() -> QuerySet[Membership]:
    # The tariffs are public to every signed-in user: clients choose among them.
    return Membership.objects.all()


def client_list(*, user: User) -> QuerySet[Client]:
    clients = Client.objects.all()
    if not user.is_authenticated:
        return clients.none()
    if is_staff_member(user):
        return clients
    return clients.filter(user=user)


def payment_list(*, user: User) -> QuerySet[Payment]:
    # The client comes along for the object check (can_view_payment) at no extra query.
    payments = Payment.objects.select_related("client")
    if not user.is_authenticated:
        return payments.none()
    if is_staff_member(user):
        return payments
    return payments.filter(client__user=user)


def client_search(
    *, user: User, search: str = "", status: str = "", membership: Membership | None = None
) -> QuerySet[Client]:
    """The dashboard's client list: every word of `search` must match a name or the phone number."""
    clients = client_list(user=user).select_related("membership", "user")
    # Word by word, so "anna petrova" finds Anna Petrova although no single column holds both words.
    for word in search.split():
        clients = clients.filter(
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(phone_number__icontains=word)
        )
    if status:
        clients = clients.filter(status=status)
    if membership is not None:
        clients = clients.filter(membership=membership)
    return clients
