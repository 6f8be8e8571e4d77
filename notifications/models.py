from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import choices_check


class NotificationKind(models.TextChoices):
    MEMBERSHIP_EXPIRING = "MEMBERSHIP_EXPIRING", _("Membership ends soon")
    MEMBERSHIP_LAPSED = "MEMBERSHIP_LAPSED", _("Membership ended")
    CLASS_REMINDER = "CLASS_REMINDER", _("Class reminder")
    WAITLIST_PROMOTED = "WAITLIST_PROMOTED", _("Spot from the waitlist")
    CLASS_CANCELLED = "CLASS_CANCELLED", _("Class cancelled")
    RECEIPT = "RECEIPT", _("Receipt")
    WORKOUT_SUMMARY = "WORKOUT_SUMMARY", _("Workout summary")


class NotificationStatus(models.TextChoices):
    QUEUED = "QUEUED", _("Queued")
    SENT = "SENT", _("Sent")
    FAILED = "FAILED", _("Failed")
    SKIPPED = "SKIPPED", _("Skipped")


class Notification(models.Model):
    """One message to a member in Telegram: the outbox row, written in the transaction of its cause.

    `dedupe_key` names the event (`RECEIPT:<payment id>`, `CLASS_REMINDER:<booking id>`): the unique
    index makes "one notification per event, ever" hold across every process. `context` holds what
    the message needs to be rendered at send time, in the member's language.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DB_CASCADE, related_name="notifications")
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    status = models.CharField(
        max_length=7, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED, db_default="QUEUED"
    )
    attempts = models.PositiveSmallIntegerField(default=0, db_default=0)
    dedupe_key = models.CharField(max_length=120, unique=True)
    context = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())
    # Set (and committed) right before the Bot API call: a redelivered task finds it and never sends twice.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    telegram_message_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        db_table = "notifications"
        ordering = ["-created_at", "-id"]
        constraints = [
            choices_check("kind", NotificationKind, model="notifications"),
            choices_check("status", NotificationStatus, model="notifications"),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notifications_user_idx"),
            models.Index(fields=["status", "created_at"], name="notifications_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.user}"


class NotificationOptOut(models.Model):
    """A member's "don't send me this kind": a row per kind switched off (the bot's /stop writes all)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DB_CASCADE, related_name="notification_opt_outs"
    )
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        db_table = "notification_opt_outs"
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_opt_outs_once"),
            choices_check("kind", NotificationKind, model="notification_opt_outs"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: no {self.kind}"
