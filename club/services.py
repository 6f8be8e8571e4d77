"""Writes of memberships, clients and payments: the one path that changes them (API, admin, consumer, tasks)."""

import calendar
import datetime
import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat, JSONObject
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.services import user_create
from club.models import (
    DEFAULT_MEMBERSHIP_ID,
    DESK_PAYMENT_METHODS,
    Client,
    ClientStatus,
    Membership,
    MembershipEvent,
    MembershipEventKind,
    MembershipHold,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ReceiptSequence,
    ledger_write,
)
from club.payment_events import MalformedPaymentEvent, PaymentEvent
from club.payment_provider import request_pay_link
from core.db import delete_checked
from core.exceptions import ApplicationError
from core.services import model_full_clean, model_update
from notifications.models import NotificationKind
from notifications.services import notification_queue, notifications_queue_many

logger = logging.getLogger(__name__)

MEMBERSHIP_DAYS_PER_PAYMENT = 30
SALE_MAX_MONTHS = 24
OPENING_REASON = "opening balance"
# The moves a provider event may make, and no other: the one place that says so. An event asking
# for anything else (a duplicate, a late PENDING after FAILED or PAID, anything after a settled state)
# changes nothing. A FAILED attempt may still be paid, expire or be cancelled. REFUNDED is the desk's
# (payment_refund), and final: a late provider event never revives a refunded payment.
PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    PaymentStatus.PENDING: frozenset(
        {PaymentStatus.PAID, PaymentStatus.FAILED, PaymentStatus.EXPIRED, PaymentStatus.CANCELLED}
    ),
    PaymentStatus.FAILED: frozenset({PaymentStatus.PAID, PaymentStatus.EXPIRED, PaymentStatus.CANCELLED}),
    PaymentStatus.PAID: frozenset(),
    PaymentStatus.EXPIRED: frozenset(),
    PaymentStatus.CANCELLED: frozenset(),
    PaymentStatus.REFUNDED: frozenset(),
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
        raise ApplicationError(
            _("The default membership cannot be deleted: clients of deleted memberships move to it.")
        )
    delete_checked(membership)


@transaction.atomic
def client_create(
    *,
    user: User,
    expiration_date: datetime.date | None = None,
    reason: str = "",
    staff: User | None = None,
    **fields: Any,
) -> Client:
    """Create a profile; a paid-until date given at once is a CORRECTION with its `reason` (required)."""
    if user.role != Role.USER or not user.is_active:
        raise ValidationError({"user_id": _("A client profile belongs to an active user of role USER.")})
    client = Client(user=user, **fields)
    model_full_clean(client)
    client.save()
    if expiration_date is not None:
        client = client_expiration_correct(client=client, expiration_date=expiration_date, reason=reason, staff=staff)
    return client


@transaction.atomic
def client_update(*, client: Client, data: dict[str, Any], reason: str = "", staff: User | None = None) -> Client:
    """Update a profile. A changed `expiration_date` goes through the ledger as a CORRECTION with `reason`."""
    data = dict(data)
    expiration_date = data.pop("expiration_date", client.expiration_date)
    client = model_update(instance=client, data=data)
    if expiration_date != client.expiration_date:
        client = client_expiration_correct(client=client, expiration_date=expiration_date, reason=reason, staff=staff)
    return client


@transaction.atomic
def client_delete(*, client: Client) -> None:
    """Delete a client profile and its trainings (CASCADE); refused (409) while it has payments."""
    delete_checked(client)


@transaction.atomic
def clients_deactivate_expired(*, today: datetime.date) -> int:
    """Bring the stored `status` column in line with the effective status of `today`; returns how many changed.

    Reads never depend on it (the selectors compute `effective_status`), but other services sharing
    the database and raw SQL see the column: lapsed members become INACTIVE, members on a hold's days
    ON_HOLD, and back to ACTIVE after the hold. An INACTIVE member is never reactivated by this task
    (the seed's job had that condition backwards).
    """
    changed = 0
    stale = Client.objects.with_effective_status(today=today).exclude(status=F("effective_status"))
    for status in (ClientStatus.ACTIVE, ClientStatus.INACTIVE, ClientStatus.ON_HOLD):
        # `effective_status` is the annotation above; django-stubs resolves lookups on model fields only.
        now_stale = stale.filter(effective_status=status)  # type: ignore[misc]
        stale_rows = Client.objects.filter(pk__in=now_stale.values("pk"))
        # The manager django-stubs derives from ClientQuerySet.as_manager() loses update()'s signature.
        changed += stale_rows.update(status=status, updated_at=timezone.now())  # type: ignore[no-untyped-call]
    return changed


