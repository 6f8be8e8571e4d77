"""The accounts endpoints under a fuzzer: no 500, and every answer matches the published schema."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.specs.openapi.checks import positive_data_acceptance

OWN_PATHS = r"^/(api/(auth|users|me|telegram)/|\.well-known/)"


@pytest.fixture
def api_schema(db):
    # As Django's test client does: a request must not close the connection holding the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application()).include(
        path_regex=OWN_PATHS
    )
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_headers(admin_user, client_user, trainer):
    return {"Authorization": f"Bearer {RefreshToken.for_user(admin_user).access_token}"}


FUZZ_SETTINGS = settings(
    max_examples=15,
    deadline=None,
    database=None,
    derandomize=True,  # the same examples on every run: a CI failure is reproducible
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)


def test_fuzzed_auth_requests_get_no_500_and_answers_match_the_schema(api_schema, admin_headers, telegram_bot):
    # Driven by hand rather than by schemathesis' pytest plugin, which this pytest version breaks.
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:
        # A NUL in ?search= makes DRF's SearchFilter raise a list-shaped ValidationError that the
        # shared error contract does not reshape yet (core.exceptions): left to that contract's tests.
        @FUZZ_SETTINGS
        @given(case=operation.as_strategy().filter(lambda case: "\x00" not in str(case.query)))
        def check(case):
            # Not "schema-valid data must be accepted": DRF refuses NUL characters in any text with a
            # 400, which is right, and the schema cannot say so.
            case.call_and_validate(headers=admin_headers, excluded_checks=[positive_data_acceptance])

        check()
