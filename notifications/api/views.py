from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.parsers import JSONParser
from notifications import services
from notifications.api.serializers import NotificationPreferencesSerializer

TWO_KINDS_OFF = {
    "MEMBERSHIP_EXPIRING": True,
    "MEMBERSHIP_LAPSED": True,
    "CLASS_REMINDER": False,
    "WAITLIST_PROMOTED": True,
    "CLASS_CANCELLED": True,
    "RECEIPT": True,
    "WORKOUT_SUMMARY": False,
}


@extend_schema(tags=["notifications"])
class NotificationPreferencesView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Which Telegram notifications the caller gets",
        description="Every kind, `true` when it will be sent, `false` when the caller switched it off "
        "(here, on its Notifications page or with the bot's /stop).",
        responses={200: NotificationPreferencesSerializer},
        examples=[OpenApiExample("Two kinds off", value=TWO_KINDS_OFF, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        return Response(services.notification_preferences_get(user=request.user))

    @extend_schema(
        summary="Switch kinds of notifications on or off",
        description="Send the kinds to change, `true` (send) or `false` (don't); kinds not named keep their "
        "setting. Answers the whole map. An unknown kind or a value that is not a JSON boolean: 400 naming it.",
        request=NotificationPreferencesSerializer,
        responses={200: NotificationPreferencesSerializer},
        examples=[
            OpenApiExample("No class reminders", value={"CLASS_REMINDER": False}, request_only=True),
        ],
    )
    def patch(self, request: Request) -> Response:
        return Response(services.notification_preferences_set(user=request.user, preferences=request.data))