# MEMBERSHIP_EXPIRING goes out this many days before the last paid day.
EXPIRING_NOTICE_DAYS = 3
# A day beat missed is caught up by the next run within this many days (each notice still goes once).
LAPSED_NOTICE_DAYS = 3


@transaction.atomic
def memberships_notify(*, today: datetime.date) -> dict[str, dict[str, int]]:
    """Tell members in Telegram that their membership ends soon, or has just ended: two statements.

    MEMBERSHIP_EXPIRING: the last paid day is within EXPIRING_NOTICE_DAYS (3 days before it, or the
    first run after when beat missed that day) and the member is not INACTIVE today (the effective
    status: staff deactivation counts, a hold does not stop the notice). MEMBERSHIP_LAPSED: the last
    paid day was yesterday (or up to LAPSED_NOTICE_DAYS ago, for missed runs) and the member is
    INACTIVE today. The dedupe key names the client and the date (`<KIND>:<client id>:<date>`), so
    each is sent once ever, however often this runs; a member who renewed has another date and is
    told about that one when its time comes.
    """
    members = Client.objects.with_effective_status(today=today).filter(user__deleted_at__isnull=True)
    # effective_status: an annotation of with_effective_status, unknown to django-stubs.
    expiring = members.filter(  # type: ignore[misc]
        expiration_date__gte=today,
        expiration_date__lte=today + datetime.timedelta(days=EXPIRING_NOTICE_DAYS),
        effective_status__in=[ClientStatus.ACTIVE, ClientStatus.ON_HOLD],
    )
    lapsed = members.filter(  # type: ignore[misc]
        expiration_date__gte=today - datetime.timedelta(days=LAPSED_NOTICE_DAYS),
        expiration_date__lt=today,
        effective_status=ClientStatus.INACTIVE,
    )
    key = Concat(Value(":"), Cast("pk", CharField()), Value(":"), Cast("expiration_date", CharField()))
    context = JSONObject(client_id="pk", first_name="first_name", expiration_date="expiration_date")
    return {
        str(kind): notifications_queue_many(
            kind=kind, source=clients, user_id=F("user_id"), dedupe_key=Concat(Value(kind), key), context=context
        )._asdict()
        for kind, clients in (
            (NotificationKind.MEMBERSHIP_EXPIRING, expiring),
            (NotificationKind.MEMBERSHIP_LAPSED, lapsed),
        )
    }


@transaction.atomic
def payment_create(*, client: Client, membership: Membership | None = None) -> Payment:
    """Record a PENDING payment of the membership's price (by default the client's own membership)."""
    membership = membership or client.membership
    if membership.price <= 0:
        raise ValidationError({"membership_id": _("This membership is free: there is nothing to pay.")})
    payment = Payment(client=client, membership=membership, amount=membership.price, method=PaymentMethod.PROVIDER)
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
        raise ApplicationError(
            _("Payment %(id)s is %(status)s: only a PENDING payment can be paid.")
            % {"id": payment.pk, "status": payment.status}
        )
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
        _extend_membership(payment=payment)
    payment.save(update_fields=["status", "paid_at", "updated_at"])
    return True


def _extend_membership(*, payment: Payment) -> None:
    """A provider payment's 30 days, written to the ledger as a PAYMENT event."""
    client = Client.objects.select_for_update().get(pk=payment.client_id)
    today = timezone.localdate()
    paid_until = max(today, client.expiration_date or today)
    client.membership_id = payment.membership_id
    event = _ledger_write(
        client=client,
        expiration_after=paid_until + datetime.timedelta(days=MEMBERSHIP_DAYS_PER_PAYMENT),
        kind=MembershipEventKind.PAYMENT,
        payment=payment,
        also_update=["membership"],
    )
    _receipt_queue(client=client, payment=payment, event=event)


