from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import telegram_webhook_secret_ok
from bot.commands import telegram_update_dispatch


class WebhookAckSerializer(serializers.Serializer):
    ok = serializers.BooleanField(read_only=True)


class TelegramWebhookView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        tags=["telegram"],
        summary="Telegram bot updates",
        description="Called by Telegram only: the `X-Telegram-Bot-Api-Secret-Token` header must match. "
        "Sign-in confirmations, account links and the bot's commands (docs/telegram.md).",
        request={"application/json": {"type": "object", "additionalProperties": True}},
        responses={200: WebhookAckSerializer},
    )
    def post(self, request: Request) -> Response:
        if not telegram_webhook_secret_ok(request.headers.get("X-Telegram-Bot-Api-Secret-Token")):
            raise PermissionDenied("Wrong or missing webhook secret.")
        if isinstance(request.data, dict):
            # Telegram calls the site's public address: links in the answers point there.
            telegram_update_dispatch(update=request.data, site_url=request.build_absolute_uri("/"))
        # Telegram re-sends an update until it gets a 2xx: anything we cannot act on is acknowledged too.
        return Response({"ok": True})
