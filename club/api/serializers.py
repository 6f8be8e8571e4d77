from decimal import Decimal

from rest_framework import serializers

from accounts.models import Role, User
from club.models import Client, Membership, Payment
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
            raise serializers.ValidationError("A client profile cannot move to another user.")
        return user


class PaymentSerializer(StrictFieldsMixin, serializers.ModelSerializer):
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
            "provider_reference",
            "pay_url",
            "created_at",
            "updated_at",
            "paid_at",
        ]
        # The price, the state and the provider's data come from the server, never from the caller.
        read_only_fields = [
            "id",
            "amount",
            "status",
            "provider_reference",
            "pay_url",
            "created_at",
            "updated_at",
            "paid_at",
        ]
