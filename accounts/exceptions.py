"""The accounts app's errors.

Services raise domain errors (core.exceptions maps them to HTTP: `Expired` 410, `Unavailable` 503, `Denied`
403 as Django's PermissionDenied); `SignInUnavailable` is the throttles' own DRF answer, raised outside services.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext, gettext_lazy
from rest_framework import status
from rest_framework.exceptions import APIException

from core.exceptions import ApplicationError, Unavailable


class Denied(PermissionDenied):
    """The linked Telegram account denied the request, or the proof offered is wrong (answered 403)."""


class NotConfirmedYet(ApplicationError):
    """A login or a change still waits for the Confirm button in the bot (answered 409: poll again)."""


class TelegramDisabled(Unavailable):
    def __init__(self) -> None:
        super().__init__(gettext("Telegram sign-in is not configured on this server (TELEGRAM_BOT_TOKEN is unset)."))


class SignInUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = gettext_lazy("Sign-in is temporarily unavailable; try again in a minute.")
    default_code = "sign_in_unavailable"
