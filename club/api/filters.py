import django_filters

from attendance.selectors import with_attendance_risk
from club.models import AccessLevel, Client, ClientStatus, Membership, Payment, PaymentStatus
from core.filters import IdFilter


class MembershipFilter(django_filters.FilterSet):
    access_level = django_filters.ChoiceFilter(choices=AccessLevel.choices)

    class Meta:
        model = Membership
        fields = ["access_level"]


class ClientFilter(django_filters.FilterSet):
    # The effective status (club.selectors.client_list annotates it), so the filter agrees with what is shown.
    status = django_filters.ChoiceFilter(choices=ClientStatus.choices, field_name="effective_status")
    membership_id = IdFilter(field_name="membership_id")
    trainer_id = IdFilter(field_name="trainer_id")
    expires_before = django_filters.DateFilter(field_name="expiration_date", lookup_expr="lte")
    # Paying members with no admitted visit in AT_RISK_DAYS, newest lapse of attendance first (attendance app).
    at_risk = django_filters.BooleanFilter(method="filter_at_risk")

    class Meta:
        model = Client
        fields = ["status", "membership_id", "trainer_id", "expires_before", "at_risk"]

    def filter_at_risk(self, queryset, name, value):
        at_risk = with_attendance_risk(queryset)
        return at_risk if value else queryset.exclude(pk__in=at_risk.values("pk"))


class PaymentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PaymentStatus.choices)
    client_id = IdFilter(field_name="client_id")
    membership_id = IdFilter(field_name="membership_id")

    class Meta:
        model = Payment
        fields = ["status", "client_id", "membership_id"]
