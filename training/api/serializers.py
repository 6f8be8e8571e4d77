from decimal import Decimal

from django.utils.translation import gettext, gettext_lazy
from rest_framework import serializers

from accounts.models import User
from accounts.permissions import is_staff_member
from club.api.serializers import TEXT_MAX_LENGTH
from club.models import Client
from core.serializers import StrictFieldsMixin
from training import selectors
from training.models import Exercise, Training, TrainingExercise, TrainingPlan

MAX_ROWS = 100
MAX_PLAN_TRAININGS = 200


class ExerciseSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    description = serializers.CharField(max_length=TEXT_MAX_LENGTH, allow_null=True, allow_blank=True, required=False)

    class Meta:
        model = Exercise
        fields = ["id", "title", "description", "muscle_group", "equipment_required", "complexity_lvl"]
        extra_kwargs = {"muscle_group": {"allow_blank": False}}


class TrainingExerciseSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """One exercise row of a training; `sets`, `reps`, `rest_time_sec` default to 3, 10 and 60."""

    exercise_id = serializers.PrimaryKeyRelatedField(source="exercise", queryset=Exercise.objects.all())

    class Meta:
        model = TrainingExercise
        fields = ["id", "exercise_id", "order_in_training", "sets", "reps", "rest_time_sec", "extra_weight"]
        read_only_fields = ["id"]
        # The same bounds as the database's CHECK constraints, so bad numbers are a 400 per field.
        extra_kwargs = {
            "order_in_training": {"min_value": 1, "max_value": 1000},
            "sets": {"min_value": 1, "max_value": 100},
            "reps": {"min_value": 1, "max_value": 1000},
            "rest_time_sec": {"min_value": 0, "max_value": 3600},
            "extra_weight": {"min_value": Decimal("0")},
        }


class TrainingSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    client_id = serializers.PrimaryKeyRelatedField(source="client", queryset=Client.objects.all())
    description = serializers.CharField(max_length=TEXT_MAX_LENGTH, allow_null=True, allow_blank=True, required=False)
    exercises = TrainingExerciseSerializer(
        many=True,
        source="exercise_rows",
        required=False,
        max_length=MAX_ROWS,
        help_text="The training's exercise rows in order. On update, when given, it replaces all rows.",
    )

    class Meta:
        model = Training
        fields = [
            "id",
            "client_id",
            "training_type",
            "title",
            "intensity",
            "duration_min",
            "date",
            "start_time",
            "description",
            "created_at",
            "exercises",
        ]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {
            "duration_min": {"min_value": 1, "max_value": 1440},
            "training_type": {"allow_blank": False},
            "intensity": {"allow_blank": False},
        }

    def validate_client_id(self, client: Client) -> Client:
        # Plans link trainings of their own user only; moving a training would break that.
        if self.instance is not None and client != self.instance.client:
            raise serializers.ValidationError(gettext("A training cannot move to another client."))
        return client


class TrainingPlanSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    read_only_reasons = {
        "user_id": gettext_lazy("Only staff choose a plan's user: a client's plans are always its own.")
    }
    user_id = serializers.PrimaryKeyRelatedField(
        source="user",
        queryset=User.objects.filter(deleted_at__isnull=True),
        required=False,
        help_text="The plan's user (default: the caller). Only staff choose it; a USER's plans are always its own.",
    )
    description = serializers.CharField(max_length=TEXT_MAX_LENGTH, allow_null=True, allow_blank=True, required=False)
    training_ids = serializers.PrimaryKeyRelatedField(
        source="trainings",
        many=True,
        queryset=Training.objects.none(),
        required=False,
        help_text="Trainings of the plan's user; when given on update, it replaces the plan's trainings.",
    )

    class Meta:
        model = TrainingPlan
        fields = ["id", "user_id", "title", "description", "status", "created_at", "training_ids"]
        read_only_fields = ["id", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        # Anonymous requests never get this far, except the schema generator's: it documents the staff view.
        if request is None or not request.user.is_authenticated:
            return
        # Ids the caller may not see fail exactly like unknown ids: nothing leaks.
        self.fields["training_ids"].child_relation.queryset = selectors.training_list(
            user=request.user
        ).prefetch_related(None)
        if not is_staff_member(request.user):
            self.fields["user_id"].read_only = True

    def validate_training_ids(self, trainings: list[Training]) -> list[Training]:
        if len(trainings) > MAX_PLAN_TRAININGS:
            raise serializers.ValidationError(
                gettext("A plan holds at most %(max)s trainings.") % {"max": MAX_PLAN_TRAININGS}
            )
        return trainings
