"""HTTP answers of the auth flows that the shared error contract (core.exceptions) has no name for."""

from rest_framework import status
from rest_framework.exceptions import APIException


class Gone(APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "This request has expired or was already used."
    default_code = "gone"


class Denied(APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = "Denied."
    default_code = "denied"


class TelegramDisabled(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Telegram sign-in is not configured on this server (TELEGRAM_BOT_TOKEN is unset)."
    default_code = "telegram_disabled"


class SignInUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Sign-in is temporarily unavailable; try again in a minute."
    default_code = "sign_in_unavailable"
