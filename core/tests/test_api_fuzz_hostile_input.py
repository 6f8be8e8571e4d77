"""Every operation of the published API, fuzzed with input the server must refuse rather than crash on.

schemathesis builds a request per operation from the OpenAPI schema; hypothesis then plants one
hostile piece in it, as raw JSON text (a JSON library would refuse to write it): a lone surrogate
escape as a value or as a key, or nesting far past the parser's limit; operations without a body
get the bytes of a lone surrogate in their path and query parameters. No answer may be a 5xx.
The per-endpoint expectations (400 and its body, 413, the log level) are in test_malformed_json.py.
"""

import json
import uuid
from urllib.parse import quote

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.config import SchemathesisConfig
from schemathesis.core import NOT_SET

from accounts.tests.signing import BOT_TOKEN, BOT_USERNAME, WEBHOOK_SECRET
from core.json_input import MAX_DEPTH

pytestmark = pytest.mark.django_db

# The whole API as clients see it, loaded once through the app itself.
SCHEMA = schemathesis.openapi.from_wsgi(
    "/api/schema/?format=json",
    get_wsgi_application(),
    config=SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}}),
)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]

FUZZ_SETTINGS = settings(
    max_examples=4,
    deadline=None,
    database=None,
    derandomize=True,  # the same examples on every run: a CI failure is reproducible
    suppress_health_check=list(HealthCheck),
)
MARKER = "__hostile__"
# The UTF-8-style bytes of U+D800..U+DFFF, as a client can put them in a URL (CESU-8).
SURROGATE_BYTES = st.integers(0xD800, 0xDFFF).map(lambda n: quote(chr(n).encode("utf-8", "surrogatepass")))


@st.composite
def surrogate_string(draw) -> str:
    """A JSON string literal holding a lone surrogate escape, with ordinary text around it."""
    around = st.text(max_size=5).map(lambda text: json.dumps(text)[1:-1])
    return f'"{draw(around)}\\u{draw(st.integers(0xD800, 0xDFFF)):04x}{draw(around)}"'


@st.composite
def deep_json(draw) -> str:
    depth = draw(st.integers(MAX_DEPTH + 1, 10_000))
    if draw(st.booleans()):
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


HOSTILE_VALUE = st.one_of(surrogate_string(), deep_json())


@st.composite
def hostile_body(draw, body) -> str:
    """The generated body as raw JSON with one hostile piece planted in it."""
    if not isinstance(body, dict):
        return draw(HOSTILE_VALUE)
    if draw(st.booleans()):  # as a key
        return json.dumps({**body, MARKER: 1}).replace(f'"{MARKER}"', draw(surrogate_string()), 1)
    key = draw(st.sampled_from([*body, "extra"]))
    return json.dumps({**body, key: MARKER}).replace(f'"{MARKER}"', draw(HOSTILE_VALUE), 1)


def url_with_hostile_parameters(case, draw) -> str:
    path = case.path
    for name in case.path_parameters or {}:
        path = path.replace(f"{{{name}}}", draw(SURROGATE_BYTES))
    query = "&".join(f"{quote(str(name))}={draw(SURROGATE_BYTES)}" for name in case.query or {})
    return f"{path}?{query}" if query else path


@pytest.fixture
def admin_api(settings, admin_user):
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"fuzz-{uuid.uuid4().hex}"}}
    # Telegram configured, so its endpoints read their bodies; the Bot API address answers nothing.
    settings.TELEGRAM_BOT_TOKEN = BOT_TOKEN
    settings.TELEGRAM_BOT_USERNAME = BOT_USERNAME
    settings.TELEGRAM_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.TELEGRAM_API_BASE = "http://127.0.0.1:9"
    api = APIClient()  # raises the server's exception, if any: the failure shows the bug itself
    api.credentials(
        HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(admin_user).access_token}",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=WEBHOOK_SECRET,
    )
    return api


def test_the_fuzzer_sees_every_operation_of_the_api():
    paths = {operation.path for operation in OPERATIONS}

    assert len(OPERATIONS) >= 60
    assert {"/api/auth/token/", "/api/auth/telegram/", "/api/users/", "/workout/finish"} <= paths


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: f"{operation.method.upper()} {operation.path}")
def test_hostile_json_and_parameters_never_get_a_server_error(admin_api, url_of, operation):
    has_body = operation.body is not None and len(operation.body) > 0

    @FUZZ_SETTINGS
    @given(case=operation.as_strategy(), data=st.data())
    def check(case, data):
        if has_body:
            body = None if case.body is NOT_SET else case.body
            # Real ids in the path: an update reads its body only once it found the row.
            raw = data.draw(hostile_body(body))
            response = admin_api.generic(case.method, url_of(case.path), raw, content_type="application/json")
        else:
            response = admin_api.generic(case.method, url_with_hostile_parameters(case, data.draw))
        assert response.status_code < 500, (response.status_code, response.content[:300])

    check()
