import json
import os
import subprocess
import sys
import textwrap

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import close_caches
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.signing import widget_fields

pytestmark = pytest.mark.django_db

TOKEN_URL = reverse("token-obtain")
PASSWORD = "correct-horse-battery"
WRONG = "wrong-password"


@pytest.fixture
def rates(settings):
    def set_rates(**overrides: str) -> None:
        current = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**current, **overrides},
        }

    return set_rates


def attempt(username: str, password: str = WRONG, **extra):
    return APIClient().post(TOKEN_URL, {"username": username, "password": password}, **extra)


def test_guessing_one_users_password_is_throttled_with_retry_after(rates, client_user):
    rates(auth_username="3/min")
    assert [attempt("anna").status_code for _ in range(3)] == [401, 401, 401]

    throttled = attempt("anna", PASSWORD)

    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert "access" not in throttled.json()
    assert attempt("boris").status_code == 401  # other accounts are not locked by it


def test_the_username_limit_ignores_case_and_surrounding_spaces(rates, client_user):
    rates(auth_username="2/min")
    attempt("anna")
    attempt(" ANNA ")

    assert attempt("Anna").status_code == 429


def test_one_ip_trying_many_usernames_is_throttled(rates, client_user):
    rates(auth_ip="3/min")
    for name in ("a", "b", "c"):
        assert attempt(name).status_code == 401

    assert attempt("d").status_code == 429


def test_a_forged_x_forwarded_for_does_not_dodge_the_ip_limit(rates, client_user):
    rates(auth_ip="2/min")
    attempt("a", HTTP_X_FORWARDED_FOR="10.0.0.1")
    attempt("b", HTTP_X_FORWARDED_FOR="10.0.0.2")

    assert attempt("c", HTTP_X_FORWARDED_FOR="10.0.0.3").status_code == 429


@pytest.mark.parametrize(
    ("url_name", "body"),
    [
        ("token-refresh", {"refresh": "x"}),
        ("token-verify", {"token": "x"}),
        ("auth-logout", {"refresh": "x"}),
        ("telegram-login", widget_fields(1)),
        ("telegram-webapp", {"init_data": "x"}),
        ("telegram-confirm", {"verification_id": "x"}),
    ],
)
def test_every_auth_endpoint_is_throttled(rates, url_name, body):
    rates(auth_ip="1/min", auth_confirm="1/min")
    APIClient().post(reverse(url_name), body, format="json")

    response = APIClient().post(reverse(url_name), body, format="json")

    assert response.status_code == 429
    assert "Retry-After" in response


@pytest.mark.redis
def test_throttle_counters_live_in_redis_and_outlast_a_new_connection(rates, settings, client_user):
    rates(auth_username="2/min")
    attempt("anna")
    attempt("anna")
    # What another server process would see: a brand-new connection to the same cache.
    close_caches()

    assert attempt("anna").status_code == 429
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        assert client.keys(f"{prefix}:*throttle_auth_username_*")
    finally:
        client.close()


@pytest.mark.redis
@pytest.mark.slow
def test_attempts_counted_by_another_server_process_count_here_too(rates, settings, client_user):
    rates(auth_username="2/min")
    # Another process of the deployment: its own interpreter, Django and Redis connection, the same cache.
    other_process = textwrap.dedent(
        f"""
        import django
        django.setup()
        from django.test import RequestFactory, override_settings
        from accounts.throttles import UsernameThrottle
        with override_settings(CACHES={settings.CACHES!r}, REST_FRAMEWORK={settings.REST_FRAMEWORK!r}):
            request = RequestFactory().post("/api/auth/token/", {{"username": "anna"}})
            print([UsernameThrottle().allow_request(request, None) for _ in range(2)])
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", other_process],
        cwd=django_settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(result.stdout.strip().lower()) == [True, True]

    throttled = attempt("anna", PASSWORD)

    assert throttled.status_code == 429
    assert "Retry-After" in throttled


def test_without_its_cache_sign_in_is_refused_with_503_not_500(settings, client_user, client):
    # Nothing listens on port 1: what the throttle sees when Redis is down.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }

    api = attempt("anna", PASSWORD)
    browser = client.post(reverse("login"), {"username": "anna", "password": PASSWORD})

    assert api.status_code == 503
    assert "temporarily unavailable" in api.json()["detail"]
    assert browser.status_code == 503
