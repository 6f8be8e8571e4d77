import django_filters

from core.filters import BooleanFilter, IdFilter
from training.models import (
    Complexity,
    Exercise,
    Intensity,
    MuscleGroup,
    PlanStatus,
    Training,
    TrainingPlan,
    TrainingType,
)


class ExerciseFilter(django_filters.FilterSet):
    muscle_group = django_filters.ChoiceFilter(choices=MuscleGroup.choices)
    complexity_lvl = django_filters.ChoiceFilter(choices=Complexity.choices)
    equipment_required = BooleanFilter()

    class Meta:
        model = Exercise
        fields = ["muscle_group", "complexity_lvl", "equipment_required"]


class TrainingFilter(django_filters.FilterSet):
    client_id = IdFilter(field_name="client_id")
    training_type = django_filters.ChoiceFilter(choices=TrainingType.choices)
    intensity = django_filters.ChoiceFilter(choices=Intensity.choices)
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", label="On or after this date")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label="On or before this date")

    class Meta:
        model = Training
        fields = ["client_id", "training_type", "intensity", "date_from", "date_to"]


class TrainingPlanFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices)
    user_id = IdFilter(field_name="user_id")

    class Meta:
        model = TrainingPlan
        fields = ["status", "user_id"]
