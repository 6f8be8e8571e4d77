import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from club.models import AccessLevel, Client, ClientStatus, Membership, Payment, PaymentStatus


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """An id: a whole positive number (NumberFilter alone would take 1.5 and round it)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**31 - 1)
        super().__init__(*args, **kwargs)


class MembershipFilter(django_filters.FilterSet):
    access_level = django_filters.ChoiceFilter(choices=AccessLevel.choices)

    class Meta:
        model = Membership
        fields = ["access_level"]


class ClientFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ClientStatus.choices)
    membership_id = IdFilter(field_name="membership_id")
    trainer_id = IdFilter(field_name="trainer_id")
    expires_before = django_filters.DateFilter(field_name="expiration_date", lookup_expr="lte")

    class Meta:
        model = Client
        fields = ["status", "membership_id", "trainer_id", "expires_before"]


class PaymentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PaymentStatus.choices)
    client_id = IdFilter(field_name="client_id")
    membership_id = IdFilter(field_name="membership_id")

    class Meta:
        model = Payment
        fields = ["status", "client_id", "membership_id"]
