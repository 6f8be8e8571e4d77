import datetime

import django_filters

from attendance.models import Visit, VisitResult
from attendance.selectors import local_midnight
from core.filters import IdFilter


class VisitFilter(django_filters.FilterSet):
    client_id = IdFilter(field_name="client_id")
    result = django_filters.ChoiceFilter(choices=VisitResult.choices)
    # Local days, both included.
    date_from = django_filters.DateFilter(method="filter_date_from")
    date_to = django_filters.DateFilter(method="filter_date_to")

    class Meta:
        model = Visit
        fields = ["client_id", "result", "date_from", "date_to"]

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(checked_in_at__gte=local_midnight(value))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(checked_in_at__lt=local_midnight(value + datetime.timedelta(days=1)))
