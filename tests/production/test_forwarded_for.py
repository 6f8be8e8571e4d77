"""Who may name the client in X-Forwarded-For: the Procfile's web-http (gunicorn) under the production settings.

The per-address login throttle keys on REMOTE_ADDR, which core/proxy.py rewrites from X-Forwarded-For only
for peers listed in FORWARDED_ALLOW_IPS (docs/deployment.md). Each test starts one web process of its
own (no worker, beat or consumer) with an IP limit of 5 sign-in attempts a minute, and sends from
loopback, where a proxy on the same host would be.
"""

import httpx
import pytest
import redis
from django.conf import settings

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

IP_LIMIT = 5


def forget_auth_throttles() -> None:
    """Empties the sign-in buckets (the cache's "club" prefix is the production settings' own): other
    tests of the topology sign in from loopback too."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    if keys := list(client.scan_iter("club:*throttle_auth_*")):
        client.delete(*keys)
    client.close()


@pytest.fixture
def start_throttled_web(start_web):
    def start(**extra_env: str):
        return start_web(AUTH_THROTTLE_IP_RATE=f"{IP_LIMIT}/min", AUTH_THROTTLE_USERNAME_RATE="1000/min", **extra_env)

    forget_auth_throttles()
    yield start
    forget_auth_throttles()


def sign_in(web, number: int, forwarded_for: str) -> int:
    response = httpx.post(
        f"{web.url}/api/auth/token/",
        json={"username": f"nobody-{number}", "password": "wrong-password"},
        headers={"X-Forwarded-For": forwarded_for},
        timeout=10,
    )
    return response.status_code


def test_forged_forwarded_addresses_from_loopback_share_one_throttle_bucket(start_throttled_web):
    web = start_throttled_web()  # FORWARDED_ALLOW_IPS unset: no proxy is believed, not even one on loopback
    statuses = [sign_in(web, n, f"203.0.113.{n}") for n in range(IP_LIMIT + 3)]
    assert statuses[:IP_LIMIT] == [401] * IP_LIMIT
    assert statuses[IP_LIMIT:] == [429] * 3


def test_behind_a_trusted_proxy_each_client_has_its_own_bucket_and_cannot_forge_another(start_throttled_web):
    web = start_throttled_web(FORWARDED_ALLOW_IPS="127.0.0.1")  # a reverse proxy on the same host
    # The proxy appends the address it saw to whatever the client sent: the client's own entries,
    # left of it, are not believed.
    statuses = [sign_in(web, n, f"198.51.100.{n}, 203.0.113.7") for n in range(IP_LIMIT + 2)]
    assert statuses[:IP_LIMIT] == [401] * IP_LIMIT
    assert statuses[IP_LIMIT:] == [429] * 2
    # Another client of the proxy is not held back by the first one.
    assert sign_in(web, 99, "203.0.113.8") == 401
