from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from club.models import Client
from core.models import choices_check, range_check


class TrainingType(models.TextChoices):
    CARDIO = "CARDIO", _("Cardio")
    STRENGTH = "STRENGTH", _("Strength")
    YOGA = "YOGA", _("Yoga")
    HIIT = "HIIT", _("HIIT")
    STRETCHING = "STRETCHING", _("Stretching")


class Intensity(models.TextChoices):
    LOW = "LOW", _("Low")
    MEDIUM = "MEDIUM", _("Medium")
    HIGH = "HIGH", _("High")


class MuscleGroup(models.TextChoices):
    CHEST = "CHEST", _("Chest")
    BACK = "BACK", _("Back")
    LEGS = "LEGS", _("Legs")
    ARMS = "ARMS", _("Arms")
    SHOULDERS = "SHOULDERS", _("Shoulders")
    CORE = "CORE", _("Core")
    FULL_BODY = "FULL_BODY", _("Full body")


class Complexity(models.TextChoices):
    BEGINNER = "BEGINNER", _("Beginner")
    INTERMEDIATE = "INTERMEDIATE", _("Intermediate")
    ADVANCED = "ADVANCED", _("Advanced")
    EXPERT = "EXPERT", _("Expert")


class PlanStatus(models.TextChoices):
    PREPARED = "PREPARED", _("Prepared")
    ACTIVE = "ACTIVE", _("Active")
    COMPLETED = "COMPLETED", _("Completed")


class Exercise(models.Model):
    """An entry of the club's exercise catalog."""

    title = models.CharField(
        _("title"),
        max_length=50,
        unique=True,
        error_messages={"unique": _("An exercise with this title already exists.")},
    )
    description = models.TextField(_("description"), null=True, blank=True)
    muscle_group = models.CharField(_("muscle group"), max_length=9, choices=MuscleGroup.choices, null=True, blank=True)
    equipment_required = models.BooleanField(_("equipment required"), default=False, db_default=False)
    complexity_lvl = models.CharField(
        _("complexity lvl"),
        max_length=12,
        choices=Complexity.choices,
        default=Complexity.BEGINNER,
        db_default=Complexity.BEGINNER,
    )

    class Meta:
        verbose_name = _("exercise")
        verbose_name_plural = _("exercises")
        db_table = "exercises"
        ordering = ["title"]
        constraints = [
            choices_check("muscle_group", MuscleGroup, model="exercises"),
            choices_check("complexity_lvl", Complexity, model="exercises"),
        ]
        indexes = [models.Index(fields=["muscle_group", "complexity_lvl"], name="exercises_group_level_idx")]

    def __str__(self) -> str:
        return self.title


class Training(models.Model):
    """One training of a client, with its exercises in order."""

    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.DB_CASCADE, related_name="trainings")
    training_type = models.CharField(
        _("training type"), max_length=10, choices=TrainingType.choices, null=True, blank=True
    )
    title = models.CharField(_("title"), max_length=200)
    intensity = models.CharField(_("intensity"), max_length=6, choices=Intensity.choices, null=True, blank=True)
    duration_min = models.IntegerField(_("duration min"), default=45, db_default=45, help_text=_("Minutes, 1 to 1440."))
    date = models.DateField(_("date"), null=True, blank=True)
    # When on `date` it starts (club local time), so the trainer's week shows it beside the classes.
    start_time = models.TimeField(_("start time"), null=True, blank=True)
    description = models.TextField(_("description"), null=True, blank=True)
    exercises: "models.ManyToManyField[Exercise, TrainingExercise]" = models.ManyToManyField(
        "Exercise", verbose_name=_("exercises"), through="TrainingExercise", related_name="trainings"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now(), editable=False)

    class Meta:
        verbose_name = _("training")
        verbose_name_plural = _("trainings")
        db_table = "trainings"
        ordering = ["-date", "-id"]
        constraints = [
            choices_check("training_type", TrainingType, model="trainings"),
            choices_check("intensity", Intensity, model="trainings"),
            range_check("duration_min", model="trainings", low=1, high=1440),
        ]
        indexes = [
            models.Index(fields=["client", "date"], name="trainings_client_date_idx"),
            models.Index(fields=["date"], name="trainings_date_idx"),
            models.Index(fields=["training_type", "intensity"], name="trainings_type_intensity_idx"),
        ]

    def __str__(self) -> str:
        # Titles repeat across clients ("Leg day"): whose and when tell them apart in pickers.
        # Reads the client: list it with select_related("client").
        parts = [self.title, str(self.client)]
        if self.date:
            parts.append(formats.date_format(self.date))
        return " · ".join(parts)


