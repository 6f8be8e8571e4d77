"""The client's address behind a trusted reverse proxy, for gunicorn (config/wsgi.py).

gunicorn's `--forwarded-allow-ips` decides whose X-Forwarded-Proto it believes, but it always sets
REMOTE_ADDR to the peer, which behind a proxy is the proxy. uvicorn (web-ws) and daphne
(`--proxy-headers`) rewrite REMOTE_ADDR themselves. This middleware does what uvicorn does, from the
same FORWARDED_ALLOW_IPS (addresses, networks such as `10.0.0.0/24`, or `*`): only for a request
whose peer is a listed proxy, the client is the right-most X-Forwarded-For entry that is not a
listed proxy; entries a client wrote further left are never believed (`*` believes the left-most,
as uvicorn does: only for a proxy that overwrites the header). With FORWARDED_ALLOW_IPS
empty (the default) it changes nothing.
"""

import ipaddress

from django.conf import settings


class TrustedProxies:
    def __init__(self, entries: list[str]) -> None:
        self.everyone = "*" in entries
        self.networks = [ipaddress.ip_network(entry, strict=False) for entry in entries if entry != "*"]

    def __bool__(self) -> bool:
        return self.everyone or bool(self.networks)

    def __contains__(self, address: str) -> bool:
        if self.everyone:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)


class TrustedProxyMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.proxies = TrustedProxies(settings.FORWARDED_ALLOW_IPS)

    def __call__(self, request):
        if self.proxies and request.META.get("REMOTE_ADDR", "") in self.proxies:
            header = request.META.get("HTTP_X_FORWARDED_FOR", "")
            entries = [entry.strip() for entry in header.split(",") if entry.strip()]
            if self.proxies.everyone and entries:
                request.META["REMOTE_ADDR"] = entries[0]  # `*` believes everything, as uvicorn does
            for entry in reversed(entries if not self.proxies.everyone else []):
                if entry not in self.proxies:
                    request.META["REMOTE_ADDR"] = entry
                    break
        return self.get_response(request)
