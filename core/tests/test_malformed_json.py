"""JSON the server will not process — lone surrogates, deep nesting, oversized bodies — is a 4xx in the
error contract's shape on every endpoint that takes a body, logged as a warning, never a 500."""

import json
import logging
import re
import uuid

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.signing import BOT_TOKEN, BOT_USERNAME, WEBHOOK_SECRET
from core.json_input import MAX_DEPTH

pytestmark = pytest.mark.django_db

DEEP = "[" * 10_000 + "]" * 10_000  # 20 KB
SURROGATE_MESSAGE = "JSON parse error - a string holds a lone surrogate (U+D800); text must be valid Unicode."
DEEP_MESSAGE = f"JSON parse error - nested deeper than {MAX_DEPTH} levels."


def operations_with_a_body() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if "requestBody" in operation
    ]


@pytest.fixture(autouse=True)
def hostile_setup(settings):
    # Throttle counters of this test's own; Telegram configured (its endpoints parse bodies only
    # then), with a Bot API address that answers nothing: no request here may reach it.
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"json-{uuid.uuid4().hex}"}}
    settings.TELEGRAM_BOT_TOKEN = BOT_TOKEN
    settings.TELEGRAM_BOT_USERNAME = BOT_USERNAME
    settings.TELEGRAM_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.TELEGRAM_API_BASE = "http://127.0.0.1:9"


@pytest.fixture
def admin_api(admin_user):
    api = APIClient(raise_request_exception=False)
    api.credentials(
        HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(admin_user).access_token}",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=WEBHOOK_SECRET,
    )
    return api


def post_raw(api: APIClient, method: str, url: str, body: str | bytes):
    return api.generic(method, url, body, content_type="application/json")


@pytest.mark.parametrize(("method", "path"), operations_with_a_body())
def test_json_nested_10000_deep_is_a_400_on_every_operation_with_a_body(admin_api, url_of, method, path, caplog):
    with caplog.at_level(logging.INFO):
        response = post_raw(admin_api, method, url_of(path), DEEP)

    assert (response.status_code, response.json()) == (400, {"detail": DEEP_MESSAGE})
    assert [(r.levelname, r.exc_info) for r in caplog.records if r.levelno >= logging.WARNING] == [("WARNING", None)]


@pytest.mark.parametrize(("method", "path"), operations_with_a_body())
def test_a_lone_surrogate_as_a_key_or_a_value_is_a_400_on_every_operation_with_a_body(admin_api, url_of, method, path):
    url = url_of(path)

    as_key = post_raw(admin_api, method, url, '{"\\ud800": 1}')
    as_value = post_raw(admin_api, method, url, '{"username": "\\ud800", "init_data": "\\ud800", "title": "\\ud800"}')

    assert (as_key.status_code, as_key.json()) == (400, {"detail": SURROGATE_MESSAGE})
    assert (as_value.status_code, as_value.json()) == (400, {"detail": SURROGATE_MESSAGE})


@pytest.mark.parametrize(
    ("url", "body"),
    [
        # The throttle keys its counter on the username: encoding it raised before any check.
        ("/api/auth/token/", {"username": "\ud800", "password": "x"}),
        ("/api/auth/token/", {"username": "anna", "password": "\udfff"}),
        # A choice field's error message repeats the value.
        ("/api/users/", {"username": "x", "email": "x@example.com", "password": "Long-passphrase-9", "role": "\ud800"}),
        ("/api/auth/telegram/", {"id": 1, "first_name": "\ud800", "auth_date": 1, "hash": "0" * 64}),
        ("/api/auth/telegram/", {"id": "\ud800", "auth_date": 1, "hash": "0" * 64}),
        ("/api/auth/telegram/webapp/", {"init_data": "\ud800"}),
        ("/api/clients/", {"first_name": "A", "nested": {"list": ["ok", {"\ud800": 1}]}}),
    ],
)
def test_a_lone_surrogate_anywhere_is_a_400_logged_as_a_warning(admin_api, client_user, url, body, caplog):
    raw = json.dumps(body)  # ensure_ascii: the surrogate travels as the escape "\ud800"
    assert re.search(r"\\ud[89a-f]", raw)

    with caplog.at_level(logging.INFO):
        response = post_raw(admin_api, "POST", url, raw)

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error - a string holds a lone surrogate")
    assert [(r.levelname, r.exc_info) for r in caplog.records if r.levelno >= logging.WARNING] == [("WARNING", None)]


def test_paired_surrogate_escapes_are_a_character_not_an_error(admin_api):
    # "\ud83d\udcaa" is the JSON escape of one emoji (U+1F4AA): valid, and kept.
    response = post_raw(admin_api, "POST", "/api/exercises/", '{"title": "Push-ups \\ud83d\\udcaa"}')

    assert response.status_code == 201
    assert response.json()["title"] == "Push-ups \U0001f4aa"


def test_nesting_up_to_the_limit_still_reaches_the_serializer(admin_api):
    nested = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)

    response = post_raw(admin_api, "POST", "/api/exercises/", '{"title": ' + nested + "}")

    assert response.status_code == 400
    assert "title" in response.json()  # a field error: the body itself was accepted


@pytest.mark.parametrize("url", ["/api/clients/", "/api/auth/token/", "/workout/finish", "/api/users/"])
def test_a_body_over_the_upload_limit_is_a_json_413_logged_as_a_warning(admin_api, settings, url, caplog):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"username": "x" * 2000})

    with caplog.at_level(logging.INFO):
        response = post_raw(admin_api, "POST", url, body)

    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large: the limit is 1000 bytes."}
    assert [(r.levelname, r.exc_info) for r in caplog.records if r.levelno >= logging.WARNING] == [("WARNING", None)]
