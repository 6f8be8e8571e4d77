from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import range_check

exercise_type_validator = RegexValidator(
    r"^[a-z][a-z0-9_-]{0,49}$", _("An exercise type is a lowercase slug such as 'squat' or 'push_up'.")
)


class WorkoutSession(models.Model):
    """A finished real-time workout: the reps a device streamed for one exercise type."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.DO_NOTHING, related_name="workout_sessions"
    )
    exercise_type = models.CharField(_("exercise type"), max_length=50, validators=[exercise_type_validator])
    total_reps = models.IntegerField(_("total reps"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now(), editable=False)
    # The client's Idempotency-Key of the finish request, so a retried finish saves nothing twice.
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, null=True, blank=True, editable=False)
    # The staff member who ended the workout from the live page (its device never finished it);
    # None when the device finished it itself.
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        editable=False,
        related_name="workout_sessions_ended",
    )

    class Meta:
        verbose_name = _("workout session")
        verbose_name_plural = _("workout sessions")
        db_table = "workout_sessions"
        ordering = ["-created_at", "-id"]
        constraints = [
            range_check("total_reps", model="workout_sessions", low=0),
            models.CheckConstraint(
                condition=Q(exercise_type__regex=r"^[a-z][a-z0-9_-]*$"),
                name="workout_sessions_exercise_type_slug",
                violation_error_message=_("An exercise type is a lowercase slug such as 'squat'."),
            ),
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                name="workout_sessions_unique_idempotency_key",
                condition=Q(idempotency_key__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="workout_sessions_user_idx"),
            # A member's best of a type (WORKOUT_SUMMARY's personal best) without reading its history.
            models.Index(fields=["user", "exercise_type", "-total_reps"], name="workout_sessions_best_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.exercise_type} × {self.total_reps}"
