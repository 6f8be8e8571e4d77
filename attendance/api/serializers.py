from django.utils.translation import gettext
from rest_framework import serializers

from attendance.models import Visit, VisitResult
from club.models import Client
from core.serializers import StrictFieldsMixin


class MemberCardSerializer(serializers.Serializer):
    qr_payload = serializers.CharField(help_text="Signed, short-lived: show it as a QR code at the desk.")
    expires_at = serializers.DateTimeField()


class PrintedCardSerializer(serializers.Serializer):
    client_id = serializers.IntegerField()
    qr_payload = serializers.CharField(help_text="Signed and long-lived until the card is reissued.")
    issued_at = serializers.DateTimeField()


class CheckInRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    qr_payload = serializers.CharField(required=False, max_length=500, help_text="What the scanner read.")
    client_id = serializers.IntegerField(required=False, min_value=1, help_text="A member picked at the desk.")

    def validate(self, attrs):
        if ("qr_payload" in attrs) == ("client_id" in attrs):
            raise serializers.ValidationError(
                gettext("Send either qr_payload (a scanned card) or client_id, not both.")
            )
        return attrs


class CheckInClientSerializer(serializers.ModelSerializer):
    status = serializers.CharField(source="effective_status")
    initials = serializers.SerializerMethodField()

    class Meta:
        model = Client
        fields = ["id", "first_name", "last_name", "initials", "status", "expiration_date", "membership_id"]

    def get_initials(self, client: Client) -> str:
        return f"{client.first_name[:1]}{client.last_name[:1]}".upper()


class CheckInResultSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=VisitResult.choices, source="visit.result")
    reason = serializers.CharField(source="visit.reason", allow_null=True)
    message = serializers.CharField()
    client = CheckInClientSerializer()
    visit_id = serializers.IntegerField(source="visit.id")
    checked_in_at = serializers.DateTimeField(source="visit.checked_in_at")
    repeat = serializers.BooleanField()


class VisitSerializer(serializers.ModelSerializer):
    client_id = serializers.IntegerField(read_only=True)
    staff_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Visit
        fields = ["id", "client_id", "checked_in_at", "result", "reason", "method", "staff_id"]
        read_only_fields = fields
