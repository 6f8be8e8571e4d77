import django_filters

from core.filters import IdFilter
from workouts.models import WorkoutSession, exercise_type_validator


class WorkoutSessionFilter(django_filters.FilterSet):
    user_id = IdFilter(field_name="user_id")
    # A slug, as the devices send it: anything else can match no session and is a 400 instead.
    exercise_type = django_filters.CharFilter(field_name="exercise_type", validators=[exercise_type_validator])
    # Inclusive calendar days (UTC), the same names as the reports' period.
    date_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    date_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = WorkoutSession
        fields = ["user_id", "exercise_type", "date_from", "date_to"]
