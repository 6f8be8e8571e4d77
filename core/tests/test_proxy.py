"""core/proxy.py: REMOTE_ADDR from X-Forwarded-For only for requests from a listed proxy (gunicorn's HTTP)."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from core.proxy import TrustedProxyMiddleware


def client_address(settings, allowed: list[str], peer: str, forwarded_for: str | None) -> str:
    settings.FORWARDED_ALLOW_IPS = allowed
    seen = {}

    def view(request):
        seen["address"] = request.META["REMOTE_ADDR"]
        return HttpResponse()

    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for is not None else {}
    TrustedProxyMiddleware(view)(RequestFactory().get("/", REMOTE_ADDR=peer, **headers))
    return seen["address"]


@pytest.mark.parametrize(
    ("allowed", "peer", "forwarded_for", "client"),
    [
        ([], "127.0.0.1", "203.0.113.7", "127.0.0.1"),  # no proxy configured: the header is ignored
        (["10.0.0.2"], "198.51.100.1", "203.0.113.7", "198.51.100.1"),  # a direct client forging it
        (["127.0.0.1"], "127.0.0.1", "198.51.100.9, 203.0.113.7", "203.0.113.7"),  # the proxy's entry wins
        (["10.0.0.0/24"], "10.0.0.5", "203.0.113.7, 10.0.0.3", "203.0.113.7"),  # proxies in a chain skipped
        (["127.0.0.1"], "127.0.0.1", None, "127.0.0.1"),  # a probe from the proxy host itself
        (["*"], "192.0.2.1", "203.0.113.7", "203.0.113.7"),
    ],
)
def test_the_client_address_is_taken_from_the_header_only_behind_a_listed_proxy(
    settings, allowed, peer, forwarded_for, client
):
    assert client_address(settings, allowed, peer, forwarded_for) == client
