from decimal import Decimal

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Role, User
from club.models import DESK_PAYMENT_METHODS, Client, ClientStatus, Membership, MembershipEvent, MembershipHold, Payment
from club.services import SALE_MAX_MONTHS
from core.serializers import StrictFieldsMixin

# Free text is TEXT in the database; the API still refuses absurd sizes.
TEXT_MAX_LENGTH = 5000


class MembershipSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    description = serializers.CharField(max_length=TEXT_MAX_LENGTH, allow_null=True, allow_blank=True, required=False)

    class Meta:
        model = Membership
        fields = ["id", "access_level", "description", "price"]
        extra_kwargs = {"price": {"min_value": Decimal("0")}, "access_level": {"allow_blank": False}}


class ClientSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=TEXT_MAX_LENGTH,
        help_text="Why `expiration_date` changes (ADMIN only; required with a new `expiration_date`). "
        "Kept in the client's membership ledger as a CORRECTION.",
    )
    # Reads the effective status (INACTIVE once lapsed, ON_HOLD on a hold's days), not the nightly column;
    # a write sets the stored column (e.g. INACTIVE for a member who left).
    status = serializers.ChoiceField(choices=ClientStatus.choices, source="current_status", required=False)
    user_id = serializers.PrimaryKeyRelatedField(
        source="user",
        queryset=User.objects.filter(role=Role.USER, deleted_at__isnull=True),
        help_text="The client's account: an active user of role USER without a client profile.",
    )
    membership_id = serializers.PrimaryKeyRelatedField(
        source="membership", queryset=Membership.objects.all(), required=False, help_text="Default: membership 1."
    )
    trainer_id = serializers.PrimaryKeyRelatedField(
        source="trainer",
        queryset=User.objects.filter(role=Role.TRAINER, deleted_at__isnull=True),
        required=False,
        allow_null=True,
    )

    class Meta:
        model = Client
        fields = [
            "id",
            "user_id",
            "membership_id",
            "trainer_id",
            "first_name",
            "last_name",
            "phone_number",
            "gender",
            "date_of_birth",
            "weight_kg",
            "height_cm",
            "status",
            "expiration_date",
            "reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {
            "gender": {"allow_blank": False},
            "weight_kg": {"min_value": Decimal("1"), "max_value": Decimal("500")},
            "height_cm": {"min_value": Decimal("30"), "max_value": Decimal("300")},
        }

    def validate_user_id(self, user: User) -> User:
        if self.instance is not None and user != self.instance.user:
            raise serializers.ValidationError(_("A client profile cannot move to another user."))
        return user

    @staticmethod
    def model_fields(validated_data: dict) -> dict:
        """validated_data with model column names (`status` is read from `current_status`)."""
        data = dict(validated_data)
        if "current_status" in data:
            data["status"] = data.pop("current_status")
        return data


class PaymentSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    staff_id = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Who took the money at the desk; null for provider payments."
    )
    client_id = serializers.PrimaryKeyRelatedField(source="client", queryset=Client.objects.all())
    membership_id = serializers.PrimaryKeyRelatedField(
        source="membership",
        queryset=Membership.objects.all(),
        required=False,
        help_text="The membership paid for; default: the client's current membership.",
    )

    class Meta:
        model = Payment
        fields = [
            "id",
            "client_id",
            "membership_id",
            "amount",
            "status",
            "method",
            "receipt_number",
            "staff_id",
            "provider_reference",
            "pay_url",
            "created_at",
            "updated_at",
            "paid_at",
            "refunded_at",
            "refund_reason",
        ]
        # The price, the state and the provider's data come from the server, never from the caller.
        read_only_fields = [
            "id",
            "amount",
            "status",
            "method",
            "receipt_number",
            "staff_id",
            "provider_reference",
            "pay_url",
            "created_at",
            "updated_at",
            "paid_at",
            "refunded_at",
            "refund_reason",
        ]


class SaleSerializer(StrictFieldsMixin, serializers.Serializer):
    membership_id = serializers.PrimaryKeyRelatedField(source="membership", queryset=Membership.objects.all())
    months = serializers.IntegerField(min_value=1, max_value=SALE_MAX_MONTHS)
    method = serializers.ChoiceField(choices=[(method.value, method.label) for method in DESK_PAYMENT_METHODS])
    amount = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        help_text="Default: the membership's price × months. 0 for a free plan.",
    )


class SaleClientSerializer(serializers.ModelSerializer):
    membership_id = serializers.IntegerField(read_only=True)
    status = serializers.CharField(source="current_status", read_only=True)

    class Meta:
        model = Client
        fields = ["id", "membership_id", "expiration_date", "status"]
        read_only_fields = fields


class SaleResultSerializer(serializers.Serializer):
    payment = PaymentSerializer()
    client = SaleClientSerializer()


class MembershipEventSerializer(serializers.ModelSerializer):
    client_id = serializers.IntegerField(read_only=True)
    payment_id = serializers.IntegerField(read_only=True, allow_null=True)
    hold_id = serializers.IntegerField(read_only=True, allow_null=True)
    staff_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = MembershipEvent
        fields = [
            "id",
            "client_id",
            "kind",
            "expiration_before",
            "expiration_after",
            "payment_id",
            "hold_id",
            "staff_id",
            "reason",
            "created_at",
        ]
        read_only_fields = fields


class RefundSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=TEXT_MAX_LENGTH, help_text="Why the money is given back (required).")


class HoldSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    client_id = serializers.IntegerField(read_only=True)
    staff_id = serializers.IntegerField(read_only=True, allow_null=True)
    days = serializers.IntegerField(read_only=True, help_text="Days of the hold, both ends included.")
    reason = serializers.CharField(max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True)

    class Meta:
        model = MembershipHold
        fields = ["id", "client_id", "starts_on", "ends_on", "days", "reason", "staff_id", "created_at", "cancelled_at"]
        read_only_fields = ["id", "client_id", "days", "staff_id", "created_at", "cancelled_at"]


class TakingsQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="The day to cash up (YYYY-MM-DD); default today.")


class MethodTakingsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=12, decimal_places=2)


class StaffTakingsSerializer(MethodTakingsSerializer):
    staff_id = serializers.IntegerField(allow_null=True, help_text="null: provider payments.")


class TakingsSerializer(serializers.Serializer):
    date = serializers.DateField(source="date_from")
    currency = serializers.CharField()
    count = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    by_method = serializers.DictField(child=MethodTakingsSerializer(), help_text="CASH, CARD, TRANSFER, PROVIDER.")
    by_staff = StaffTakingsSerializer(many=True)
    refunds = MethodTakingsSerializer()


# GET /api/me/: the caller's account and, for a club member, its client profile. The composition of
# the two apps is club's (accounts sits below club and does not know client profiles).
class ClientProfileSerializer(serializers.ModelSerializer):
    membership_id = serializers.IntegerField(read_only=True)
    trainer_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Client
        fields = [
            "id",
            "membership_id",
            "first_name",
            "last_name",
            "phone_number",
            "gender",
            "date_of_birth",
            "weight_kg",
            "height_cm",
            "status",
            "expiration_date",
            "trainer_id",
        ]
        read_only_fields = fields


class MeSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    client = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "email", "role", "telegram_id", "created_at", "last_login", "client"]
        read_only_fields = fields

    @extend_schema_field(ClientProfileSerializer(allow_null=True))
    def get_client(self, user: User) -> dict | None:
        client = getattr(user, "client", None)
        return ClientProfileSerializer(client).data if client is not None else None
