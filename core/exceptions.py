"""The API's one error contract, for every app.

- 400 `{"<field>": ["message", ...], "non_field_errors": [...]}`: bad input — serializer errors, a Django
  `ValidationError` from a service or `full_clean`, a CHECK / NOT NULL / too-long value the database refused.
- 400 `{"detail": "JSON parse error - …"}`: a body that is not JSON the API accepts (malformed, a lone
  surrogate, nested too deep: core/parsers.py), or too many form fields.
- 413 `{"detail": "message"}`: a body over DATA_UPLOAD_MAX_MEMORY_SIZE.
- 401, 403, 404, 429 `{"detail": "message"}`: DRF's authentication, permission, not-found, throttling errors, and
  the domain's `InvalidCredentials` (401), Django's `PermissionDenied` (403), `ObjectNotFound` (404).
- 410 `{"detail": "message"}`: `Expired`, a one-time request that expired or was used already.
- 503 `{"detail": "message"}`: `Unavailable`, a feature this server cannot offer now (not configured, or down).
- 429 `{"detail": "message", "extra": {...}}` with `Retry-After`: a per-user quota of a service (`QuotaExceeded`).
- 409 `{"detail": "message", "extra": {...}}`: a domain rule refused a state change (`ApplicationError`), a
  delete that other rows still reference (`ProtectedError`), a unique or foreign-key conflict found by the database.

Services raise Django's `ValidationError`, `ApplicationError` (and its subclasses below) and `PermissionDenied`; they
never know about HTTP: `exception_handler` maps each to its status. Anything else still surfaces as a 500: that is a
bug, not input.
"""

import logging
import math
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise  # gettext_lazy's type; the messages may be lazy

logger = logging.getLogger(__name__)

# PostgreSQL SQLSTATEs that mean "the value itself is bad" rather than "it clashes with other rows".
BAD_VALUE_SQLSTATES = {"23502", "23514", "22001", "22003", "22007", "22008", "22P02"}


