from collections.abc import Mapping

from django.utils.translation import gettext as _
from rest_framework import serializers

from accounts.models import User
from core.serializers import StrictFieldsMixin


class PasswordLoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=128, write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(read_only=True)
    refresh = serializers.CharField(read_only=True)


class PendingLoginSerializer(serializers.Serializer):
    verification_required = serializers.BooleanField(read_only=True, default=True)
    verification_id = serializers.CharField(read_only=True)
    telegram_link = serializers.URLField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=4096)


class TokenClaimsSerializer(serializers.Serializer):
    token_type = serializers.ChoiceField(choices=["access", "refresh"], read_only=True)
    user_id = serializers.CharField(read_only=True)
    exp = serializers.IntegerField(read_only=True, help_text="Expiry, Unix seconds.")


class TelegramWidgetSerializer(serializers.Serializer):
    """The fields Telegram's Login Widget hands to the page, passed on unchanged.

    Every received field takes part in the signature, so the validated data is the body as sent
    (each value as text), not a fixed set of fields; a missing field is a 401 of the signature check.
    """

    def validate(self, attrs: dict) -> dict[str, str]:
        raw = self.initial_data
        if not isinstance(raw, Mapping):
            raise serializers.ValidationError(_("Send the Telegram Login Widget fields as a JSON object."))
        wrong = {
            str(name): [_("Must be a string or an integer.")]
            for name, value in raw.items()
            if isinstance(value, bool) or not isinstance(value, (str, int))
        }
        if wrong:
            raise serializers.ValidationError(wrong)
        return {str(name): str(value) for name, value in raw.items()}


_SCALAR = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
# The request body as OpenAPI sees it: Telegram may add fields, and every one is signed.
TELEGRAM_WIDGET_BODY = {
    "application/json": {
        "type": "object",
        "description": "The Login Widget's `user` object, unchanged.",
        "properties": {
            "id": {"type": "integer"},
            "first_name": {"type": "string"},
            "last_name": {"type": "string"},
            "username": {"type": "string"},
            "photo_url": {"type": "string"},
            "auth_date": {"type": "integer", "description": "Unix seconds."},
            "hash": {"type": "string", "description": "Hex HMAC-SHA256 computed by Telegram."},
        },
        "required": ["id", "auth_date", "hash"],
        "additionalProperties": _SCALAR,
    }
}
# POST /api/auth/telegram/link/ takes the widget fields plus, to replace a linked account, a proof.
TELEGRAM_LINK_BODY = {
    "application/json": {
        **{key: value for key, value in TELEGRAM_WIDGET_BODY["application/json"].items() if key != "required"},
        "description": (
            "The Login Widget's `user` object, unchanged; with `password` or `confirm_with` when another "
            "Telegram account is linked now. Or only `verification_id`, to finish a confirmed replacement. "
            "Or no body, for a bot link."
        ),
        "properties": {
            **TELEGRAM_WIDGET_BODY["application/json"]["properties"],
            "password": {"type": "string", "writeOnly": True},
            "confirm_with": {"type": "string", "enum": ["telegram"]},
            "verification_id": {"type": "string"},
        },
    }
}


class TelegramWebAppSerializer(serializers.Serializer):
    init_data = serializers.CharField(max_length=8192, help_text="`Telegram.WebApp.initData`, the raw query string.")


class VerificationSerializer(serializers.Serializer):
    verification_id = serializers.CharField(max_length=128)


class TelegramProofSerializer(serializers.Serializer):
    """The fresh proof that unlinking or replacing the linked Telegram account needs: one of three."""

    password = serializers.CharField(
        required=False, max_length=128, write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )
    confirm_with = serializers.ChoiceField(
        choices=["telegram"], required=False, help_text="Ask the linked Telegram account to confirm (answers 202)."
    )
    verification_id = serializers.CharField(
        required=False, max_length=128, help_text="Finish a change the linked Telegram account confirmed."
    )

    def validate(self, attrs: dict) -> dict:
        if len(attrs) > 1:
            raise serializers.ValidationError(_("Send one of password, confirm_with or verification_id."))
        return attrs


# Keys of the link request that are ours, not Telegram's: they take no part in the widget signature.
PROOF_FIELDS = tuple(TelegramProofSerializer().fields)


class TelegramLinkedSerializer(serializers.Serializer):
    telegram_id = serializers.IntegerField(read_only=True)


class LinkInvitationSerializer(serializers.Serializer):
    telegram_link = serializers.URLField(read_only=True, help_text="Open it and press Start in the club bot.")
    expires_at = serializers.DateTimeField(read_only=True)


class JwkSerializer(serializers.Serializer):
    kty = serializers.CharField()
    kid = serializers.CharField()
    use = serializers.CharField()
    alg = serializers.CharField()
    n = serializers.CharField()
    e = serializers.CharField()


class JwksSerializer(serializers.Serializer):
    keys = JwkSerializer(many=True)


class UserSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """Any other key (`is_superuser`, `is_staff`, a typo) or a read-only one is a 400 naming it."""

    read_only_reasons = {
        "telegram_id": "Read-only: a user links Telegram themself (/api/auth/telegram/link/).",
    }
    password = serializers.CharField(
        write_only=True, max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )

    class Meta:
        model = User
        fields = ["id", "username", "email", "role", "password", "telegram_id", "created_at", "last_login"]
        read_only_fields = ["telegram_id", "created_at", "last_login"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A new account needs a password; an edit may leave it unchanged.
        self.fields["password"].required = self.instance is None
