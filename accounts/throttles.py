"""Brute-force limits of the auth endpoints.

The counters live in Django's default cache, which is Redis when REDIS_URL is set, so every server
process counts against the same limit. Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
read on each request (DRF reads them once at import, which would ignore `override_settings`).
"""

import hashlib
import logging

import redis
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.exceptions import SignInUnavailable

logger = logging.getLogger(__name__)


class AuthThrottle(SimpleRateThrottle):
    """Per client IP (REMOTE_ADDR unless REST_FRAMEWORK["NUM_PROXIES"] trusts a proxy)."""

    scope = "auth_ip"

    def get_rate(self) -> str:
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except redis.RedisError as error:
            # Without its counters the brute-force limit cannot hold: refuse sign-ins (503) rather
            # than let unlimited guesses through or answer 500.
            logger.error("auth throttle cache unavailable: %s", type(error).__name__)
            raise SignInUnavailable() from error


class UsernameThrottle(AuthThrottle):
    """Per target username, whatever the IP: a botnet guessing one password is slowed down too."""

    scope = "auth_username"

    def get_cache_key(self, request, view) -> str | None:
        data = request.data if hasattr(request, "data") else request.POST
        username = data.get("username") if hasattr(data, "get") else None
        if not isinstance(username, str) or not username.strip():
            return None  # the serializer refuses the request anyway
        # Hashed: a username may hold characters some cache backends refuse in keys.
        ident = hashlib.sha256(username.strip().casefold().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ConfirmThrottle(AuthThrottle):
    """The confirm endpoint is polled while the user answers the bot: a looser per-IP limit."""

    scope = "auth_confirm"


class AccountPasswordThrottle(UsernameThrottle):
    """A password sent to prove it is the account's owner (unlinking Telegram) counts like a login attempt.

    Same bucket as UsernameThrottle: guesses here and at the login endpoints share one limit.
    """

    def get_cache_key(self, request, view) -> str | None:
        data = request.data
        if not (hasattr(data, "get") and data.get("password") is not None) or not request.user.is_authenticated:
            return None
        ident = hashlib.sha256(request.user.username.strip().casefold().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}