class ApplicationError(Exception):
    """A domain rule refused the operation (answered 409): the input is well-formed, the state forbids it."""

    def __init__(self, message: "str | StrPromise", extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class QuotaExceeded(ApplicationError):
    """A per-user quota refused the operation (answered 429): the same request succeeds `retry_after` seconds later."""

    def __init__(self, message: "str | StrPromise", *, retry_after: float, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message, extra)
        self.retry_after = max(1, math.ceil(retry_after))


class InvalidCredentials(ApplicationError):
    """The credentials offered (a password, a token, Telegram's signed data) prove no live account (answered 401)."""


class ObjectNotFound(ApplicationError):
    """What the request names does not exist, or not for the caller (answered 404)."""


class Expired(ApplicationError):
    """A one-time request that expired or was completed already: start again (answered 410)."""


class Unavailable(ApplicationError):
    """A feature this server cannot offer now: not configured, or a dependency is down (answered 503)."""


class TooManyRequests(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = _("Too many requests; try again later.")
    default_code = "throttled"

    def __init__(self, detail: "str | StrPromise", *, wait: int) -> None:
        super().__init__(detail)
        self.wait = wait  # DRF's handler sends it as `Retry-After`


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the current state of the data.")
    default_code = "conflict"


class Gone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "This request has expired or was already used."
    default_code = "gone"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Temporarily unavailable; try again later."
    default_code = "service_unavailable"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "payload_too_large"


def _sqlstate(error: Exception) -> str | None:
    return getattr(error.__cause__, "sqlstate", None)


def _field_errors(error: DjangoValidationError) -> dict:
    detail = as_serializer_error(error)
    # Django files errors of the whole row under "__all__"; DRF clients expect "non_field_errors".
    if "__all__" in detail:
        detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop("__all__")
    return detail


# The HTTP answer of each domain error (the first class the error is an instance of); any other
# ApplicationError is a 409.
REFUSALS: tuple[tuple[type[ApplicationError], type[exceptions.APIException]], ...] = (
    (InvalidCredentials, exceptions.AuthenticationFailed),
    (ObjectNotFound, exceptions.NotFound),
    (Expired, Gone),
    (Unavailable, ServiceUnavailable),
)


def _refusal(exc: ApplicationError, context: dict) -> exceptions.APIException:
    if isinstance(exc, QuotaExceeded):
        return TooManyRequests(exc.message, wait=exc.retry_after)
    answer = next((api for domain, api in REFUSALS if isinstance(exc, domain)), Conflict)
    refusal = answer(exc.message)
    if isinstance(refusal, exceptions.AuthenticationFailed):
        # What APIView.handle_exception does for a DRF AuthenticationFailed before calling this handler:
        # a 401 names the view's scheme in WWW-Authenticate; a view without one answers 403.
        view, request = context.get("view"), context.get("request")
        header = view.get_authenticate_header(request) if view is not None and request is not None else None
        if header:
            refusal.auth_header = header  # type: ignore[attr-defined]  # APIView reads it; the stubs omit it
        elif view is not None:
            refusal.status_code = status.HTTP_403_FORBIDDEN
    return refusal


def exception_handler(exc: Exception, context: dict) -> Response | None:
    # Django raises these while DRF reads the body; unhandled, Django logs them as errors with a
    # traceback and answers an HTML page. They are the client's doing: django.request logs the 4xx.
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge(
            gettext("The request body is too large: the limit is %(limit)s bytes.")
            % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
        )
    elif isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        exc = exceptions.ParseError(str(exc))
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_field_errors(exc))
    elif isinstance(exc, (ProtectedError, RestrictedError)):
        exc = Conflict(exc.args[0])
    elif isinstance(exc, DataError) or (isinstance(exc, IntegrityError) and _sqlstate(exc) in BAD_VALUE_SQLSTATES):
        logger.info("database refused a value: %s", exc)
        exc = exceptions.ValidationError(
            {api_settings.NON_FIELD_ERRORS_KEY: [gettext("A value is invalid or out of range.")]}
        )
    elif isinstance(exc, IntegrityError):
        # Validation runs before the write; reaching here means a concurrent request won a race
        # for the same unique value or referenced row.
        logger.info("integrity conflict: %s", exc)
        exc = Conflict(gettext("The request conflicts with another record; reload and try again."))
    elif isinstance(exc, ApplicationError):
        response = drf_exception_handler(_refusal(exc, context), context)
        if response is not None and exc.extra:
            response.data["extra"] = exc.extra
        return response
    # Http404 and PermissionDenied (Django's) are mapped by DRF's own handler.
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError) and isinstance(response.data, list):
        # `raise ValidationError("...")` outside a serializer (a filter backend, a view) gives a bare list;
        # the contract's 400 is always an object.
        response.data = {api_settings.NON_FIELD_ERRORS_KEY: response.data}
    return response


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """`handler404`: a URL no route matches (`/api/clients/abc/`) still answers JSON under `/api/`."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": gettext("Not found.")}, status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """`handler500`: API clients get the contract's JSON shape even for a bug."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": gettext("Server error.")}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    return defaults.server_error(request)


# ---------------------------------------------------------------------------
# OpenAPI: the same contract, declared on every operation
# ---------------------------------------------------------------------------
ERROR_DESCRIPTIONS = {
    "400": "Bad input: messages per field (`non_field_errors` for the whole body).",
    "401": "Missing, invalid or expired credentials.",
    "403": "The caller's role may not do this.",
    "404": "Unknown, or not visible to the caller.",
    "409": "A state conflict: the data as it is forbids the change.",
    "429": "Throttled, or over a per-user quota; retry after `Retry-After` seconds.",
}

# Only where there is a body to be too large.
BODY_ERROR_DESCRIPTIONS = {"413": "The request body is over the size limit (DATA_UPLOAD_MAX_MEMORY_SIZE)."}

ERROR_SCHEMAS = {
    "Error": {
        "type": "object",
        "properties": {
            "detail": {"type": "string"},
            "extra": {"type": "object", "additionalProperties": {}},
        },
        "required": ["detail"],
    },
    "ValidationErrorBody": {
        "type": "object",
        "description": "Field name → list of messages; nested objects and lists for nested fields.",
        "additionalProperties": {},
    },
}


def openapi_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: add the error contract's responses to every operation."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(ERROR_SCHEMAS)
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            descriptions = ERROR_DESCRIPTIONS | (BODY_ERROR_DESCRIPTIONS if "requestBody" in operation else {})
            for code, description in descriptions.items():
                schema = "ValidationErrorBody" if code == "400" else "Error"
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
                    },
                )
    return result
