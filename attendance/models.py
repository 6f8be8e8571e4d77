"""Attendance: every check-in attempt at the door (`visits`) and the members' printed cards."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from club.models import Client
from core.models import choices_check


class VisitResult(models.TextChoices):
    ADMITTED = "ADMITTED", _("Admitted")
    DENIED = "DENIED", _("Denied")


class DenialReason(models.TextChoices):
    LAPSED = "LAPSED", _("Membership lapsed")
    ON_HOLD = "ON_HOLD", _("Membership on hold")
    NO_MEMBERSHIP = "NO_MEMBERSHIP", _("No membership")


class CheckInMethod(models.TextChoices):
    QR = "QR", _("Card scanned")
    DESK = "DESK", _("Picked at the desk")


class Visit(models.Model):
    """One check-in attempt at the door, admitted or denied (a repeat admission adds no row)."""

    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.DB_CASCADE, related_name="visits")
    checked_in_at = models.DateTimeField(_("checked in at"), default=timezone.now, db_default=Now())
    result = models.CharField(_("result"), max_length=8, choices=VisitResult.choices)
    reason = models.CharField(_("reason"), max_length=13, choices=DenialReason.choices, null=True, blank=True)
    method = models.CharField(_("method"), max_length=4, choices=CheckInMethod.choices)
    # Who was at the desk; the visit stays when that account goes.
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff"),
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        db_table = "visits"
        ordering = ["-checked_in_at", "-id"]
        constraints = [
            choices_check("result", VisitResult, model="visits"),
            choices_check("reason", DenialReason, model="visits"),
            choices_check("method", CheckInMethod, model="visits"),
            # A denial always says why; an admission never has a reason.
            models.CheckConstraint(
                condition=Q(result=VisitResult.ADMITTED, reason__isnull=True)
                | Q(result=VisitResult.DENIED, reason__isnull=False),
                name="visits_reason_iff_denied",
                violation_error_message=_("A denied visit has a reason; an admitted one has none."),
            ),
        ]
        indexes = [
            # "Today" (the desk's list, the dashboard's count and hourly chart, reports over a period).
            models.Index(F("checked_in_at").desc(), name="visits_checked_in_idx"),
            # A client's visits newest first: the repeat check, the client page, the at-risk subquery.
            models.Index(F("client"), F("checked_in_at").desc(), name="visits_client_newest_idx"),
        ]

    def __str__(self) -> str:
        when = timezone.localtime(self.checked_in_at).strftime("%Y-%m-%d %H:%M") if self.checked_in_at else "—"
        return f"{self.get_result_display()} {when}"


class MemberCard(models.Model):
    """The printed card of a member without a phone: a long-lived code, replaced (and so revoked) on reissue."""

    client = models.OneToOneField(
        Client, verbose_name=_("client"), on_delete=models.DB_CASCADE, related_name="printed_card"
    )
    # 128 random bits (secrets.token_urlsafe(16)); the QR carries it signed, so a made-up code is refused as forged.
    code = models.CharField(_("code"), max_length=32, unique=True)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now, db_default=Now())
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("member card")
        verbose_name_plural = _("member cards")
        db_table = "member_cards"

    def __str__(self) -> str:
        return _("Printed card of %(client)s (%(date)s)") % {
            "client": self.client,
            "date": f"{timezone.localtime(self.issued_at):%Y-%m-%d}",
        }
