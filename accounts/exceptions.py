"""HTTP answers of the auth flows that the shared error contract (core.exceptions) has no name for."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException


class Gone(APIException):
    status_code = status.HTTP_410_GONE
    default_detail = _("This request has expired or was already used.")
    default_code = "gone"


class Denied(APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = _("Denied.")
    default_code = "denied"


class TelegramDisabled(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("Telegram sign-in is not configured on this server (TELEGRAM_BOT_TOKEN is unset).")
    default_code = "telegram_disabled"


class SignInUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("Sign-in is temporarily unavailable; try again in a minute.")
    default_code = "sign_in_unavailable"
