"""The only write path of attendance: checking a member in at the door, and issuing printed cards."""

import datetime
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext

from accounts.models import User
from attendance import cards
from attendance.models import CheckInMethod, DenialReason, MemberCard, Visit, VisitResult
from classes.services import bookings_mark_attended
from club.models import Client, ClientStatus


@dataclass(frozen=True)
class CheckIn:
    """What the desk learns from one attempt (POST /api/check-ins/, the desk page)."""

    visit: Visit
    client: Client  # with `effective_status` as of the attempt
    repeat: bool

    @property
    def admitted(self) -> bool:
        return self.visit.result == VisitResult.ADMITTED

    @property
    def recorded(self) -> bool:
        """A new row was written for an admission (the API answers 201; denials and repeats 200)."""
        return self.admitted and not self.repeat

    @property
    def message(self) -> str:
        name = self.client.first_name
        if self.repeat:
            at = formats.time_format(timezone.localtime(self.visit.checked_in_at), "H:i")
            return gettext("%(name)s is already checked in (since %(time)s).") % {"name": name, "time": at}
        if self.admitted:
            return gettext("Welcome, %(name)s!") % {"name": name}
        paid_until = self.client.expiration_date
        match self.visit.reason:
            case DenialReason.ON_HOLD:
                return gettext("%(name)s's membership is on hold today.") % {"name": name}
            case DenialReason.NO_MEMBERSHIP:
                return gettext("%(name)s has no paid membership.") % {"name": name}
            case _ if paid_until is not None and paid_until < timezone.localdate(self.visit.checked_in_at):
                return gettext("%(name)s's membership lapsed: paid until %(date)s.") % {
                    "name": name,
                    "date": formats.date_format(paid_until),
                }
            case _:
                return gettext("%(name)s's membership is inactive.") % {"name": name}


def _denial_reason(client: Client) -> str | None:
    """The club's effective status (club.models.ClientQuerySet.with_effective_status) read as an admission."""
    # Read from _locked_client's row, annotated by ClientQuerySet.with_effective_status.
    match client.effective_status:  # type: ignore[attr-defined]
        case ClientStatus.ACTIVE:
            return None
        case ClientStatus.ON_HOLD:
            return DenialReason.ON_HOLD
        case _ if client.expiration_date is None:
            return DenialReason.NO_MEMBERSHIP  # never paid for a day
        case _:
            return DenialReason.LAPSED


def _locked_client(client_id: int, *, today: datetime.date, field: str) -> Client:
    # FOR UPDATE on the client's row: two check-ins of the same member (two desks, a double scan) run one after
    # the other, so the second sees the first's visit and answers a repeat instead of admitting twice.
    found = list(
        Client.objects.with_effective_status(today=today)
        .select_for_update(of=("self",))
        .filter(pk=client_id, user__deleted_at__isnull=True)
        .order_by()[:1]  # no sort for a primary-key lookup
    )
    client = found[0] if found else None
    if client is None:
        raise ValidationError({field: ValidationError(gettext("No club member has this id."), code="unknown_client")})
    return client


@transaction.atomic
def check_in(
    *,
    staff: User | None,
    qr_payload: str | None = None,
    client_id: int | None = None,
    now: datetime.datetime | None = None,
) -> CheckIn:
    """Admit or deny one member at the door, from a scanned card or a pick at the desk, and record the attempt.

    A bad payload (forged, tampered, foreign-signed, expired, a revoked printed card) raises ValidationError on
    `qr_payload` and records nothing. An admission within CHECKIN_REPEAT_MINUTES of the member's last one returns
    that visit (`repeat`) and records nothing; every other attempt, denials included, is a row of `visits`.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    if qr_payload is not None:
        try:
            card = cards.read_card(qr_payload)
        except cards.InvalidCard as error:
            raise ValidationError({"qr_payload": ValidationError(error.message, code=error.problem)}) from None
        client = _locked_client(card.client_id, today=today, field="qr_payload")
        if card.printed_code is not None:
            current = MemberCard.objects.filter(client=client).values_list("code", flat=True).first()
            if not cards.same_code(current, card.printed_code):
                problem = cards.CardProblem.REVOKED
                raise ValidationError({"qr_payload": ValidationError(cards.MESSAGES[problem], code=problem)})
        method = CheckInMethod.QR
    elif client_id is not None:
        client = _locked_client(client_id, today=today, field="client_id")
        method = CheckInMethod.DESK
    else:
        raise ValidationError(gettext("Send qr_payload (a scanned card) or client_id (a member picked at the desk)."))

    reason = _denial_reason(client)
    if reason is None:
        # A member let in shortly before a booked class attended it, also when this scan is a repeat.
        bookings_mark_attended(client=client, at=now)
        since = now - datetime.timedelta(minutes=settings.CHECKIN_REPEAT_MINUTES)
        earlier = (
            Visit.objects.filter(client=client, result=VisitResult.ADMITTED, checked_in_at__gt=since)
            .order_by("-checked_in_at")
            .first()
        )
        if earlier is not None:
            return CheckIn(visit=earlier, client=client, repeat=True)
    visit = Visit.objects.create(
        client=client,
        checked_in_at=now,
        result=VisitResult.DENIED if reason else VisitResult.ADMITTED,
        reason=reason,
        method=method,
        staff=staff,
    )
    return CheckIn(visit=visit, client=client, repeat=False)


@transaction.atomic
def member_card_issue(*, client: Client, staff: User | None) -> MemberCard:
    """A new printed card for the member: a fresh code, so every earlier printed card stops working."""
    code = secrets.token_urlsafe(16)
    card, _ = MemberCard.objects.update_or_create(
        client=client, defaults={"code": code, "issued_at": timezone.now(), "issued_by": staff}
    )
    return card


def member_card_current(*, client: Client, staff: User | None) -> MemberCard:
    """The member's printed card, issued on first use."""
    card = MemberCard.objects.filter(client=client).first()
    return card if card is not None else member_card_issue(client=client, staff=staff)
