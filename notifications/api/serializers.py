from rest_framework import serializers

from notifications.models import NotificationKind


class NotificationPreferencesSerializer(serializers.Serializer):
    """`{kind: true|false}`, true meaning "will be sent": the schema of GET and PATCH.

    The body of a PATCH is checked by notifications.services.notification_preferences_set, not here:
    DRF's BooleanField takes "yes" and 1 for true and drops unknown keys, where the contract wants a
    400 for both (and the member's page refuses the same input through the same service).
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            kind: serializers.BooleanField(required=False, help_text=str(label))
            for kind, label in NotificationKind.choices
        }