def _receipt_queue(*, client: Client, payment: Payment, event: MembershipEvent) -> None:
    """The member's RECEIPT in Telegram, written with the payment (a desk sale, or an online payment the
    provider reported PAID: the member hears its money arrived either way; only a sale has a number).

    The period is the days this payment bought: from the day after the old end (today when it had
    lapsed) to the new end.
    """
    today = timezone.localdate()
    before = event.expiration_before
    period_from = before + datetime.timedelta(days=1) if before is not None and before >= today else today
    membership = payment.membership
    notification_queue(
        user=client.user,
        kind=NotificationKind.RECEIPT,
        dedupe_key=f"RECEIPT:{payment.pk}",
        context={
            "payment_id": payment.pk,
            "receipt_number": payment.receipt_number,
            "amount": str(payment.amount),
            "currency": settings.CLUB_CURRENCY,
            "membership": membership.get_access_level_display() or membership.description or "",
            "period_from": period_from.isoformat(),
            "period_to": event.expiration_after.isoformat() if event.expiration_after else today.isoformat(),
        },
    )


@transaction.atomic
def client_register(*, actor: User, username: str, email: str, password: str, **fields: Any) -> Client:
    """Sign up a club member: its USER account and client profile together, all or nothing (the dashboard's form)."""
    user = user_create(actor=actor, username=username, email=email, password=password, role=Role.USER)
    return client_create(user=user, **fields)


# ---------------------------------------------------------------------------
# The membership ledger: the only writer of clients.expiration_date
# ---------------------------------------------------------------------------
def _stored_status(*, client: Client, today: datetime.date) -> str:
    """The status a ledger change leaves in the column: re-derived from the dates (and holds) alone."""
    if client.holds.filter(cancelled_at__isnull=True, starts_on__lte=today, ends_on__gte=today).exists():
        return ClientStatus.ON_HOLD
    if client.expiration_date is not None and client.expiration_date < today:
        return ClientStatus.INACTIVE
    return ClientStatus.ACTIVE