class TrainingExercise(models.Model):
    """An exercise at one position of a training (table `trainings_exercises`)."""

    training = models.ForeignKey(
        Training, verbose_name=_("training"), on_delete=models.DB_CASCADE, related_name="exercise_rows"
    )
    exercise = models.ForeignKey(
        Exercise, verbose_name=_("exercise"), on_delete=models.DB_CASCADE, related_name="training_rows"
    )
    order_in_training = models.IntegerField(_("order in training"), help_text=_("Position in the training, from 1."))
    sets = models.IntegerField(_("sets"), default=3, db_default=3)
    reps = models.IntegerField(_("reps"), default=10, db_default=10)
    rest_time_sec = models.IntegerField(_("rest time sec"), default=60, db_default=60)
    extra_weight = models.DecimalField(
        _("extra weight"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Additional weight in kilograms."),
    )

    class Meta:
        verbose_name = _("training exercise")
        verbose_name_plural = _("training exercises")
        db_table = "trainings_exercises"
        ordering = ["training", "order_in_training"]
        constraints = [
            models.UniqueConstraint(
                fields=["training", "order_in_training"],
                name="trainings_exercises_unique_position",
                violation_error_message=_("This training already has an exercise at that position."),
            ),
            range_check("order_in_training", model="trainings_exercises", low=1, high=1000),
            range_check("sets", model="trainings_exercises", low=1, high=100),
            range_check("reps", model="trainings_exercises", low=1, high=1000),
            range_check("rest_time_sec", model="trainings_exercises", low=0, high=3600),
            range_check("extra_weight", model="trainings_exercises", low=0),
        ]

    def __str__(self) -> str:
        return f"{self.order_in_training}. {self.exercise}"


class TrainingPlan(models.Model):
    """A plan a user follows: a set of trainings with a status."""

    # The seed gives no ON DELETE rule here, so PostgreSQL's default applies: NO ACTION.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.DO_NOTHING, related_name="training_plans"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now(), editable=False)
    status = models.CharField(
        _("status"), max_length=9, choices=PlanStatus.choices, default=PlanStatus.ACTIVE, db_default=PlanStatus.ACTIVE
    )
    trainings = models.ManyToManyField(
        Training, verbose_name=_("trainings"), through="TrainingPlanTraining", related_name="plans", blank=True
    )

    class Meta:
        verbose_name = _("training plan")
        verbose_name_plural = _("training plans")
        db_table = "training_plans"
        ordering = ["-created_at", "-id"]
        constraints = [choices_check("status", PlanStatus, model="training_plans")]
        indexes = [
            models.Index(fields=["user", "status"], name="training_plans_user_status_idx"),
            models.Index(fields=["status"], name="training_plans_status_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class TrainingPlanTraining(models.Model):
    training = models.ForeignKey(
        Training, verbose_name=_("training"), on_delete=models.DB_CASCADE, related_name="plan_links"
    )
    training_plan = models.ForeignKey(
        TrainingPlan, verbose_name=_("training plan"), on_delete=models.DB_CASCADE, related_name="training_links"
    )

    class Meta:
        verbose_name = _("training plan training")
        verbose_name_plural = _("training plan trainings")
        db_table = "training_plan_trainings"
        constraints = [
            models.UniqueConstraint(
                fields=["training_plan", "training"],
                name="training_plan_trainings_unique",
                violation_error_message=_("This training is already in the plan."),
            )
        ]

    def __str__(self) -> str:
        return _("%(training)s in %(plan)s") % {"training": self.training, "plan": self.training_plan}
