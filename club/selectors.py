"""Reads of memberships, clients and payments, scoped to what the acting user may see."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypedDict

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from accounts.models import Role, User
from accounts.permissions import is_staff_member
from club.models import (
    Client,
    Membership,
    MembershipEvent,
    MembershipHold,
    Payment,
    PaymentMethod,
    PaymentStatus,
    normalize_phone,
)

# A search term of at least this many digits (and nothing but phone characters) is a phone number.
# Members paid up to a day within this many days are the ones to remind (the home page, the admin's list).
EXPIRY_WINDOW_DAYS = 7
PHONE_SEARCH_MIN_DIGITS = 5
PHONE_CHARACTERS = set("+0123456789 ()-")


def membership_list() -> QuerySet[Membership]:
    # The tariffs are public to every signed-in user: clients choose among them.
    return Membership.objects.all()


def client_list(*, user: User, today: datetime.date | None = None) -> QuerySet[Client]:
    """Clients the user may see, each with `effective_status` (never stale: see ClientQuerySet)."""
    clients = Client.objects.with_effective_status(today=today)
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
    *,
    user: User,
    search: str = "",
    status: str = "",
    membership: Membership | None = None,
    trainer: User | None = None,
) -> QuerySet[Client]:
    """The dashboard's client list: every word of `search` must match a name or the phone number;
    `trainer`: only that trainer's clients ("My clients")."""
    clients = client_list(user=user).select_related("membership", "user")
    if trainer is not None:
        clients = clients.filter(trainer=trainer)
    phone = phone_search_digits(search)
    if phone:
        clients = clients.filter(phone_normalized__contains=phone)
        search = ""
    # Word by word, so "anna petrova" finds Anna Petrova although no single column holds both words.
    for word in search.split():
        clients = clients.filter(
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(phone_number__icontains=word)
        )
    if status:
        # client_list annotates it (ClientQuerySet.with_effective_status); django-stubs sees model fields only.
        clients = clients.filter(effective_status=status)  # type: ignore[misc]
    if membership is not None:
        clients = clients.filter(membership=membership)
    return clients


def client_picker_search(*, user: User, search: str = "", with_account: bool = False) -> QuerySet[Client]:
    """A client picker's matches for `search` (name or phone, as the client list): a trainer's own
    clients first, then by name. `with_account`: only clients whose account can own plans (an active USER)."""
    clients = client_search(user=user, search=search).select_related("user")
    if with_account:
        clients = clients.filter(user__role=Role.USER, user__deleted_at__isnull=True)
    own = Case(When(trainer_id=user.pk, then=Value(0)), default=Value(1), output_field=IntegerField())
    return clients.order_by(own, "last_name", "first_name", "pk")


def phone_search_digits(term: str) -> str:
    """The normalised digits to look a phone number up by, or "" when `term` is not a phone number.

    `+7 935 576-61-26`, `89355766126` and `9355766126` all give `9355766126` (club.models.normalize_phone),
    matched against the indexed clients.phone_normalized; a fragment (`576-61`) matches as a substring.
    """
    term = term.strip()
    if not term or not set(term) <= PHONE_CHARACTERS:
        return ""
    digits = normalize_phone(term)
    return digits if len(digits) >= PHONE_SEARCH_MIN_DIGITS else ""


def membership_event_list(*, user: User, client: Client) -> QuerySet[MembershipEvent]:
    """A client's ledger, newest first; `client` comes from client_list, so it is already in scope."""
    return MembershipEvent.objects.filter(client=client).order_by("-id")


def hold_list(*, user: User) -> QuerySet[MembershipHold]:
    holds = MembershipHold.objects.select_related("client")
    if not user.is_authenticated:
        return holds.none()
    if is_staff_member(user):
        return holds
    return holds.filter(client__user=user)


class Figures(TypedDict):
    count: int
    total: Decimal


class StaffTakings(TypedDict):
    staff_id: int | None  # None: the payment provider
    count: int
    total: Decimal


@dataclass(frozen=True)
class Takings:
    """The cash-up of a period (GET /api/payments/summary/, the daily_takings report)."""

    date_from: datetime.date
    date_to: datetime.date
    count: int
    total: Decimal
    by_method: dict[str, Figures]
    by_staff: list[StaffTakings]
    refunds: Figures
    # Per local day of the period, only the days with takings or refunds: [{date, count, total,
    # by_method: {method: {count, total}}, refunds: {count, total}}]. The report's tables; not in the API.
    by_day: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "count": self.count,
            "total": self.total,
            "by_method": self.by_method,
            "by_staff": self.by_staff,
            "refunds": self.refunds,
        }


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def payment_takings(*, date_from: datetime.date, date_to: datetime.date) -> Takings:
    """Money taken from `date_from` to `date_to` (local days, both included), in three aggregate queries.

    Takings are the payments paid in the period, refunded since or not (the money came in that day);
    refunds are counted on the day they were given back. Payments from before the front desk have no
    method: they all came through the payment provider, so they count as PROVIDER.
    """
    start, end = _local_midnight(date_from), _local_midnight(date_to + datetime.timedelta(days=1))
    local_day = TruncDate("paid_at", tzinfo=timezone.get_current_timezone())
    taken = Payment.objects.filter(
        status__in=[PaymentStatus.PAID, PaymentStatus.REFUNDED], paid_at__gte=start, paid_at__lt=end
    ).order_by()
    zero = Decimal("0.00")

    def nothing() -> Figures:
        return {"count": 0, "total": zero}

    by_method = {method: nothing() for method in PaymentMethod.values}
    days: dict[datetime.date, dict[str, Any]] = {}

    def day(on: datetime.date) -> dict[str, Any]:
        return days.setdefault(
            on,
            {"date": on, **nothing(), "by_method": {m: nothing() for m in PaymentMethod.values}, "refunds": nothing()},
        )

    # One GROUP BY (day, method): the period's figures by method and each day's are sums of its rows.
    for row in (
        taken.annotate(day=local_day, paid_by=Coalesce("method", Value(PaymentMethod.PROVIDER)))
        .values("day", "paid_by")
        .annotate(count=Count("id"), total=Sum("amount"))
    ):
        for entry in (by_method[row["paid_by"]], day(row["day"])["by_method"][row["paid_by"]], day(row["day"])):
            entry["count"] += row["count"]
            entry["total"] += row["total"]
    by_staff: list[StaffTakings] = [
        {"staff_id": row["staff_id"], "count": row["count"], "total": row["total"]}
        for row in taken.values("staff_id").annotate(count=Count("id"), total=Sum("amount")).order_by("staff_id")
    ]
    refunds = nothing()
    for refunded in (
        Payment.objects.filter(status=PaymentStatus.REFUNDED, refunded_at__gte=start, refunded_at__lt=end)
        .annotate(day=TruncDate("refunded_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(count=Count("id"), total=Sum("amount"))
        .order_by()
    ):
        for entry in (refunds, day(refunded["day"])["refunds"]):
            entry["count"] += refunded["count"]
            entry["total"] += refunded["total"]
    return Takings(
        date_from=date_from,
        date_to=date_to,
        count=sum(entry["count"] for entry in by_method.values()),
        total=sum((entry["total"] for entry in by_method.values()), zero),
        by_method=by_method,
        by_staff=by_staff,
        refunds=refunds,
        by_day=[days[on] for on in sorted(days)],
    )