def _ledger_write(
    *,
    client: Client,
    expiration_after: datetime.date | None,
    kind: MembershipEventKind,
    reason: str = "",
    payment: Payment | None = None,
    hold: MembershipHold | None = None,
    staff: User | None = None,
    also_update: list[str] | tuple[str, ...] = (),
) -> MembershipEvent:
    """Move `client`'s expiration_date and write its membership_events row, in the caller's transaction.

    The caller has locked the client's row (select_for_update), so two changes of one client never
    interleave and the event ids follow the order of changes (the invariant's "newest").
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("_ledger_write() runs inside the transaction of the change it records.")
    before = client.expiration_date
    client.expiration_date = expiration_after
    client.status = _stored_status(client=client, today=timezone.localdate())
    with ledger_write():
        client.save(update_fields=["expiration_date", "status", "updated_at", *also_update])
    return MembershipEvent.objects.create(
        client=client,
        kind=kind,
        expiration_before=before,
        expiration_after=expiration_after,
        payment=payment,
        hold=hold,
        staff=staff,
        reason=reason,
    )


def _locked(client: Client) -> Client:
    return Client.objects.select_for_update().get(pk=client.pk)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` plus calendar months; a day the target month lacks becomes its last day (31 Jan + 1 → 28/29 Feb)."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _next_receipt_number(*, year: int) -> str:
    """Take the year's next receipt number inside the caller's transaction (gap-free, never max()+1).

    The year's counter row is created once (a concurrent creator is ignored), then locked: concurrent
    sales queue on that lock, and a sale that rolls back gives its number back with its transaction.
    """
    ReceiptSequence.objects.bulk_create([ReceiptSequence(year=year, last_number=0)], ignore_conflicts=True)
    sequence = ReceiptSequence.objects.select_for_update().get(year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"{year}-{sequence.last_number:06d}"


@transaction.atomic
def membership_sale(
    *,
    client: Client,
    membership: Membership,
    months: int,
    method: str,
    staff: User | None,
    amount: Decimal | None = None,
) -> Payment:
    """Sell `months` of `membership` at the desk: a PAID payment with a receipt number, and a SALE event.

    The client moves onto the membership, becomes ACTIVE, and its expiration_date is extended by the
    calendar months from the later of today and its current expiration (add_months). `amount`
    defaults to price × months; 0 is allowed (a free plan, a gift).
    """
    errors: dict[str, str] = {}
    if not isinstance(months, int) or not 1 <= months <= SALE_MAX_MONTHS:
        errors["months"] = _("Sell between 1 and %(max)s months.") % {"max": SALE_MAX_MONTHS}
    if method not in DESK_PAYMENT_METHODS:
        errors["method"] = _("The desk takes %(methods)s.") % {"methods": ", ".join(DESK_PAYMENT_METHODS)}
    if amount is not None and amount < 0:
        errors["amount"] = _("The amount cannot be negative.")
    if errors:
        raise ValidationError(errors)
    # Lock order, everywhere: the client's row, then the year's receipt counter.
    client = _locked(client)
    now = timezone.now()
    today = timezone.localdate(now)
    payment = Payment(
        client=client,
        membership=membership,
        amount=membership.price * months if amount is None else amount,
        status=PaymentStatus.PAID,
        method=method,
        staff=staff,
        paid_at=now,
    )
    model_full_clean(payment)
    payment.receipt_number = _next_receipt_number(year=today.year)
    payment.save()
    base = max(today, client.expiration_date or today)
    client.membership = membership
    event = _ledger_write(
        client=client,
        expiration_after=add_months(base, months),
        kind=MembershipEventKind.SALE,
        payment=payment,
        staff=staff,
        reason=f"{months} × {membership}",
        also_update=["membership"],
    )
    _receipt_queue(client=client, payment=payment, event=event)
    return payment


@transaction.atomic
def payment_refund(*, payment: Payment, reason: str, staff: User | None) -> Payment:
    """Refund a PAID payment (a desk sale or a provider payment): REFUNDED, and its days taken back.

    The expiration moves back by what the payment added (its SALE/PAYMENT event; a provider payment
    from before the ledger added MEMBERSHIP_DAYS_PER_PAYMENT days), never to before yesterday — the
    member keeps the days already used — and never forward. A second refund is a 409.
    """
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the money is given back.")})
    # Payment row, then client row: the order payment_apply_event locks them in, so the two never deadlock.
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    client = _locked(payment.client)
    if payment.status == PaymentStatus.REFUNDED:
        raise ApplicationError(
            _("Payment %(id)s was already refunded.") % {"id": payment.pk}, {"refunded_at": payment.refunded_at}
        )
    if payment.status != PaymentStatus.PAID:
        raise ApplicationError(
            _("Payment %(id)s is %(status)s: only a PAID payment can be refunded.")
            % {"id": payment.pk, "status": payment.status}
        )
    added = payment.membership_events.filter(kind__in=[MembershipEventKind.SALE, MembershipEventKind.PAYMENT]).first()
    days = datetime.timedelta(days=added.days if added is not None else MEMBERSHIP_DAYS_PER_PAYMENT)
    payment.status = PaymentStatus.REFUNDED
    payment.refunded_at = timezone.now()
    payment.refund_reason = reason.strip()
    payment.save(update_fields=["status", "refunded_at", "refund_reason", "updated_at"])
    if client.expiration_date is not None and days:
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        after = max(client.expiration_date - days, min(client.expiration_date, yesterday))
        _ledger_write(
            client=client,
            expiration_after=after,
            kind=MembershipEventKind.REFUND,
            payment=payment,
            staff=staff,
            reason=payment.refund_reason,
        )
    return payment


@transaction.atomic
def hold_create(
    *, client: Client, starts_on: datetime.date, ends_on: datetime.date, reason: str = "", staff: User | None
) -> MembershipHold:
    """Pause a membership from `starts_on` to `ends_on` (both included); the paid-until date moves by its days.

    400: dates out of order or in the past, or more than MEMBERSHIP_HOLD_MAX_DAYS of holds within 365
    days of this one. 409: the membership is lapsed (or ends before the hold starts), or the hold
    overlaps another. The client's row lock serialises holds of one client, so two concurrent
    requests cannot both pass the overlap check.
    """
    today = timezone.localdate()
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("A hold ends on or after the day it starts.")})
    if starts_on < today:
        raise ValidationError({"starts_on": _("A hold starts today or later.")})
    client = _locked(client)
    if client.expiration_date is None or client.expiration_date < today:
        raise ApplicationError(_("The membership has lapsed: sell a renewal instead of a hold."))
    if starts_on > client.expiration_date:
        raise ApplicationError(
            _("The membership is paid until %(date)s: a hold must start by then.") % {"date": client.expiration_date},
            {"expiration_date": client.expiration_date},
        )
    holds = client.holds.filter(cancelled_at__isnull=True)
    overlapping = holds.filter(starts_on__lte=ends_on, ends_on__gte=starts_on).first()
    if overlapping is not None:
        raise ApplicationError(
            _("It overlaps the hold %(hold)s.") % {"hold": overlapping},
            {"hold_id": overlapping.pk, "starts_on": overlapping.starts_on, "ends_on": overlapping.ends_on},
        )
    hold = MembershipHold(
        client=client, starts_on=starts_on, ends_on=ends_on, reason=(reason or "").strip(), staff=staff
    )
    year = datetime.timedelta(days=365)
    nearby = [other.days for other in holds.filter(starts_on__gt=starts_on - year, starts_on__lt=starts_on + year)]
    limit = settings.MEMBERSHIP_HOLD_MAX_DAYS
    if sum(nearby) + hold.days > limit:
        raise ValidationError(
            {
                "ends_on": _("Holds may total at most %(limit)s days in 365; %(taken)s are already taken.")
                % {"limit": limit, "taken": sum(nearby)}
            }
        )
    model_full_clean(hold)
    hold.save()
    _ledger_write(
        client=client,
        expiration_after=client.expiration_date + datetime.timedelta(days=hold.days),
        kind=MembershipEventKind.HOLD,
        hold=hold,
        staff=staff,
        reason=hold.reason,
    )
    return hold


@transaction.atomic
def hold_cancel(*, hold: MembershipHold, staff: User | None, reason: str = "") -> MembershipHold:
    """Cancel a hold that has not started: its days are taken back (HOLD_CANCELLED). 409 once it started."""
    client = _locked(hold.client)
    hold = MembershipHold.objects.select_for_update().get(pk=hold.pk)
    if hold.cancelled_at is not None:
        raise ApplicationError(_("This hold is already cancelled."))
    if hold.starts_on <= timezone.localdate():
        raise ApplicationError(_("This hold has started: only a future hold can be cancelled."))
    if client.expiration_date is None:  # a hold is only sold on a paid-until date (hold_create)
        raise ApplicationError(_("This membership has no paid-until date to take the hold's days back from."))
    hold.cancelled_at = timezone.now()
    hold.save(update_fields=["cancelled_at"])
    _ledger_write(
        client=client,
        expiration_after=client.expiration_date - datetime.timedelta(days=hold.days),
        kind=MembershipEventKind.HOLD_CANCELLED,
        hold=hold,
        staff=staff,
        reason=(reason or "").strip(),
    )
    return hold


@transaction.atomic
def client_expiration_correct(
    *, client: Client, expiration_date: datetime.date | None, reason: str, staff: User | None
) -> Client:
    """Set the paid-until date by hand (a CORRECTION): only with a reason, which the ledger keeps."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("A change of the paid-until date needs a reason.")})
    locked = _locked(client)
    if locked.expiration_date != expiration_date:
        _ledger_write(
            client=locked,
            expiration_after=expiration_date,
            kind=MembershipEventKind.CORRECTION,
            staff=staff,
            reason=reason.strip(),
        )
    # The caller's instance follows, so the interface renders what was saved.
    client.expiration_date, client.status, client.updated_at = locked.expiration_date, locked.status, locked.updated_at
    client._remember_expiration()
    return client


@transaction.atomic
def member_join(
    *,
    actor: User,
    username: str,
    email: str,
    password: str,
    membership: Membership,
    months: int,
    method: str,
    amount: Decimal | None = None,
    **fields: Any,
) -> Payment:
    """A new member at the desk: account, profile and first sale in one transaction (the admin's "New member").

    Composes `client_register` and `membership_sale`: any ValidationError of either (a taken username,
    a weak password, a bad phone, a wrong method) rolls back all three. Returns the sale's payment.
    """
    client = client_register(
        actor=actor, username=username, email=email, password=password, membership=membership, **fields
    )
    return membership_sale(
        client=client, membership=membership, months=months, method=method, staff=actor, amount=amount
    )
