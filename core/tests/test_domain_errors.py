"""Services raise domain errors; the one exception handler gives each its status and the contract's body."""

import pytest
from django.core.exceptions import PermissionDenied
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts.exceptions import Denied, NotConfirmedYet, TelegramDisabled
from core.exceptions import (
    ApplicationError,
    Expired,
    InvalidCredentials,
    ObjectNotFound,
    Unavailable,
    exception_handler,
)


class BearerView(APIView):
    def get_authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class NoSchemeView(APIView):
    authentication_classes = ()

    def get_authenticate_header(self, request) -> None:
        return None


def _context(view_class: type[APIView]) -> dict:
    request = APIRequestFactory().post("/api/auth/token/")
    return {"view": view_class(), "request": request}


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidCredentials("No active account found with the given credentials."), 401),
        (Denied("This request was denied in Telegram."), 403),
        (PermissionDenied("Only club staff may do this."), 403),
        (ObjectNotFound("Unknown verification_id."), 404),
        (NotConfirmedYet("Not confirmed yet."), 409),
        (ApplicationError("Already linked."), 409),
        (Expired("This request has expired; start again."), 410),
        (Unavailable("The payment provider is down."), 503),
    ],
)
def test_each_domain_error_is_answered_with_its_status_and_message(error, status):
    response = exception_handler(error, _context(BearerView))

    assert (response.status_code, response.data) == (status, {"detail": str(error)})


def test_a_credentials_refusal_names_the_views_scheme_as_drf_does():
    response = exception_handler(InvalidCredentials("Token refused."), _context(BearerView))

    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_credentials_refusal_of_a_view_without_a_scheme_is_a_403_as_drf_does():
    response = exception_handler(InvalidCredentials("Token refused."), _context(NoSchemeView))

    assert (response.status_code, response.data) == (403, {"detail": "Token refused."})


def test_telegram_not_configured_is_a_503_naming_the_setting():
    response = exception_handler(TelegramDisabled(), _context(BearerView))

    assert response.status_code == 503
    assert "TELEGRAM_BOT_TOKEN" in response.data["detail"]
