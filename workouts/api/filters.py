import django_filters

from workouts.models import WorkoutSession


class WorkoutSessionFilter(django_filters.FilterSet):
    user_id = django_filters.NumberFilter(field_name="user_id")
    exercise_type = django_filters.CharFilter(field_name="exercise_type")
    # Inclusive calendar days (UTC), the same names as the reports' period.
    date_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    date_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = WorkoutSession
        fields = ["user_id", "exercise_type", "date_from", "date_to"]
