"""Writes of memberships, clients and payments: the one path that changes them (API, admin, consumer, tasks)."""

import datetime
import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import user_create
from club.models import DEFAULT_MEMBERSHIP_ID, Client, ClientStatus, Membership, Payment, PaymentStatus
from club.payment_events import MalformedPaymentEvent, PaymentEvent
from club.payment_provider import request_pay_link
from core.db import delete_checked
from core.exceptions import ApplicationError
from core.services import model_full_clean, model_update

logger = logging.getLogger(__name__)

MEMBERSHIP_DAYS_PER_PAYMENT = 30
# The moves a provider event may make, and no other: the one place that says so. An event asking
# for anything else (a duplicate, a late PENDING after FAILED or PAID, anything after a settled state)
# changes nothing. A FAILED attempt may still be paid, expire or be cancelled.
PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    PaymentStatus.PENDING: frozenset(
        {PaymentStatus.PAID, PaymentStatus.FAILED, PaymentStatus.EXPIRED, PaymentStatus.CANCELLED}
    ),
    PaymentStatus.FAILED: frozenset({PaymentStatus.PAID, PaymentStatus.EXPIRED, PaymentStatus.CANCELLED}),
    PaymentStatus.PAID: frozenset(),
    PaymentStatus.EXPIRED: frozenset(),
    PaymentStatus.CANCELLED: frozenset(),
}
# A payment in one of these states has been settled; later events about it change nothing.
SETTLED_PAYMENT_STATUSES = {status for status, moves in PAYMENT_TRANSITIONS.items() if not moves}


@transaction.atomic
def membership_create(*, price: Decimal, access_level: str | None = None, description: str | None = None) -> Membership:
    membership = Membership(price=price, access_level=access_level, description=description)
    model_full_clean(membership)
    membership.save()
    return membership


@transaction.atomic
def membership_update(*, membership: Membership, data: dict[str, Any]) -> Membership:
    return model_update(instance=membership, data=data)


@transaction.atomic
def membership_delete(*, membership: Membership) -> None:
    """Delete a tariff; its clients move to the default membership (the database's SET DEFAULT).

    Raises ProtectedError (409) while payments refer to it: they are financial history.
    """
    if membership.pk == DEFAULT_MEMBERSHIP_ID:
        raise ApplicationError("The default membership cannot be deleted: clients of deleted memberships move to it.")
    delete_checked(membership)


@transaction.atomic
def client_create(*, user: User, **fields: Any) -> Client:
    if user.role != Role.USER or not user.is_active:
        raise ValidationError({"user_id": "A client profile belongs to an active user of role USER."})
    client = Client(user=user, **fields)
    model_full_clean(client)
    client.save()
    return client


@transaction.atomic
def client_update(*, client: Client, data: dict[str, Any]) -> Client:
    return model_update(instance=client, data=data)


@transaction.atomic
def client_delete(*, client: Client) -> None:
    """Delete a client profile and its trainings (CASCADE); refused (409) while it has payments."""
    delete_checked(client)


@transaction.atomic
def clients_deactivate_expired(*, today: datetime.date) -> int:
    """Mark INACTIVE every ACTIVE client whose last paid day is before `today`; returns how many.

    Only ACTIVE clients: one ON_HOLD keeps its hold, and an INACTIVE one is left alone (the seed's job
    had this condition backwards and reactivated them).
    """
    return Client.objects.filter(status=ClientStatus.ACTIVE, expiration_date__lt=today).update(
        status=ClientStatus.INACTIVE, updated_at=timezone.now()
    )


@transaction.atomic
def payment_create(*, client: Client, membership: Membership | None = None) -> Payment:
    """Record a PENDING payment of the membership's price (by default the client's own membership)."""
    membership = membership or client.membership
    if membership.price <= 0:
        raise ValidationError({"membership_id": "This membership is free: there is nothing to pay."})
    payment = Payment(client=client, membership=membership, amount=membership.price)
    model_full_clean(payment)
    payment.save()
    return payment


def payment_request_pay_link(*, payment: Payment) -> Payment:
    """Ask the provider for a pay link when `PAYMENT_SERVICE_URL` is set, and store it.

    Runs outside any transaction on purpose: the payment row is committed before the provider
    hears of it (its events may come back at once), and a slow provider never holds a database
    transaction or row locks open. Raises PaymentProviderError when the provider fails.
    """
    if payment.status != PaymentStatus.PENDING:
        raise ApplicationError(f"Payment {payment.pk} is {payment.status}: only a PENDING payment can be paid.")
    if not settings.PAYMENT_SERVICE_URL or payment.pay_url:
        return payment
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("payment_request_pay_link() must not run inside a database transaction.")
    link = request_pay_link(payment)
    payment.provider_reference, payment.pay_url = link.reference, link.pay_url
    with transaction.atomic():
        payment.save(update_fields=["provider_reference", "pay_url", "updated_at"])
    return payment


@transaction.atomic
def payment_apply_event(*, event: PaymentEvent) -> bool:
    """Apply one provider event to its payment; False when it changes nothing (a duplicate, or late).

    Only the moves in PAYMENT_TRANSITIONS happen: a late PENDING never takes a FAILED or PAID payment back.

    `PAID` also makes the client ACTIVE on the paid membership and extends its expiration by 30 days
    from the later of today and the current expiration. The payment row is locked first, so two
    consumers handling the same event apply it once. Raises MalformedPaymentEvent for an event
    about a payment that does not exist or belongs to another client.
    """
    payment = Payment.objects.select_for_update().filter(pk=event.payment_id).first()
    if payment is None or payment.client_id != event.client_id:
        raise MalformedPaymentEvent(f"no payment {event.payment_id} of client {event.client_id}.")
    if event.status not in PAYMENT_TRANSITIONS[payment.status]:
        logger.info("payment %s is %s; event %s changes nothing", payment.pk, payment.status, event.status)
        return False
    payment.status = event.status
    if event.status == PaymentStatus.PAID:
        payment.paid_at = event.timestamp
        _extend_membership(client_id=payment.client_id, membership_id=payment.membership_id)
    payment.save(update_fields=["status", "paid_at", "updated_at"])
    return True


def _extend_membership(*, client_id: int, membership_id: int) -> None:
    client = Client.objects.select_for_update().get(pk=client_id)
    today = timezone.localdate()
    paid_until = max(today, client.expiration_date or today)
    client.expiration_date = paid_until + datetime.timedelta(days=MEMBERSHIP_DAYS_PER_PAYMENT)
    client.status = ClientStatus.ACTIVE
    client.membership_id = membership_id
    client.save(update_fields=["expiration_date", "status", "membership", "updated_at"])


@transaction.atomic
def client_register(*, actor: User, username: str, email: str, password: str, **fields: Any) -> Client:
    """Sign up a club member: its USER account and client profile together, all or nothing (the dashboard's form)."""
    user = user_create(actor=actor, username=username, email=email, password=password, role=Role.USER)
    return client_create(user=user, **fields)
